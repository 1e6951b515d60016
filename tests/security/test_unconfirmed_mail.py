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
