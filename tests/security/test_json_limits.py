"""F2: the JSON API refuses large bodies before parsing them, and over-long lists before any work."""

import json
import time

import pytest

from tests.intake_helpers import registration_payload
from tests.web.test_intake import open_conference
from webforms.api.routes import MAX_JSON_BYTES
from webforms.domain.validation import CONTENT_MAX, MAX_ATTENDEES, MAX_RECOMMENDATIONS, validate_registration

pytestmark = pytest.mark.security


def url(conference):
    return f"/api/v1/conferences/{conference.slug}/registrations"


def test_a_body_over_the_json_limit_is_413_before_parsing(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    body = json.dumps(registration_payload(**{"recommendations.0.content": "x" * (2 * MAX_JSON_BYTES)}))
    started = time.perf_counter()
    response = client.post(url(conference), data=body, content_type="application/json")
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"
    assert "quá lớn" in response.get_json()["message"]


def test_the_largest_real_registration_fits(client, app_ctx, rules, calendar):
    """20 recommendations at their longest, every letter escaped as \\uXXXX: still under the limit."""
    conference = open_conference(rules, calendar)
    payload = registration_payload(recommendations=MAX_RECOMMENDATIONS)
    for item in payload["recommendations"]:
        item["content"] = "Đ" * CONTENT_MAX
    body = json.dumps(payload, ensure_ascii=True)
    assert len(body) < MAX_JSON_BYTES
    response = client.post(url(conference), data=body, content_type="application/json")
    assert response.status_code == 202, response.get_json()
    from sqlalchemy import func, select

    from webforms.extensions import db
    from webforms.models import Recommendation
    assert db.session.scalar(select(func.count(Recommendation.id))) == MAX_RECOMMENDATIONS  # stored, all of it


def test_too_many_attendees_are_refused_before_any_work(rules):
    """The review sent 4,000,000 attendees: each was cleaned before the "at most 3" check."""
    data = registration_payload()
    data["attendees"] = [{"name": "Nguyễn Văn A" * 10, "position": "Giám đốc" * 10}] * 300_000
    started = time.perf_counter()
    cleaned, errors = validate_registration(data, rules)
    elapsed = time.perf_counter() - started
    assert cleaned is None
    assert errors["attendees"] == [f"Mỗi doanh nghiệp đăng ký tối đa {MAX_ATTENDEES} người tham dự."]
    assert not [k for k in errors if k.startswith("attendees.")]
    assert elapsed < 0.1, elapsed


def test_too_many_attendees_through_the_api(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    payload = registration_payload()
    payload["attendees"] = [{"name": f"Người {i}", "position": ""} for i in range(MAX_ATTENDEES + 1)]
    response = client.post(url(conference), json=payload)
    assert response.status_code == 422
    assert response.get_json()["errors"]["attendees"] == [
        f"Mỗi doanh nghiệp đăng ký tối đa {MAX_ATTENDEES} người tham dự."
    ]
