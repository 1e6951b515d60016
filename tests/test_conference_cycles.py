"""A conference's dates as cycles, driven through the CLI and `tick --now` (issue #12 items 2, 7, 9).

The reference conference is Thursday 04/09/2025 08:30 (intake closes 26/08); postponed to Thursday
02/10/2025 08:30, whose announce_by is 23/09, intake close 25/09 and written reply 13/10.
"""

import json

import pytest
from sqlalchemy import select

from tests import moments
from tests.factories import create_conference, create_recommendation, create_registration
from webforms.domain import events
from webforms.extensions import db
from webforms.models import (
    Assignment,
    AuditEvent,
    Conference,
    ConferenceStatus,
    Document,
    MilestoneRun,
    OutboxMessage,
)

NEW_DATE = moments.local(2025, 10, 2, 8, 30)


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, ok=True):
        result = runner.invoke(args=list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def tick_at(cli, when, *, milestones_only=False) -> list[dict]:
    result = cli("tick", "--now", when.isoformat())
    actions = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    return [a for a in actions if a.get("milestone")] if milestones_only else actions


def status(cli, slug="hn") -> dict:
    return json.loads(cli("conference", "status", slug, "--json").output)


def mails(template_word: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "mail")
                              .order_by(OutboxMessage.id)).all()
    return [r for r in rows if template_word is None or template_word in (r.dedupe_key or "")]


def tasks(name: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return [r for r in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "task"))
            if r.payload["task"] == name]


def conference_row(slug="hn") -> Conference:
    db.session.expire_all()
    return db.session.scalar(select(Conference).where(Conference.slug == slug))


def registrations(conference, n, recommendations, *, at=None):
    regs = [create_registration(conference, registered_at=at) for _ in range(n)]
    for reg in regs[:recommendations]:
        create_recommendation(reg)
    return regs


def routed(conference, rules, calendar, settings, *, at=None):
    """A recommendation routed to its department (an open owner assignment due D+7)."""
    reg = create_registration(conference, registered_at=at)
    rec = create_recommendation(reg)
    events.recommendation_received.send(rec, now=at or moments.INTAKE_OPEN, rules=rules, calendar=calendar,
                                        settings=settings)
    db.session.commit()
    return rec


def test_postponement_starts_a_new_cycle_that_runs_to_the_end(app_ctx, cli, rules, calendar, settings):
    conference = create_conference(slug="hn")
    registrations(conference, 13, 4)
    rec = routed(conference, rules, calendar, settings)
    (owner,) = rec.assignments
    assert owner.due_at == moments.D_PLUS_7
    # 14 enterprises, 5 recommendations: short of the quorum at the first close.
    assert [a["action"] for a in tick_at(cli, moments.INTAKE_CLOSED) if a.get("milestone")] == [
        "postponement_proposed"]
    before = len(mails())

    out = cli("conference", "postpone", "hn", "--date", "2025-10-02", "--time", "08:30",
              "--reason", "Chưa đủ số doanh nghiệp đăng ký", "--now", "2025-08-28T09:00").output
    assert "cycle 2" in out and "status draft" in out
    conference = conference_row()
    assert (conference.status, conference.cycle, conference.starts_at) == (ConferenceStatus.DRAFT, 2, NEW_DATE)
    assert conference.announced_at is None
    # The open assignment follows the new date in the same transaction; its department is told once.
    db.session.expire_all()
    assert db.session.get(Assignment, owner.id).due_at == moments.local(2025, 10, 13, 23, 59, 59)
    moved = mails("deadlines:")
    assert len(moved) == 1
    assert moved[0].payload["to"] == list(rules.department(owner.department.code).emails)
    assert "Thay đổi thời hạn" in moved[0].payload["subject"]
    # The cause the department reads is the postponement, worded by the template, not a holiday change.
    assert "Do Hội nghị được hoãn sang ngày 02/10/2025, thời hạn" in moved[0].payload["text"]
    assert "nghỉ lễ" not in moved[0].payload["text"]
    assert f"điều chỉnh. {conference.title} tổ chức lúc 08:30 ngày 02/10/2025." in moved[0].payload["text"]
    assert len(mails()) > before  # and the participants were told of the postponement

    # The old date's deadlines pass: nothing is escalated, nothing reminded for the old date.
    for when in (moments.D_PLUS_7, moments.local(2025, 9, 16, 9)):
        acted = tick_at(cli, when)
        assert not [a for a in acted if "overdue" in a["action"] or a["action"] == "escalated"], acted

    # Announced again for the new date (on time), more registrations, quorum met at the new close.
    cli("conference", "announce", "hn", "--now", "2025-09-15T09:00")
    assert conference_row().status == ConferenceStatus.ANNOUNCED
    registrations(conference_row(), 1, 0, at=moments.local(2025, 9, 20, 10))
    db.session.commit()
    assert tick_at(cli, moments.local(2025, 9, 25, 23, 59, 59), milestones_only=True) == []
    closed = tick_at(cli, moments.local(2025, 9, 26, 0, 0, 0))
    assert [(a["milestone"], a["action"], a["cycle"]) for a in closed
            if a["milestone"] == "intake_closes"] == [("intake_closes", "confirmed", 2)]
    (invitations,) = tasks("send_invitations")
    assert invitations.payload["args"]["cycle"] == 2
    assert invitations.dedupe_key.endswith("@2")
    # The later milestones act for the new date: the answers table at D−1, the results report draft.
    assert [a["milestone"] for a in tick_at(cli, moments.local(2025, 10, 2, 0, 1), milestones_only=True)] == [
        "answers_prepared_by"]
    assert [a["milestone"] for a in tick_at(cli, moments.local(2025, 10, 9, 9), milestones_only=True)] == [
        "conclusion_notice", "results_report"]

    data = status(cli)
    assert data["cycle"] == 2 and data["status"] == ConferenceStatus.CONFIRMED
    assert data["quorum"]["met"] is True and data["quorum"]["enterprises"] == 15
    states = {m["name"]: m["state"] for m in data["milestones"]}
    assert states["intake_closes"] == "done" and states["announce_by"] == "done"
    assert states["results_report"] == "drafted"
    (old,) = data["history"]
    assert old["cycle"] == 1 and old["starts_at"] == "2025-09-04T08:30:00+07:00"
    assert [(r["key"], r["action"]) for r in old["runs"]] == [("intake_closes", "postponement_proposed")]
    keys = db.session.execute(select(MilestoneRun.cycle, MilestoneRun.milestone)
                              .where(MilestoneRun.milestone == "intake_closes")).all()
    assert sorted(keys) == [(1, "intake_closes"), (2, "intake_closes")]


def test_what_came_in_after_the_old_close_counts_for_the_new_one(app_ctx, cli):
    conference = create_conference(slug="hn")
    registrations(conference, 14, 5)
    late = create_registration(conference, registered_at=moments.INTAKE_CLOSED, late=True)
    db.session.commit()
    tick_at(cli, moments.INTAKE_CLOSED)
    cli("conference", "postpone", "hn", "--date", "2025-10-02", "--reason", "Hoãn", "--now", "2025-08-28T09:00")
    db.session.refresh(late)
    assert late.late is False
    assert status(cli)["quorum"]["enterprises"] == 15


def test_postponement_and_cancel_refusals(app_ctx, cli):
    create_conference(slug="hn")
    db.session.commit()
    day_off = cli("conference", "postpone", "hn", "--date", "2025-09-02", "--reason", "x",
                  "--now", "2025-08-20T09:00", ok=False)
    assert day_off.exit_code == 1
    assert "02/09/2025 is not a working day (Quốc khánh)" in day_off.output
    past = cli("conference", "postpone", "hn", "--date", "2025-08-19", "--reason", "x",
               "--now", "2025-08-20T09:00", ok=False)
    assert past.exit_code == 1 and "future" in past.output
    assert "cancelled" in cli("conference", "cancel", "hn", "--reason", "Không đủ kinh phí",
                              "--now", "2025-08-20T09:00").output
    assert conference_row().status == ConferenceStatus.CANCELLED
    again = cli("conference", "postpone", "hn", "--date", "2025-10-02", "--reason", "x",
                "--now", "2025-08-20T09:00", ok=False)
    assert again.exit_code == 1 and "cannot be postponed" in again.output
    assert cli("conference", "cancel", "khong-co", "--reason", "x", ok=False).exit_code == 1


def test_a_conference_never_announced_does_not_pass_intake_close_as_announced(app_ctx, cli, rules):
    create_conference(slug="hn", status=ConferenceStatus.DRAFT)
    db.session.commit()
    acted = tick_at(cli, moments.INTAKE_CLOSED)
    closing = [a for a in acted if a["milestone"] == "intake_closes"]
    assert [a["action"] for a in closing] == ["not_announced"]
    assert closing[0]["cc"] == list(rules_leaders(rules))
    assert conference_row().status == ConferenceStatus.DRAFT
    assert tasks("render_document") == []  # no postponement report claiming it was announced
    (alert,) = mails("intake_closes")
    assert "chưa được đăng thông báo" in alert.payload["subject"]
    assert tick_at(cli, moments.INTAKE_CLOSED, milestones_only=True) == []  # once
    # The Office moves it to a new date: the new cycle's announcement reminders start over.
    cli("conference", "postpone", "hn", "--date", "2025-10-02", "--reason", "Chưa đăng thông báo kịp",
        "--now", "2025-08-28T09:00")
    assert (conference_row().status, conference_row().cycle) == (ConferenceStatus.DRAFT, 2)
    lead = tick_at(cli, moments.local(2025, 9, 19, 9), milestones_only=True)
    assert [(a["milestone"], a["stage"], a["cycle"]) for a in lead] == [("announce_by", "lead", 2)]


def rules_leaders(rules):
    from webforms.domain.recipients import recipients_for

    return recipients_for(rules).leaders


def test_a_missed_announcement_is_escalated_each_working_day_until_the_conference(app_ctx, cli, rules):
    create_conference(slug="hn", status=ConferenceStatus.DRAFT)
    db.session.commit()
    tick_at(cli, moments.local(2025, 8, 22, 9))  # the due day
    monday = tick_at(cli, moments.local(2025, 8, 25, 9))
    assert [(a["action"], a["stage"]) for a in monday] == [("alert_office_and_leaders", "overdue")]
    assert monday[0]["cc"] == list(rules_leaders(rules))
    assert tick_at(cli, moments.local(2025, 8, 25, 15)) == []
    assert tick_at(cli, moments.local(2025, 8, 23, 9)) == []  # Saturday: no alert
    tuesday = [a for a in tick_at(cli, moments.local(2025, 8, 26, 9)) if a["milestone"] == "announce_by"]
    assert len(tuesday) == 1
    assert "Quá hạn" in mails("announce_by:overdue:2025-08-26")[0].payload["subject"]
    after = tick_at(cli, moments.local(2025, 9, 5, 9))
    assert [a for a in after if a["milestone"] == "announce_by"] == []


def test_a_late_announcement_needs_a_reason_and_records_both_channels(app_ctx, cli, client):
    create_conference(slug="hn", status=ConferenceStatus.DRAFT)
    db.session.commit()
    refused = cli("conference", "announce", "hn", "--now", "2025-08-25T09:00", ok=False)
    assert refused.exit_code == 1 and "give a reason" in refused.output
    assert conference_row().status == ConferenceStatus.DRAFT
    cli("conference", "announce", "hn", "--now", "2025-08-25T09:00", "--reason", "Chờ ý kiến lãnh đạo Ban",
        "--one-stop-at", "2025-08-25T14:00")
    conference = conference_row()
    assert conference.status == ConferenceStatus.ANNOUNCED
    assert conference.late_announcement_reason == "Chờ ý kiến lãnh đạo Ban"
    assert conference.posted_portal_at == moments.local(2025, 8, 25, 9)
    assert conference.posted_one_stop_at == moments.local(2025, 8, 25, 14)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "conference.announce"))
    assert event.details["late_reason"] == "Chờ ý kiến lãnh đạo Ban"
    assert status(cli)["announcement"]["late_reason"] == "Chờ ý kiến lãnh đạo Ban"


def test_announcing_after_the_intake_closed_is_refused(app_ctx, cli):
    create_conference(slug="hn", status=ConferenceStatus.DRAFT)
    db.session.commit()
    refused = cli("conference", "announce", "hn", "--now", "2025-09-01T09:00", "--reason", "x", ok=False)
    assert refused.exit_code == 1 and "postpone" in refused.output


def test_a_conference_on_a_day_off_is_refused_with_the_reason(cli):
    result = cli("conference", "create", "--title", "Hội nghị Tết", "--date", "2027-02-08", "--venue", "Trụ sở",
                 "--slug", "hn-tet", ok=False)
    assert result.exit_code == 1
    assert "08/02/2027 is not a working day (Mùng ba Tết Nguyên Đán)" in result.output
    sunday = cli("conference", "create", "--title", "Hội nghị", "--date", "2025-09-07", "--venue", "Trụ sở",
                 ok=False)
    assert "Chủ nhật" in sunday.output


def test_the_dashboard_tells_the_truth_about_documents(app_ctx, rules, calendar):
    from webforms.domain.dashboard import milestone_timeline

    conference = create_conference(slug="hn", status=ConferenceStatus.HELD, held_at=moments.AFTER_CONFERENCE)
    db.session.add(MilestoneRun(conference_id=conference.id, cycle=1, milestone="results_report",
                                action="results_report_requested", as_of=moments.local(2025, 9, 11)))
    db.session.add(MilestoneRun(conference_id=conference.id, cycle=1, milestone="conclusion_notice:overdue:2025-09-16",
                                action="remind_office", as_of=moments.local(2025, 9, 16)))
    notice = Document(conference_id=conference.id, kind="conclusion_notice", status="done", published=True)
    db.session.add(notice)
    db.session.commit()

    def states():
        return {e.milestone.name: e.state for e in milestone_timeline(
            conference, now=moments.local(2025, 9, 22), rules=rules, calendar=calendar)}

    assert states()["results_report"] == "drafted"  # rendered is not sent
    assert states()["conclusion_notice"] == "overdue"  # a draft published is not the issued notice
    assert states()["conference"] == "done"
    for state in ("approved", "signed", "issued"):  # the văn thư issues it (issuing.py does these moves)
        notice.move_to(state)
    notice.number, notice.symbol, notice.issued_on = 1, "TB-BQL", moments.local(2025, 9, 19).date()
    db.session.commit()
    assert states()["conclusion_notice"] == "done"  # issued, though its reminders ran


def test_a_holiday_decision_moves_open_deadlines_once_per_department(app_ctx, rules, settings):
    """A day off decreed after assignments exist (holidays.yaml edited): the next tick moves every open
    deadline it touches and tells each department once."""
    import dataclasses

    from config.rules import CalendarEntry
    from webforms.domain.tick import tick
    from webforms.domain.workdays import WorkingCalendar

    calendar = WorkingCalendar(rules.holidays)
    conference = create_conference(slug="hn")
    first = routed(conference, rules, calendar, settings)
    second = routed(conference, rules, calendar, settings)
    redis = app_ctx.extensions["doithoai"].redis
    tick(moments.INTAKE_OPEN, rules, calendar, settings, redis)
    decided = dataclasses.replace(rules.holidays, days_off=(*rules.holidays.days_off, CalendarEntry(
        date=moments.local(2025, 9, 10).date(), name="Nghỉ theo quyết định", source="Thông báo thử")))
    new_rules = dataclasses.replace(rules, holidays=decided)
    new_calendar = WorkingCalendar(decided)
    acted = tick(moments.local(2025, 8, 25, 11), new_rules, new_calendar, settings, redis)
    moved = [a for a in acted if a["action"] == "deadlines_moved"]
    assert [(a["department"], a["assignments"]) for a in moved] == [(first.assignments[0].department.code, 2)]
    db.session.expire_all()
    for rec in (first, second):
        assert db.session.get(Assignment, rec.assignments[0].id).due_at == moments.local(2025, 9, 16, 23, 59, 59)
    assert len(mails("deadlines:")) == 1
    assert "Do lịch ngày nghỉ lễ được cập nhật, thời hạn" in mails("deadlines:")[0].payload["text"]
    assert [a for a in tick(moments.local(2025, 8, 25, 12), new_rules, new_calendar, settings, redis)
            if a["action"] == "deadlines_moved"] == []
