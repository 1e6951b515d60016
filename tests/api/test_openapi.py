"""The API against its own OpenAPI 3.1 description: schemathesis generates requests from
/api/v1/openapi.json and checks every answer (status codes, content types, headers, body schemas, no 5xx,
`Allow` on a 405), over the real app and its database, with a conference whose intake is open."""

from __future__ import annotations

import datetime as dt
import re

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.factories import create_conference
from tests.web.test_intake import open_conference
from webforms.extensions import db
from webforms.timeutil import utcnow

ISO_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")


def test_api_conforms_to_its_description(app, rules, calendar):
    """Every operation, 40 generated requests each (plus the description's examples), every check but one:
    a body the schema allows may still fail the form's own rules (an MST's check digit, a phone number), which
    is a 422 with field errors, listed in the description; so "valid data is accepted" is not asked."""
    with app.app_context():
        open_conference(rules, calendar, slug="hn-api")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5  # schemathesis leaves out the description itself
    calls = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=40, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def run(case):
            response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
            calls.append((case.operation.label, response.status_code))

        run()
    statuses = {status for _, status in calls}
    assert len(calls) >= 5 * 20
    assert {200, 404} <= statuses  # the conference was found and an unknown one was not
    assert not any(status >= 500 for status in statuses)


def test_description_is_openapi_3_1(client, app_ctx):
    body = client.get("/api/v1/openapi.json").get_json()
    assert body["openapi"] == "3.1.0"
    assert set(body["paths"]) == {"/openapi.json", "/conferences", "/conferences/{slug}", "/conferences/{slug}/answers",
                                  "/conferences/{slug}/registrations", "/registrations/{tracking_code}"}


def test_405_says_allow_and_404_is_json_on_every_api_route(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    response = client.delete("/api/v1/conferences")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD", "OPTIONS"}
    assert response.get_json()["error"] == "method_not_allowed"
    page = client.put("/quan-tri/dang-xuat")
    assert page.status_code == 405
    assert "POST" in page.headers["Allow"]
    for url in ("/api/v1/conferences/khong-co/answers", "/api/v1/khong-co", "/api/v1/conferences/khong-co"):
        missing = client.get(url)
        assert missing.status_code == 404, url
        assert missing.is_json, url
        assert "requested URL" not in missing.get_json()["message"]
    assert client.get(f"/api/v1/conferences/{conference.slug}/answers").status_code == 200


def test_one_datetime_format_across_endpoints(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    create_conference(slug="hn-khac", starts_at=dt.datetime(2026, 12, 30, 1, 30, tzinfo=dt.UTC),
                      announced_at=utcnow().replace(microsecond=123456))
    db.session.commit()
    listed = client.get("/api/v1/conferences").get_json()["conferences"]
    detail = client.get(f"/api/v1/conferences/{conference.slug}").get_json()
    answers = client.get(f"/api/v1/conferences/{conference.slug}/answers").get_json()
    stamps = [c[k] for c in listed for k in ("starts_at", "announced_at")]
    stamps += [detail["starts_at"], detail["intake"]["opens_at"], detail["intake"]["closes_at"]]
    stamps += [m["due"] for m in detail["milestones"]] + [answers["conference"]["starts_at"]]
    assert stamps and all(ISO_SECONDS.match(s) for s in stamps), stamps
    other = next(c for c in listed if c["slug"] == "hn-khac")
    assert other["starts_at"] == "2026-12-30T08:30:00+07:00"
