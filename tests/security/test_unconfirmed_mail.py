"""F8: the agency's sender does not carry a submitter's text to an address that has not confirmed it.

The public form mails two addresses nobody has confirmed: the one a new registration types (the receipt)
and, for a tax code already registered, the contact on file (the request to confirm a re-submission). Both
mails are fixed text plus what the system chose (tracking code, recommendation codes, the conference as the
agency announced it) and a private link; what the submitter typed is shown only behind that link. Checked
on the bytes the SMTP server received, every part decoded.
"""

import re
from urllib.parse import urlsplit

import pytest

from tests.factories import valid_tax_code
from tests.intake_helpers import registration_payload
from tests.jobs import run_jobs
from tests.web.test_intake import open_conference
from webforms.extensions import db

pytestmark = pytest.mark.security

FIELDS = ("enterprise.name", "enterprise.address", "enterprise.sector", "contact.name", "contact.position",
          "attendees.0.name", "attendees.0.position", "attendees.1.name", "recommendations.0.title",
          "recommendations.0.content", "recommendations.0.agency", "recommendations.1.title")


def _typed(tag: str) -> dict:
    """Every free-text field of the form set to a recognisable text (a phishing lure, as in the review)."""
    return {name: f"Truy cập ngay evil{tag}{i} để nhận hỗ trợ" for i, name in enumerate(FIELDS)}


def _everything(received) -> str:
    """Headers and every text part of one message, decoded."""
    parts = [f"{k}: {v}" for k, v in received.message.items()]
    for part in received.message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def _post(client, conference, payload):
    return client.post(f"/api/v1/conferences/{conference.slug}/registrations", json=payload)


def _link(text: str, path: str) -> str:
    url = re.search(rf"https?://\S+{path}\S+", text).group(0)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _confirm_from(app, client, mailbox, address: str) -> None:
    """Send the queued mail, then confirm the re-submission from the request `address` got, as its owner would."""
    db.session.rollback()
    run_jobs(app)
    confirm = _link(mailbox.to(address)[-1].text, "/hoi-nghi/xac-nhan/")
    page = client.get(confirm)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post(confirm, data={"csrf_token": token}).status_code == 303
    db.session.expire_all()


def test_a_receipt_to_a_typed_address_repeats_nothing_the_submitter_typed(app, client, app_ctx, rules, calendar,
                                                                         mailbox):
    conference = open_conference(rules, calendar)
    typed = _typed("a")
    payload = registration_payload(tax_code=valid_tax_code(8181),
                                   **{"contact.email": "nan.nhan@victim.example", **typed})
    assert _post(client, conference, payload).status_code == 202
    db.session.rollback()
    run_jobs(app)
    (receipt,) = mailbox.to("nan.nhan@victim.example")
    decoded = _everything(receipt)
    assert "evila" not in decoded and b"evila" not in receipt.raw
    for text in typed.values():
        assert text not in decoded
    # what it does say: the system's values and the private link, behind which the content is
    code = re.search(r"KN\.\d{8}\.\d{4}", receipt.subject).group(0)
    assert code in receipt.text and valid_tax_code(8181) in receipt.text
    page = client.get(_link(receipt.text, "/theo-doi/")).get_data(as_text=True)
    assert typed["recommendations.0.title"] in page


def test_a_resubmission_request_to_the_contact_on_file_repeats_nothing_the_new_submitter_typed(
        app, client, app_ctx, rules, calendar, mailbox):
    conference = open_conference(rules, calendar)
    tax_code = valid_tax_code(8282)
    first = registration_payload(tax_code=tax_code, **{"contact.email": "lien.he@that.example"})
    assert _post(client, conference, first).status_code == 202
    typed = _typed("b")
    second = registration_payload(tax_code=tax_code, **{"contact.email": "ke.gian@attacker.example", **typed})
    assert _post(client, conference, second).status_code == 202
    db.session.rollback()
    run_jobs(app)
    receipt, request = mailbox.to("lien.he@that.example")
    assert "Xác nhận cập nhật" in request.subject
    decoded = _everything(request)
    assert "evilb" not in decoded and b"evilb" not in request.raw
    assert "ke.gian@attacker.example" not in decoded  # not even the address the new submitter gave
    assert not mailbox.to("ke.gian@attacker.example")
    # the confirmation page behind the link shows what would change
    page = client.get(_link(request.text, "/hoi-nghi/xac-nhan/")).get_data(as_text=True)
    assert typed["recommendations.0.title"] in page and "ke.gian@attacker.example" in page


def _greets_the_tax_code(text: str, tax_code: str) -> bool:
    return f"Kính gửi: Người liên hệ của doanh nghiệp mã số thuế {tax_code}" in text


def test_later_mails_to_an_unconfirmed_contact_repeat_nothing_typed_until_the_link_is_opened(
        app, client, app_ctx, rules, calendar, settings, mailbox, signing_setup):
    """Every later mail to the contact of a registration whose address has shown nothing (the screening, the
    issued answer, the postponement) greets the contact of the tax code and names no recommendation title,
    enterprise or person the submitter typed. Opening the private link mailed to the address confirms it:
    from then on the mails address the enterprise and the contact by name (the cancellation below)."""
    import datetime as dt

    from sqlalchemy import select

    from tests.signing_helpers import issue_approved_letter
    from webforms.domain import replies
    from webforms.domain.audit import Actor
    from webforms.domain.conference_admin import cancel_conference, postpone_conference
    from webforms.domain.intake.screening import screen_out
    from webforms.models import AssignmentRole, AuditEvent, Recommendation, Registration
    from webforms.timeutil import utcnow

    conference = open_conference(rules, calendar)
    tax_code = valid_tax_code(8383)
    typed = _typed("c")
    address = "nan.nhan@victim.example"
    payload = registration_payload(tax_code=tax_code, **{"contact.email": address, **typed})
    assert _post(client, conference, payload).status_code == 202
    db.session.rollback()
    run_jobs(app)
    staff = Actor(kind="user", name="chuyenvien@heza.example.vn")
    now = utcnow()
    first, second = db.session.scalars(select(Recommendation).order_by(Recommendation.seq)).all()
    screen_out(second, "not_administrative", "", staff, now, rules=rules, calendar=calendar, settings=settings)
    (owner,) = [a for a in first.assignments if a.role == AssignmentRole.OWNER]
    unit = Actor(kind="department_link", name="qldt@heza.example.vn")
    replies.save_draft_answer(owner, "Ban Quản lý trả lời: hồ sơ gồm văn bản đề nghị.", actor=unit, now=now)
    replies.submit_for_approval(owner, actor=unit, now=now, rules=rules, calendar=calendar, settings=settings)
    replies.approve_answer(owner, actor=staff, now=now, rules=rules, calendar=calendar, settings=settings)
    db.session.commit()
    issue_approved_letter(first.code, signing_setup, utcnow())
    postpone_conference(conference, new_starts_at=conference.starts_at + dt.timedelta(days=7),
                        reason="Trùng lịch làm việc của lãnh đạo thành phố.", now=utcnow(), actor=staff,
                        rules=rules, settings=settings, calendar=calendar)
    db.session.commit()
    run_jobs(app)
    receipt, *later = mailbox.to(address)
    subjects = [m.subject for m in later]
    assert len(later) == 3, subjects
    assert any("không thuộc phạm vi" in s for s in subjects) and any("Trả lời kiến nghị" in s for s in subjects)
    assert any(s.startswith("Thông báo hoãn") for s in subjects)
    for message in later:
        decoded = _everything(message)
        assert "evilc" not in decoded and b"evilc" not in message.raw, message.subject
        assert _greets_the_tax_code(message.text, tax_code), message.text
    # The address shows it is the enterprise's: the private link in the receipt is opened.
    registration = db.session.scalar(select(Registration))
    assert registration.contact_confirmed_at is None
    assert client.get(_link(receipt.text, "/theo-doi/")).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(Registration)).contact_confirmed_at is not None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "registration.contact_confirmed"))
    cancel_conference(db.session.get(type(conference), conference.id), reason="Không đủ điều kiện tổ chức.",
                      now=utcnow(), actor=staff, rules=rules, settings=settings)
    db.session.commit()
    run_jobs(app)
    cancelled = mailbox.to(address)[-1]
    assert cancelled.subject.startswith("Thông báo hủy")
    assert f"Kính gửi: Ông/Bà {typed['contact.name']}" in cancelled.text
    assert not _greets_the_tax_code(cancelled.text, tax_code)


def test_a_new_address_from_a_confirmed_resubmission_starts_unconfirmed(app, client, app_ctx, rules, calendar,
                                                                       mailbox):
    """Confirming a re-submission from the address on file confirms that address; when the re-submission
    gives another address, the new one has shown nothing yet."""
    from sqlalchemy import select

    from webforms.models import Registration

    conference = open_conference(rules, calendar)
    tax_code = valid_tax_code(8484)
    assert _post(client, conference, registration_payload(
        tax_code=tax_code, **{"contact.email": "cu@that.example"})).status_code == 202
    assert _post(client, conference, registration_payload(
        tax_code=tax_code, **{"contact.email": "cu@that.example", "contact.name": "Trần Văn Cũ"})).status_code == 202
    _confirm_from(app, client, mailbox, "cu@that.example")
    assert db.session.scalar(select(Registration)).contact_confirmed_at is not None
    assert _post(client, conference, registration_payload(
        tax_code=tax_code, **{"contact.email": "moi@that.example"})).status_code == 202
    _confirm_from(app, client, mailbox, "cu@that.example")
    registration = db.session.scalar(select(Registration))
    assert registration.contact_email == "moi@that.example" and registration.contact_confirmed_at is None


def test_staff_entry_confirms_the_contact(app_ctx, rules, calendar, settings):
    """Staff enter a registration from what the enterprise gave them (a paper form at the one-stop desk): its
    address counts as confirmed, and the staff entry is not held by the per-address receipt limit."""
    from webforms.domain.audit import Actor
    from webforms.domain.intake.submit import submit_registration
    from webforms.timeutil import utcnow

    conference = open_conference(rules, calendar)
    result = submit_registration(registration_payload(tax_code=valid_tax_code(8585)), conference=conference,
                                 now=utcnow(), rules=rules, calendar=calendar, settings=settings,
                                 actor=Actor(kind="user", name="vanthu@heza.example.vn"), staff_entry=True)
    db.session.commit()
    assert result.created and result.registration.contact_confirmed_at is not None
    assert result.registration.receipt_held_at is None and result.registration.receipt_sent_at is not None
