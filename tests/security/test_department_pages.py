"""F12: department pages name units and roles, never staff logins or IP addresses; the Board's own
comments stay off the pages of outside agencies."""

import pytest
from sqlalchemy import select

from tests.factories import create_user
from tests.web.test_reply import future_recommendation
from webforms.domain.audit import Actor, record
from webforms.domain.links import sign_link
from webforms.extensions import db
from webforms.models import Assignment, AssignmentRole, Department, Recommendation
from webforms.timeutil import utcnow

pytestmark = pytest.mark.security

STAFF = "consolidation.staff@t.example.vn"
COMMENT = "Nội bộ Ban: dự thảo chưa đạt, sửa căn cứ pháp lý"


def test_history_shows_units_and_roles_only(app, client, rules, calendar, settings):
    code = future_recommendation(app, rules, calendar, settings)
    with app.app_context():
        create_user(role="consolidation", email=STAFF)
        recommendation = db.session.scalar(select(Recommendation).where(Recommendation.code == code))
        owner = next(a for a in recommendation.assignments if a.role == AssignmentRole.OWNER)
        thue = db.session.scalar(select(Department).where(Department.code == "THUE"))
        external = Assignment(recommendation_id=recommendation.id, department_id=thue.id,
                              role=AssignmentRole.COORDINATING, parent_id=owner.id, due_at=owner.due_at)
        db.session.add(external)
        record(Actor(kind="user", name=STAFF, ip="10.20.30.40", user_agent="x"), "answer.send_back",
               "recommendation", code, now=utcnow(), department=owner.department.code, comment=COMMENT)
        db.session.commit()
        owner_path = "/tra-loi/" + sign_link(owner, settings.secret_key)
        external_path = "/tra-loi/" + sign_link(external, settings.secret_key)
    for path in (owner_path, external_path):
        page = client.get(path)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert STAFF not in text and "10.20.30.40" not in text
        assert "Phòng Doanh nghiệp và Giám sát đầu tư" in text  # the role that acted
    assert COMMENT in client.get(owner_path).get_data(as_text=True)  # the Board's own unit reads it
    assert COMMENT not in client.get(external_path).get_data(as_text=True)
