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
