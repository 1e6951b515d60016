"""Role checks for every back-office route, found from the URL map so a new route cannot slip by."""

import re

import pytest

from tests.factories import create_conference, create_recommendation, create_registration, create_user
from tests.login import csrf, csrf_from, login
from webforms.domain.departments import sync_departments
from webforms.extensions import db
from webforms.models import Assignment, Document, Invitee, OutboxMessage, Role

PUBLIC_ENDPOINTS = {"backoffice.login", "backoffice.logout"}


def backoffice_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("backoffice.")
            and r.endpoint not in PUBLIC_ENDPOINTS]


@pytest.fixture
def world(app_ctx):
    conference = create_conference(slug="hn-quyen")
    registration = create_registration(conference)
    recommendation = create_recommendation(registration)
    invitee = Invitee(conference_id=conference.id, category="press", name="Báo Hải Phòng")
    document = Document(conference_id=conference.id, kind="announcement", status="done", path="x.docx")
    outbox = OutboxMessage(kind="mail", payload={}, status="failed")
    user = create_user(role="leader")
    department = sync_departments(app_ctx.extensions["doithoai"].rules)[0]
    assignment = Assignment(recommendation_id=recommendation.id, department_id=department.id,
                            due_at=conference.starts_at)
    db.session.add_all([invitee, document, outbox, assignment])
    db.session.commit()
    return {"slug": conference.slug, "rec_id": recommendation.id, "invitee_id": invitee.id,
            "assignment_id": assignment.id,
            "document_id": document.id, "row_id": outbox.id, "user_id": user.id, "fmt": "csv",
            "kind": "announcement", "registration_id": registration.id, "code": registration.tracking_code}


def url_for_rule(rule, values) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


def test_every_backoffice_route_declares_a_permission(app):
    missing = [r.endpoint for r in backoffice_rules(app)
               if not hasattr(app.view_functions[r.endpoint], "required_permission")]
    assert missing == []


def test_anonymous_is_sent_to_login_everywhere(app, client, world):
    """With a valid CSRF token, so the login check itself is what refuses."""
    token = csrf_from(client.get("/quan-tri/dang-nhap").get_data(as_text=True))
    checked = 0
    for rule in backoffice_rules(app):
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url_for_rule(rule, world), method=method,
                                   data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 302, (rule.endpoint, method)
            assert "/quan-tri/dang-nhap" in response.headers["Location"], rule.endpoint
            checked += 1
    assert checked >= 30


def test_department_or_enterprise_tokens_never_open_a_staff_page(app, client, world):
    for rule in backoffice_rules(app):
        if "GET" in rule.methods:
            url = url_for_rule(rule, world) + "?token=abc.def.ghi&t=abc"
            assert client.get(url).status_code == 302, rule.endpoint


def test_wrong_role_gets_403_on_every_route(app, client, rules, world):
    """For each route, every role the plan's permissions leave out is refused with 403."""
    users = {role: create_user(role=role) for role in Role}
    db.session.commit()
    clients, tokens = {}, {}
    for role, user in users.items():
        c = app.test_client()
        assert login(c, user.email).status_code == 302
        clients[role], tokens[role] = c, csrf(c)
    refusals = 0
    for rule in backoffice_rules(app):
        action = app.view_functions[rule.endpoint].required_permission
        for role in Role:
            if rules.plan.may(role, action):
                continue
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                response = clients[role].open(url_for_rule(rule, world), method=method,
                                              data={"csrf_token": tokens[role]} if method == "POST" else None)
                assert response.status_code == 403, (rule.endpoint, role, method)
                refusals += 1
    assert refusals > 20


def test_secretariat_cannot_decide_what_answers_are_published(client, staff, rules, world):
    assert not rules.plan.may("secretariat", "approve_answer")
    staff("secretariat")
    page = client.get(f"/quan-tri/kien-nghi/{world['rec_id']}")
    assert page.status_code == 200
    assert "Công khai trên chuyên mục" not in page.get_data(as_text=True)
    token = csrf(client)
    assert client.post(f"/quan-tri/kien-nghi/{world['rec_id']}/rieng-tu",
                       data={"csrf_token": token, "private": "y"}).status_code == 403


def test_leader_may_read_the_dashboard_but_not_publish(client, staff, world):
    staff("leader")
    assert client.get(f"/quan-tri/hoi-nghi/{world['slug']}").status_code == 200
    assert client.post(f"/quan-tri/hoi-nghi/{world['slug']}/dang-thong-bao",
                       data={"csrf_token": csrf(client)}).status_code == 403
