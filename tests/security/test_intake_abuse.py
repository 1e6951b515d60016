"""Public intake abuse: F11 Idempotency-Key replay, F16 the private link shown once, F17 the re-submission
answer, F7 enterprise record overwrite, F8 mail relay and bombing."""

import pytest

from tests.factories import valid_tax_code
from tests.intake_helpers import registration_payload
from tests.web.test_intake import open_conference

pytestmark = pytest.mark.security


def api_post(client, conference, payload, **headers):
    return client.post(f"/api/v1/conferences/{conference.slug}/registrations", json=payload, headers=headers)


# -- F11 --------------------------------------------------------------------------------------------------

def test_an_idempotency_key_counts_only_with_its_conference_and_body(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    other = open_conference(rules, calendar, slug="hoi-nghi-khac")
    secret_title = "Bí mật: tranh chấp đất đai với đối tác X"
    victim = registration_payload(**{"recommendations.0.title": secret_title})
    first = api_post(client, conference, victim, **{"Idempotency-Key": "order-1"})
    assert first.status_code == 201
    # A retry of the same request is still recognised.
    again = api_post(client, conference, victim, **{"Idempotency-Key": "order-1"})
    assert again.status_code == 200 and again.get_json()["duplicate"]
    # Someone else's body with the key: refused, nothing of the first submission in the answer.
    replay = api_post(client, conference, {"anything": "at all"}, **{"Idempotency-Key": "order-1"})
    assert replay.status_code == 409
    assert replay.get_json()["error"] == "idempotency_key_reused"
    assert first.get_json()["tracking_code"] not in replay.get_data(as_text=True)
    assert secret_title not in replay.get_data(as_text=True)
    # The key in another conference is just a new key there.
    elsewhere = api_post(client, other, {"anything": "at all"}, **{"Idempotency-Key": "order-1"})
    assert elsewhere.status_code == 422
    assert secret_title not in elsewhere.get_data(as_text=True)
    mine = registration_payload(tax_code=valid_tax_code(4242))
    fresh = api_post(client, other, mine, **{"Idempotency-Key": "order-1"})
    assert fresh.status_code == 201
    assert fresh.get_json()["tracking_code"] != first.get_json()["tracking_code"]


# -- F16 --------------------------------------------------------------------------------------------------

def test_the_confirmation_page_shows_the_private_link_once_and_not_from_the_cookie(client, app_ctx, rules, calendar):
    import base64
    import re
    import zlib

    from tests.web.test_intake import post_form

    conference = open_conference(rules, calendar)
    response = post_form(client, conference, registration_payload())
    assert response.status_code == 303
    # The cookie (signed, not encrypted) holds no token.
    raw = client.get_cookie("session").value
    body = raw.lstrip(".").split(".")[0]
    decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    text = (zlib.decompress(decoded) if raw.startswith(".") else decoded).decode()
    first = client.get(response.headers["Location"])
    link = re.search(r'href="(/theo-doi/[^"]+)"', first.get_data(as_text=True))
    assert link is not None
    token = link.group(1).split("token=")[1]
    assert token not in text
    # The next person at the same computer opens the page: nothing of the enterprise is there.
    again = client.get(response.headers["Location"])
    assert again.status_code == 302
    assert token not in again.get_data(as_text=True)


# -- F17 --------------------------------------------------------------------------------------------------

def test_a_resubmission_answer_says_nothing_about_the_registration_on_file(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    tax_code = valid_tax_code(777)
    first = registration_payload(tax_code=tax_code, **{"contact.email": "vien.giam.doc@realco.example"})
    assert api_post(client, conference, first).status_code == 201
    probe = api_post(client, conference, registration_payload(tax_code=tax_code))
    text = probe.get_data(as_text=True)
    assert probe.status_code == 202
    for hint in ("realco", "•", "@"):
        assert hint not in probe.get_json()["message"], hint
    assert "realco" not in text


# -- F7 ---------------------------------------------------------------------------------------------------

def test_a_registration_elsewhere_does_not_rewrite_the_enterprise(client, app, app_ctx, rules, calendar):
    from sqlalchemy import select

    from webforms.extensions import db
    from webforms.models import AuditEvent, Enterprise

    first = open_conference(rules, calendar)
    second = open_conference(rules, calendar, slug="hoi-nghi-thu-hai")
    tax_code = valid_tax_code(31337)
    victim = registration_payload(tax_code=tax_code, **{"enterprise.name": "Công ty Thật"})
    created = api_post(client, first, victim)
    assert created.status_code == 201
    code, token = created.get_json()["tracking_code"], created.get_json()["token"]
    attacker = registration_payload(tax_code=tax_code, **{"enterprise.name": "CÔNG TY GIẢ MẠO - liên hệ zalo 09xx",
                                                          "enterprise.zone": "KCN-NOMURA",
                                                          "enterprise.address": "Địa chỉ giả"})
    assert api_post(client, second, attacker).status_code == 201
    db.session.expire_all()
    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.tax_code == tax_code))
    assert (enterprise.name, enterprise.zone_code) == ("Công ty Thật", "KCN-VSIP")
    shown = client.get(f"/api/v1/registrations/{code}?token={token}").get_data(as_text=True)
    assert "GIẢ MẠO" not in shown
    held = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "enterprise.change_not_applied"))
    assert held.details["name"].startswith("CÔNG TY GIẢ MẠO")  # staff can see what was asked


# -- F8 ---------------------------------------------------------------------------------------------------

def test_receipts_to_one_address_are_limited_per_day(client, app, app_ctx, rules, calendar, settings, mailbox):
    from tests.jobs import run_jobs
    from webforms.domain.accounts import security_policy

    limit = security_policy(settings.rules_dir).receipts_per_address_per_day
    conference = open_conference(rules, calendar)
    target = "nan.nhan@victim.example"
    for i in range(limit + 3):
        payload = registration_payload(tax_code=valid_tax_code(6000 + i), **{"contact.email": target})
        assert api_post(client, conference, payload).status_code == 201
    from webforms.extensions import db

    db.session.rollback()
    run_jobs(app)
    assert len(mailbox.to(target)) == limit


def test_confirmation_mails_per_tax_code_are_limited_with_the_same_answer(client, app, app_ctx, rules, calendar,
                                                                           settings, mailbox):
    from sqlalchemy import func, select

    from tests.jobs import run_jobs
    from webforms.domain.accounts import security_policy
    from webforms.extensions import db
    from webforms.models import Resubmission

    limit = security_policy(settings.rules_dir).confirmations_per_tax_code_per_day
    conference = open_conference(rules, calendar)
    tax_code = valid_tax_code(9090)
    contact = "lien.he@thatco.example"
    assert api_post(client, conference, registration_payload(tax_code=tax_code,
                                                             **{"contact.email": contact})).status_code == 201
    answers = [api_post(client, conference, registration_payload(tax_code=tax_code)) for _ in range(limit + 5)]
    assert {(a.status_code, a.get_json()["message"]) for a in answers} == {
        (answers[0].status_code, answers[0].get_json()["message"])}
    assert answers[0].status_code == 202
    db.session.rollback()
    assert db.session.scalar(select(func.count(Resubmission.id))) == limit
    db.session.rollback()  # SQLite: the worker writes from another session
    run_jobs(app)
    assert len(mailbox.to(contact)) == 1 + limit  # the receipt, then `limit` confirmation requests
