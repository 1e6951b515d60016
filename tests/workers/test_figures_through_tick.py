"""A conference run by tick(now) with the real worker and SMTP server: the results report the system
mails to DN&GSĐT, decoded from the received bytes and read with python-docx, says what the database, the
quorum (`doithoai intake quorum`), the API and the conclusion notice say (issue #12 item 1)."""

from __future__ import annotations

import io
import json
import re

import docx
from sqlalchemy import func, select

from tests import moments
from tests.documents.test_render import all_text
from tests.factories import create_conference, create_recommendation, create_registration
from tests.jobs import run_jobs
from tests.workers.test_simulated_conference import ANNOUNCED, RESULTS_LEAD, TIMELINE
from webforms.domain.audit import SYSTEM
from webforms.domain.conferences import announce_conference
from webforms.domain.documents import build_context
from webforms.domain.intake.screening import screen_out
from webforms.domain.tick import tick
from webforms.extensions import db
from webforms.models import Conference, ConferenceStatus, Recommendation, Registration, Scope


def _number(text: str, pattern: str) -> int:
    match = re.search(pattern, text)
    assert match, pattern
    return int(match.group(1).replace(".", ""))


def test_results_report_mailed_by_tick_agrees_with_everything(app, settings, mailbox, rules):
    svc = app.extensions["doithoai"]
    with app.app_context():
        conference = create_conference(slug="dtdn-so-lieu", starts_at=moments.CONFERENCE_START,
                                       status=ConferenceStatus.DRAFT)
        db.session.commit()
        conference_id = conference.id
    for now in TIMELINE:
        with app.app_context():
            conference = db.session.get(Conference, conference_id)
            if now == ANNOUNCED:
                announce_conference(conference, now=now, rules=svc.rules, calendar=svc.calendar)
            if now == moments.INTAKE_OPEN:
                # As the public form leaves them: not screened (Scope.PENDING); DN&GSĐT screens one out.
                for i in range(16):
                    registration = create_registration(conference, registered_at=now)
                    if i < 7:
                        rec = create_recommendation(registration, received_at=now, scope=Scope.PENDING)
                        if i == 0:
                            screen_out(rec, "complaint", "", SYSTEM, now, rules=svc.rules, calendar=svc.calendar,
                                       settings=settings)
            if now == moments.AFTER_CONFERENCE:
                # Check-in (helper `conclude` builds the page): 11 of the 16 came.
                for registration in db.session.scalars(select(Registration).order_by(Registration.id).limit(11)):
                    registration.attended = True
            db.session.commit()
            tick(now, svc.rules, svc.calendar, settings, svc.redis)
            db.session.commit()
        run_jobs(app)
        if now == RESULTS_LEAD:
            break

    (report,) = [m for m in mailbox.messages if m.subject.startswith("Dự thảo báo cáo kết quả")]
    ((name, data),) = [(n, d) for n, d in report.attachments() if n.endswith(".docx")]
    assert name.startswith("Bao-cao-ket-qua-")
    text = " ".join(all_text(data).split())
    with app.app_context():
        conference = db.session.get(Conference, conference_id)
        attended = db.session.scalar(select(func.count()).where(Registration.attended.is_(True)))
        received = db.session.scalar(select(func.count(Recommendation.id)))
        out = db.session.scalar(select(func.count()).where(Recommendation.scope == Scope.OUT_OF_SCOPE))
        # The chair's conclusions, recorded as the back office does; the notice is built from them.
        from webforms.domain.conclusions import ConclusionInput, ItemInput, save_conclusion, subjects

        save_conclusion(conference, ConclusionInput(
            chair_name="Bùi Ngọc Hải", chair_title="Phó Trưởng ban", general="Hội nghị thành công.",
            items=[ItemInput(x.recommendation.id, x.lead_unit, [], "", x.due_on) for x in subjects(conference, rules)]),
            now=RESULTS_LEAD, rules=rules, actor=SYSTEM)
        notice = build_context("conclusion_notice", conference, rules, RESULTS_LEAD)
    cli = json.loads(app.test_cli_runner().invoke(args=["intake", "quorum", "dtdn-so-lieu"],
                                                 catch_exceptions=False).output)
    api = app.test_client().get("/api/v1/conferences/dtdn-so-lieu").get_json()
    assert (attended, received, out) == (11, 7, 1)
    assert _number(text, r"và (\d+) doanh nghiệp tham dự Hội nghị") == attended
    assert _number(text, r"Có (\d+) doanh nghiệp đăng ký") == cli["enterprises"] == 16
    assert _number(text, r"tiếp nhận (\d+) kiến nghị") == received
    in_scope = _number(text, r"trong đó (\d+) kiến nghị thuộc phạm vi Hội nghị")
    assert in_scope == received - out == cli["recommendations"] == api["counts"]["recommendations"] == 6
    assert cli["figures"]["attended"] == attended and cli["figures"]["out_of_scope_reasons"] == [
        {"code": "complaint", "count": 1}]
    assert len(notice["items"]) == in_scope and notice["attending"]["enterprises"] == str(attended)
    table = docx.Document(io.BytesIO(data)).tables[-2]  # Appendix I's figures; its list of recommendations follows
    rows = [[c.text for c in row.cells] for row in table.rows][1:]
    numbered = {label: int(value) for index, label, value, _ in rows if index}
    assert numbered["Số kiến nghị thuộc phạm vi Hội nghị"] == in_scope
    assert sum(numbered[label] for label in (
        "Số kiến nghị đã trả lời tại Hội nghị", "Số kiến nghị trả lời bằng văn bản đúng hạn",
        "Số kiến nghị quá hạn trả lời", "Số kiến nghị đang xử lý")) == in_scope
    assert numbered["Kiến nghị theo lĩnh vực"] == numbered["Kiến nghị theo đơn vị trả lời"] == in_scope
