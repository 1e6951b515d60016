"""The results-report and conclusion-notice milestones are done when their document is issued (numbered,
signed, sent), not when it is drafted, approved or published as a draft: until then the milestone stays
pending on the dashboard and the deadline engine keeps reminding, on the day and each working day after."""

from __future__ import annotations

from sqlalchemy import select

from tests.documents.conftest import build_full_conference
from tests.moments import local
from webforms.domain.dashboard import milestone_timeline
from webforms.domain.documents import generate_document
from webforms.domain.documents.issuing import approve_document, issue_document
from webforms.domain.tick import tick
from webforms.extensions import db
from webforms.models import ConferenceStatus, OutboxMessage

LEAD = local(2025, 9, 11, 9)  # reminder_lead working days before D+7 (15/09)
DUE_DAY = local(2025, 9, 15, 9)
DAYS_AFTER = (local(2025, 9, 16, 10), local(2025, 9, 17, 10))
ISSUE_AT = local(2025, 9, 17, 11)
NEXT_DAY = local(2025, 9, 18, 10)


def _acted(actions, milestone: str) -> list[tuple[str, str]]:
    return [(a["action"], a.get("stage", "")) for a in actions if a.get("milestone") == milestone]


def _state(conference, name, *, now, rules, calendar) -> str:
    return next(e.state for e in milestone_timeline(conference, now=now, rules=rules, calendar=calendar)
                if e.milestone.name == name)


def test_the_results_report_and_the_conclusion_notice_are_done_only_when_issued(
    app_ctx, rules, calendar, settings, signing_setup, signed_pdf
):
    redis = app_ctx.extensions["doithoai"].redis
    conference = build_full_conference(rules).conference  # held on 04/09/2025
    assert conference.status == ConferenceStatus.HELD
    db.session.commit()

    def run(now):
        return tick(now, rules, calendar, settings, redis)

    assert _acted(run(LEAD), "results_report") == [("results_report_requested", "")]
    assert _state(conference, "results_report", now=LEAD, rules=rules, calendar=calendar) == "drafted"
    assert _acted(run(DUE_DAY), "results_report") == [("remind_consolidation", "due")]
    assert _acted(run(DAYS_AFTER[0]), "results_report") == [("remind_consolidation", "overdue")]

    # The report is drafted and approved, and the conclusion notice is published as a draft: none is
    # issued, so both milestones stay pending and the reminders go on.
    report = approve_document(generate_document(conference, "results_report", rules, settings, DAYS_AFTER[0],
                                                pdf=False))
    notice = generate_document(conference, "conclusion_notice", rules, settings, DAYS_AFTER[0], pdf=False)
    notice.published = True
    approve_document(notice)
    db.session.commit()
    later = run(DAYS_AFTER[1])
    assert _acted(later, "results_report") == [("remind_consolidation", "overdue")]
    assert _acted(later, "conclusion_notice") == [("remind_office", "overdue")]
    for name in ("results_report", "conclusion_notice"):
        assert _state(conference, name, now=DAYS_AFTER[1], rules=rules, calendar=calendar) != "done", name

    for document in (report, notice):
        issue_document(document, rules, settings, ISSUE_AT, signed_pdf=signed_pdf, config=signing_setup.config)
    db.session.commit()
    after = run(NEXT_DAY)
    assert _acted(after, "results_report") == [] and _acted(after, "conclusion_notice") == []
    for name in ("results_report", "conclusion_notice"):
        assert _state(conference, name, now=NEXT_DAY, rules=rules, calendar=calendar) == "done", name

    reminders = [row.payload["subject"] for row in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"tick:{conference.id}:results_report:%"))
        .order_by(OutboxMessage.id))]
    assert reminders == [
        "[Nhắc việc] Hôm nay là hạn ban hành báo cáo kết quả Hội nghị đối thoại doanh nghiệp năm 2025",
        "[Nhắc việc] Quá hạn ban hành báo cáo kết quả Hội nghị đối thoại doanh nghiệp năm 2025",
        "[Nhắc việc] Quá hạn ban hành báo cáo kết quả Hội nghị đối thoại doanh nghiệp năm 2025",
    ]
