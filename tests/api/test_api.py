"""The JSON API: same rules as the form, JSON errors, 202/409/422/404."""

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from tests.factories import create_conference, valid_tax_code
from tests.intake_helpers import private_link, registration_payload
from tests.web.test_intake import open_conference, post_form
from webforms.extensions import db
from webforms.models import ConferenceStatus, Recommendation, RecommendationStatus, Registration, Resubmission


def api_post(client, conference, payload, **kwargs):
    return client.post(f"/api/v1/conferences/{conference.slug}/registrations", json=payload, **kwargs)


def test_conference_detail(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    body = client.get(f"/api/v1/conferences/{conference.slug}").get_json()
    assert body["intake"]["open"] is True
    assert body["intake"]["closes_at"].endswith("T23:59:59+07:00")
    assert {m["name"] for m in body["milestones"]} >= {"announce_by", "intake_closes", "conference"}
    assert body["counts"] == {"enterprises": 0, "recommendations": 0}
    assert {"code": "KCN-VSIP", "name": "KCN VSIP Hải Phòng"} in body["zones"]
    assert any(f["code"] == "DAU_TU" for f in body["fields"])


def test_draft_or_missing_conference_is_a_json_404(client, app_ctx):
    draft = create_conference(status=ConferenceStatus.DRAFT)
    db.session.commit()
    for url in (f"/api/v1/conferences/{draft.slug}", "/api/v1/conferences/khong-co"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"


def test_create_then_read_status(app, client, app_ctx, rules, calendar, mailbox):
    conference = open_conference(rules, calendar)
    payload = registration_payload()
    response = api_post(client, conference, payload)
    assert response.status_code == 202
    assert set(response.get_json()) == {"status", "message"}  # the link goes by email (F17)
    code, token = private_link(app, mailbox, payload["contact"]["email"])
    body = {"tracking_code": code, "token": token}
    assert list(db.session.scalars(select(Recommendation.code).order_by(Recommendation.seq))) == [
        f"{code}-1", f"{code}-2"]
    rec = db.session.scalar(select(Recommendation).where(Recommendation.seq == 1))
    rec.status = RecommendationStatus.ANSWERED_AT_CONFERENCE
    rec.answer = "Đã hướng dẫn tại Hội nghị."
    db.session.commit()
    detail = client.get(f"/api/v1/registrations/{body['tracking_code']}?token={body['token']}")
    assert detail.status_code == 200
    recs = detail.get_json()["recommendations"]
    assert recs[0]["answer"] == "Đã hướng dẫn tại Hội nghị."
    assert recs[0]["status"] == "answered_at_conference"
    assert recs[1]["answer"] is None
    wrong = client.get(f"/api/v1/registrations/{body['tracking_code']}?token=sai")
    assert wrong.status_code == 404
    assert wrong.is_json
    assert client.get(f"/api/v1/registrations/{body['tracking_code']}").status_code == 404


def test_invalid_input_gives_422_with_dotted_paths(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    payload = registration_payload(
        **{"enterprise.tax_code": "0100047517", "recommendations.0.content": "", "contact.phone": "123"}
    )
    response = api_post(client, conference, payload)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"enterprise.tax_code", "recommendations.0.content", "contact.phone"}
    assert db.session.scalar(select(func.count(Registration.id))) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"enterprise.tax_code": "0100047517", "contact.email": "khong-hop-le"},
        {"enterprise.zone": "NGOAI"},
        {"recommendations.1.content": "x" * 10_000, "recommendations.0.field": "SAI"},
        {"attendees": [], "declaration": False},
        {"enterprise.name": "", "contact.phone": "0112345678", "recommendations.0.title": "t" * 301},
    ],
)
def test_api_and_form_give_the_same_field_errors(client, app, app_ctx, rules, calendar, changes):
    conference = open_conference(rules, calendar)
    payload = registration_payload(**changes)
    api_errors = api_post(client, conference, payload).get_json()["errors"]
    page = post_form(client, conference, payload).get_data(as_text=True)
    for path, messages in api_errors.items():
        field_id = path.replace(".", "-")
        for message in messages:
            escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert escaped in page.replace("&#34;", '"').replace("&#39;", "'"), (path, message)
        if path not in ("attendees", "recommendations"):
            assert f'id="{field_id}-error-1"' in page, path


def test_closed_intake_is_409(client, app_ctx, rules):
    conference = create_conference(starts_at=dt.datetime(2025, 9, 4, 8, 30, tzinfo=rules.plan.timezone))
    db.session.commit()
    response = api_post(client, conference, registration_payload())
    assert response.status_code == 409
    assert response.get_json()["error"] == "intake_closed"
    assert "26/08/2025" in response.get_json()["message"]


def test_non_json_and_bad_json_are_json_errors(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    url = f"/api/v1/conferences/{conference.slug}/registrations"
    assert client.post(url, data="x=1").status_code == 415
    bad = client.post(url, data="{nope", content_type="application/json")
    assert bad.status_code == 400
    assert bad.get_json()["error"] == "invalid_json"
    listed = client.post(url, json=[1, 2])
    assert listed.status_code == 422
    assert listed.get_json()["errors"]
    assert client.get(url).get_json()["error"] == "method_not_allowed"


def test_idempotency_key_and_resubmission(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    payload = registration_payload(tax_code=valid_tax_code(999))
    first = api_post(client, conference, payload, headers={"Idempotency-Key": "abc-123"})
    again = api_post(client, conference, payload, headers={"Idempotency-Key": "abc-123"})
    held = api_post(client, conference, payload)
    assert first.status_code == again.status_code == held.status_code == 202
    assert first.get_json() == again.get_json() == held.get_json()  # the same answer whatever happened
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count(Resubmission.id))) == 1  # the retry held nothing; the third did


def test_hostile_json_gets_an_answer_not_a_500(client, app_ctx, rules, calendar):
    """Found by tests/hostile: nesting past the decoder's recursion limit, and lone surrogates."""
    conference = open_conference(rules, calendar)
    url = f"/api/v1/conferences/{conference.slug}/registrations"
    deep = client.post(url, data="[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert deep.status_code == 400
    assert deep.get_json()["error"] == "invalid_json"
    payload = registration_payload(**{"enterprise.name": "Công ty \ud800",
                                      "recommendations.0.title": "\udfff"})
    response = client.post(url, data=json.dumps(payload), content_type="application/json")
    assert response.status_code == 202
    assert db.session.scalar(select(Recommendation.title).where(Recommendation.seq == 1)) == "\ufffd"


def test_database_out_of_reach_is_a_vietnamese_503(settings, tmp_path):
    """Found by the PostgreSQL-restart fault test: requests during the restart answered a bare 500."""
    from webforms.app import create_app

    unreachable = create_app(settings.with_(database_url=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"))
    client = unreachable.test_client()
    response = client.get("/api/v1/conferences/hn")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["error"] == "database_unavailable"
    page = client.get("/hoi-nghi/hn")
    assert page.status_code == 503
    assert "Vui lòng thử lại sau ít phút" in page.get_data(as_text=True)


def test_rate_limit_headers_count_each_hit_and_the_429_says_when_to_retry(settings, app, rules, calendar):
    """The limiter's storage answers the count and the window's end with the hit itself
    (webforms/ratelimits.py): the headers still say what is left and when the window ends."""
    import time

    from webforms.app import create_app
    from webforms.services import redis_url_for_limits

    assert redis_url_for_limits(settings).startswith("doithoai+")
    strict = create_app(settings.with_(ratelimit_submit="2 per minute"))
    with strict.app_context():
        conference = open_conference(rules, calendar)
        client = strict.test_client()
        started = time.time()
        answers = [api_post(client, conference, registration_payload(tax_code=valid_tax_code(60 + i)))
                   for i in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert [a.headers["X-RateLimit-Limit"] for a in answers] == ["2", "2", "2"]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    resets = [int(a.headers["X-RateLimit-Reset"]) for a in answers]  # one window (TTL is whole seconds)
    assert max(resets) - min(resets) <= 1 and started < min(resets) and max(resets) <= time.time() + 61
    assert 0 < int(answers[2].headers["Retry-After"]) <= 60
    assert answers[2].get_json()["error"]
