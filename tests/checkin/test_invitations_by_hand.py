"""Invitations as the Office issues them: the milestone drafts one giấy mời per addressee and asks the
Office to have them approved, signed and issued; nothing reaches an invitee before issue. Issuing (the
back office, signed with the configured PKCS#11 token) mails each addressee with an email the signed PDF
with its number and date, and the calendar file; those without an email are listed for the document
system with the issued PDF to download. Real Redis, a real RQ worker, the real SMTP server, SoftHSM2 and
LibreOffice; mails decoded from the bytes the server received, PDFs read back with pdftotext."""

from __future__ import annotations

import io
import re
import subprocess

import docx
import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests import moments
from tests.documents.test_render import all_text
from tests.factories import create_conference, create_recommendation, create_registration
from tests.jobs import run_jobs
from tests.login import login_as
from tests.signing_helpers import PIN, SOFTHSM_MODULE
from webforms.domain.documents.signing import validate_signed_pdf
from webforms.domain.recipients import recipients_for
from webforms.domain.tick import tick
from webforms.extensions import db
from webforms.models import (
    ConferenceStatus,
    Document,
    Invitee,
    InviteeCategory,
    OutboxMessage,
    RegisterEntry,
    Registration,
)
from webforms.timeutil import utcnow

WITHOUT_EMAIL = (
    (InviteeCategory.CITY_LEADER, "Lê Văn Lãnh Đạo", "UBND thành phố Hải Phòng"),
    (InviteeCategory.PORTAL, "Cổng Thông tin điện tử thành phố", "UBND thành phố Hải Phòng"),
)


def _confirmed_conference(rules):
    conference = create_conference(slug="dtdn-tay", status=ConferenceStatus.ANNOUNCED,
                                   starts_at=moments.CONFERENCE_START)
    db.session.add(Invitee(conference_id=conference.id, category=InviteeCategory.PRESS, name="Báo Hải Phòng",
                           email="baohp@press.example.vn"))
    for category, name, organisation in WITHOUT_EMAIL:
        db.session.add(Invitee(conference_id=conference.id, category=category, name=name,
                               organisation=organisation, email=""))
    for i in range(rules.plan.min_enterprises):
        # The first contact has opened its private link; the others have not (issue 16, F8).
        registration = create_registration(conference, contact_name=f"Nguyễn Văn An {i}",
                                           contact_confirmed_at=moments.CONFERENCE_START if i == 0 else None)
        if i < rules.plan.min_recommendations:
            create_recommendation(registration)
    db.session.commit()
    return conference


def _decoded(mailbox):
    """Each message parsed from the bytes the SMTP server received (tests/smtp.py parses them with
    email.policy.default, as email.message_from_bytes(..., policy=email.policy.default) does)."""
    return [m.message for m in mailbox.messages]


def _pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, check=True, capture_output=True).stdout \
        .decode("utf-8")


def _staff(app, role):
    from tests.web.conftest import StaffClient

    app.test_client_class = StaffClient
    client = app.test_client()
    with app.app_context():
        login_as(client, role)
    return client


def _post(client, page: str, action: str):
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post(action, data={"csrf_token": token})


def test_the_milestone_drafts_the_invitations_and_asks_the_office_to_issue_them(app, settings, mailbox, rules,
                                                                              calendar):
    redis = app.extensions["doithoai"].redis
    with app.app_context():
        conference = _confirmed_conference(rules)
        slug, conference_id, title = conference.slug, conference.id, conference.title
        office = recipients_for(rules).office
        tick(moments.INTAKE_CLOSED, rules, calendar, settings, redis)
    run_jobs(app)
    messages = _decoded(mailbox)
    # Nothing reaches an invitee before issue: no draft .docx leaves the Board.
    assert not [m for m in messages if m["Subject"].startswith("Giấy mời tham dự")]
    assert not [m for m in messages for part in m.iter_attachments()
                if (part.get_filename() or "").startswith("Giay-moi")]
    (to_office,) = [m for m in messages if m["Subject"].startswith("Giấy mời dự thảo")]
    assert to_office["Subject"] == f"Giấy mời dự thảo chờ duyệt, ký số và ban hành - {title}"
    assert {a.strip() for a in to_office["To"].split(",")} == set(office)
    body = to_office.get_body(preferencelist=("plain",)).get_content()
    total = 1 + rules.plan.min_enterprises + len(WITHOUT_EMAIL)
    assert f"đã lập {total} giấy mời dự thảo" in body
    assert f"đến {total - len(WITHOUT_EMAIL)} đại biểu có địa chỉ email" in body
    assert "1. Lê Văn Lãnh Đạo - UBND thành phố Hải Phòng" in body
    assert "2. Cổng Thông tin điện tử thành phố - UBND thành phố Hải Phòng" in body
    assert f"http://localhost/quan-tri/hoi-nghi/{slug}/giay-moi" in body
    assert list(to_office.iter_attachments()) == []

    with app.app_context():
        states = list(db.session.scalars(select(Document.state).where(Document.kind == "invitation")))
        assert states == ["draft"] * total
        # Running the batch again (a sweep after a crash) renders nothing again and sends nothing twice.
        from webforms.domain import outbox

        outbox.queue_task("send_invitations", {"conference_id": conference_id,
                                               "as_of": moments.INTAKE_CLOSED.isoformat()},
                          queue="docs", dedupe_key="again")
        db.session.commit()
    count = len(mailbox.messages)
    run_jobs(app)
    assert len(mailbox.messages) == count
    with app.app_context():
        assert db.session.query(Document).filter(Document.kind == "invitation").count() == total
        assert db.session.query(OutboxMessage).filter(
            OutboxMessage.dedupe_key.startswith("invitations_to_issue:")).count() == 1

    secretariat = _staff(app, "secretariat")
    page = secretariat.get(f"/quan-tri/hoi-nghi/{slug}/giay-moi").get_data(as_text=True)
    assert f"<strong>{total}</strong> dự thảo chờ duyệt" in page
    assert "Duyệt nội dung" not in page  # the Office cannot approve; a leader does
    dashboard = secretariat.get(f"/quan-tri/hoi-nghi/{slug}").get_data(as_text=True)
    assert "Lê Văn Lãnh Đạo (UBND thành phố Hải Phòng):\n        dự thảo chờ duyệt" in dashboard
    with app.app_context():
        leader = db.session.scalar(select(Invitee).where(Invitee.name == "Lê Văn Lãnh Đạo"))
        draft = db.session.scalar(select(Document).where(Document.subject_key == f"invitee:{leader.id}"))
        target = f"/quan-tri/hoi-nghi/{slug}/diem-danh/khach-moi/{leader.id}"
        assert draft.snapshot["checkin_qr"] == "http://localhost" + target
    download = secretariat.get(f"/quan-tri/van-ban/{draft.id}/tai-ve")
    assert download.status_code == 200 and "Đồng chí Lê Văn Lãnh Đạo" in all_text(download.data)
    assert len(docx.Document(io.BytesIO(download.data)).inline_shapes) == 1  # the check-in QR code


@pytest.mark.slow
def test_issuing_sends_each_invitee_the_signed_pdf_and_lists_the_rest_for_the_document_system(
    app, settings, mailbox, rules, calendar, signing_setup, monkeypatch
):
    for name, value in {"SIGNING_TRUST_ANCHORS": str(signing_setup.ca.pem_path),
                        "SIGNING_PKCS11_MODULE": SOFTHSM_MODULE, "SIGNING_TOKEN_LABEL": "doithoai",
                        "SIGNING_KEY_LABEL": "ky-so", "SIGNING_PIN": PIN}.items():
        monkeypatch.setenv(name, value)
    redis = app.extensions["doithoai"].redis
    with app.app_context():
        conference = _confirmed_conference(rules)
        slug = conference.slug
        tick(moments.INTAKE_CLOSED, rules, calendar, settings, redis)
    run_jobs(app)
    total = 1 + rules.plan.min_enterprises + len(WITHOUT_EMAIL)
    dispatch = f"/quan-tri/hoi-nghi/{slug}/giay-moi"

    leader = _staff(app, "leader")
    assert _post(leader, dispatch, f"{dispatch}/duyet").status_code == 302
    assert f"Đã duyệt {total} giấy mời" in leader.get(dispatch).get_data(as_text=True)
    run_jobs(app)
    assert not [m for m in mailbox.messages if m.subject.startswith("Giấy mời tham dự")]  # approved is not issued
    mailbox.messages.clear()

    secretariat = _staff(app, "secretariat")
    assert f"Ký số và ban hành {total} giấy mời đã duyệt" in secretariat.get(dispatch).get_data(as_text=True)
    assert _post(secretariat, dispatch, f"{dispatch}/ban-hanh").status_code == 302
    run_jobs(app)
    today = utcnow().astimezone(rules.plan.timezone).date()

    messages = _decoded(mailbox)
    invitations = [m for m in messages if m["Subject"].startswith("Giấy mời tham dự")]
    assert len(invitations) == total - len(WITHOUT_EMAIL)
    numbers = set()
    greeted = {True: 0, False: 0}
    with app.app_context():
        contacts = {r.contact_email: (r.contact_name, r.contact_confirmed_at is not None, r.enterprise.tax_code)
                    for r in db.session.scalars(select(Registration))}
    for message in invitations:
        files = {part.get_filename(): part for part in message.iter_attachments()}
        (pdf_name,) = [n for n in files if n.endswith(".pdf")]
        assert set(files) == {pdf_name, "hoi-nghi.ics"}
        assert re.fullmatch(rf"Giay-moi-so-\d\d-{today.year}\.pdf", pdf_name)
        assert files[pdf_name].get_content_type() == "application/pdf"
        data = files[pdf_name].get_content()
        check = validate_signed_pdf(data, signing_setup.config)
        assert check.valid and check.signer == "Bùi Ngọc Hải", check.reason
        text = _pdf_text(data)
        number = re.search(r"Số: (\d\d)/GM-BQL", text).group(1)
        assert pdf_name == f"Giay-moi-so-{number}-{today.year}.pdf"
        numbers.add(number)
        assert f"Hải Phòng, ngày {today:%d} tháng {today:%m} năm {today:%Y}" in text
        assert "Bùi Ngọc Hải" in text  # the signature block and the stamp
        to = message["To"].addresses[0].addr_spec
        body = message.get_body(preferencelist=("plain",)).get_content()
        assert f"Giấy mời số {number}/GM-BQL ngày {today:%d/%m/%Y} (tệp PDF đã ký số)" in body
        if to in contacts:
            # The signed PDF, read and approved by a leader before it was issued, names the contact; the
            # mail's own text greets an unconfirmed address by the tax code only.
            name, confirmed, tax_code = contacts[to]
            assert name in " ".join(text.split())
            named = f"Kính gửi: Ông (Bà) {name}" in body
            assert named == confirmed, body
            assert (f"Người liên hệ của doanh nghiệp mã số thuế {tax_code}" in body) != named
            greeted[named] += 1
        if to == "baohp@press.example.vn":
            assert "Báo Hải Phòng" in text
            # The check-in QR code stays an image in the issued PDF (its URL is not printed as text).
            assert "/diem-danh/" not in text
        event = next(iter(Calendar.from_ical(files["hoi-nghi.ics"].get_content()).walk("VEVENT")))
        assert event.decoded("dtstart") == moments.CONFERENCE_START
    assert len(numbers) == len(invitations)  # each invitation its own number
    assert greeted == {True: 1, False: rules.plan.min_enterprises - 1}

    with app.app_context():
        entries = list(db.session.scalars(select(RegisterEntry).order_by(RegisterEntry.number)))
        assert [e.number for e in entries] == list(range(1, total + 1))  # one number per invitation, no gap
        assert {e.kind for e in entries} == {"invitation"} and {e.issued_on for e in entries} == {today}
    page = secretariat.get(dispatch).get_data(as_text=True)
    by_hand = page.split("<h2>Gửi qua email</h2>")[0]
    assert by_hand.count("Đã ban hành; cần gửi qua hệ thống văn bản / gửi trực tiếp") == len(WITHOUT_EMAIL)
    assert f"<strong>{total - len(WITHOUT_EMAIL)}</strong> đã gửi email" in page
    links = re.findall(r'href="(/quan-tri/van-ban/\d+/ban-chinh-thuc)">Số (\d\d/GM-BQL)', by_hand)
    assert len(links) == len(WITHOUT_EMAIL)
    download = secretariat.get(links[0][0])
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert validate_signed_pdf(download.data, signing_setup.config).valid
    text = _pdf_text(download.data)
    words = " ".join(text.split())
    assert f"Số: {links[0][1]}" in text and "Đồng chí Lê Văn Lãnh Đạo – UBND thành phố Hải Phòng" in words
    # Issuing again changes nothing: nothing is left approved, nothing is sent twice.
    count = len(mailbox.messages)
    assert "Ký số và ban hành" not in page
    run_jobs(app)
    assert len(mailbox.messages) == count
