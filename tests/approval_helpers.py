"""A recommendation whose owning department has submitted a draft answer, made through the domain
functions the answer page itself calls (routing on receipt, save the draft, submit for approval)."""

from __future__ import annotations

import datetime as dt

from tests.factories import create_conference, create_enterprise, create_recommendation, create_registration
from webforms.domain import events, replies
from webforms.domain.audit import Actor
from webforms.extensions import db
from webforms.models import AssignmentRole
from webforms.timeutil import utcnow

DEPARTMENT = Actor(kind="department_link", name="qldt@heza.example.vn", ip="127.0.0.1")


def submitted_answer(app, rules, calendar, settings, *, conference=None, contact_email="giamdoc@congty.example.vn",
                     answer="Ban Quản lý trả lời: hồ sơ điều chỉnh gồm văn bản đề nghị và báo cáo tình hình.",
                     **recommendation_kwargs) -> dict:
    """Returns {"assignment_id", "code", "conference_id"}; everything committed."""
    with app.app_context():
        now = utcnow()
        if conference is None:
            conference = create_conference(starts_at=now + dt.timedelta(days=21))
        else:
            conference = db.session.merge(conference)
        registration = create_registration(conference, create_enterprise(zone_code="KCN-VSIP"),
                                           contact_email=contact_email)
        rec = create_recommendation(registration, field_code="DAU_TU", **recommendation_kwargs)
        events.recommendation_received.send(rec, now=now, rules=rules, calendar=calendar, settings=settings)
        (assignment,) = [a for a in rec.assignments if a.role == AssignmentRole.OWNER]
        replies.save_draft_answer(assignment, answer, actor=DEPARTMENT, now=now)
        replies.submit_for_approval(assignment, actor=DEPARTMENT, now=now, rules=rules, calendar=calendar,
                                    settings=settings)
        db.session.commit()
        return {"assignment_id": assignment.id, "code": rec.code, "conference_id": conference.id}
