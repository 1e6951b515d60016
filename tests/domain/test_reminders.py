"""Reminders and escalations on the right working days, once; coordination moves the deadline.

Reference conference: Thursday 04/09/2025 (tests/moments.py). Written reply D+7 wd = Monday
15/09/2025; coordinated reply D+14 wd = Wednesday 24/09/2025; reminder_lead = 2 wd.
"""

from tests.factories import create_conference, create_enterprise, create_recommendation, create_registration
from tests.jobs import run_jobs
from tests.moments import INTAKE_OPEN, local
from webforms.domain import events, replies
from webforms.domain.audit import Actor
from webforms.domain.reminders import run_reminders
from webforms.extensions import db

ACTOR = Actor(kind="department_link", name="qldt@heza.example.vn", ip="127.0.0.1")


def setup_items(rules, calendar, settings, fields=("DAU_TU",)):
    conference = create_conference()
    recs = []
    for field in fields:
        registration = create_registration(conference, create_enterprise())
        rec = create_recommendation(registration, field_code=field)
        events.recommendation_received.send(rec, now=INTAKE_OPEN, rules=rules, calendar=calendar, settings=settings)
        recs.append(rec)
    run_reminders(INTAKE_OPEN, rules, calendar, settings)  # the assignment emails
    for rec in recs:  # a draft exists, so the D-1 "prepare" reminder does not apply
        replies.save_draft_answer(rec.assignments[0], "Dự thảo.", actor=ACTOR, now=INTAKE_OPEN)
    return conference, recs


def kinds(actions, kind):
    return [a for a in actions if a["action"] == kind]


def test_reminder_lead_working_days_before_the_reply_deadline_once(app_ctx, rules, calendar, settings):
    _, (rec,) = setup_items(rules, calendar, settings)
    assert kinds(run_reminders(local(2025, 9, 10, 9), rules, calendar, settings), "reminder") == []
    thursday = local(2025, 9, 11, 9)  # 15/09 minus 2 working days
    first = kinds(run_reminders(thursday, rules, calendar, settings), "reminder")
    assert [(a["recommendation"], a["due"], a["deadline"]) for a in first] == [(rec.code, "2025-09-15", "reply")]
    assert run_reminders(thursday, rules, calendar, settings) == []
    assert kinds(run_reminders(local(2025, 9, 12, 9), rules, calendar, settings), "reminder") == []


def test_prepare_by_d_minus_1_reminder_for_items_without_a_draft(app_ctx, rules, calendar, settings):
    conference = create_conference()
    rec = create_recommendation(create_registration(conference), field_code="DAU_TU")
    events.recommendation_received.send(rec, now=INTAKE_OPEN, rules=rules, calendar=calendar, settings=settings)
    d_minus_1 = calendar.add_working_days(local(2025, 9, 4).date(), -1)
    lead_day = calendar.add_working_days(d_minus_1, -rules.plan.reminder_lead)
    now = local(lead_day.year, lead_day.month, lead_day.day, 9)
    actions = kinds(run_reminders(now, rules, calendar, settings), "reminder")
    assert [(a["deadline"], a["due"]) for a in actions] == [("answers_prepared_by", d_minus_1.isoformat())]


def test_overdue_digest_on_the_due_date_and_each_working_day_after(app, rules, calendar, settings, mailbox):
    with app.app_context():
        _, recs = setup_items(rules, calendar, settings, fields=("DAU_TU", "DAU_TU", "LAO_DONG"))
        codes = [r.code for r in recs]
        db.session.commit()
    run_jobs(app)
    mailbox.clear()
    with app.app_context():
        due_day = local(2025, 9, 15, 8)
        actions = kinds(run_reminders(due_day, rules, calendar, settings), "overdue_digest")
        assert sorted((a["department"], a["recipient"], len(a["recommendations"])) for a in actions) == [
            ("DNGSDT", "consolidation", 3), ("QLDT", "head", 2), ("QLLD", "head", 1)]
        assert kinds(run_reminders(due_day, rules, calendar, settings), "overdue_digest") == []
        assert kinds(run_reminders(local(2025, 9, 15, 17), rules, calendar, settings), "overdue_digest") == []
        assert kinds(run_reminders(local(2025, 9, 13, 9), rules, calendar, settings), "overdue_digest") == []
        assert kinds(run_reminders(local(2025, 9, 20, 9), rules, calendar, settings), "overdue_digest") == []  # Sat
        db.session.commit()
    run_jobs(app)
    (head,) = mailbox.to("truongphong.qldt@heza.example.vn")
    assert codes[0] in head.text
    assert codes[1] in head.text
    assert codes[2] not in head.text
    assert "đến hạn hôm nay" in head.text
    (consolidation,) = [m for m in mailbox.to("dngsdt@heza.example.vn") if m.subject.startswith("Tổng hợp")]
    assert "Phòng Quản lý Đầu tư (2)" in consolidation.text and "Phòng Quản lý Lao động (1)" in consolidation.text
    with app.app_context():
        tuesday = kinds(run_reminders(local(2025, 9, 16, 9), rules, calendar, settings), "overdue_digest")
        assert len(tuesday) == 3
        db.session.commit()
    run_jobs(app)
    assert "quá hạn 1 ngày làm việc" in mailbox.to("truongphong.qldt@heza.example.vn")[-1].text


def test_coordination_moves_the_deadline_from_d7_to_d14(app_ctx, rules, calendar, settings):
    _, (rec,) = setup_items(rules, calendar, settings)
    owner = rec.assignments[0]
    assert owner.due_at == local(2025, 9, 15, 23, 59, 59)
    replies.declare_coordination(owner, ["THUE"], actor=ACTOR, now=INTAKE_OPEN, rules=rules, calendar=calendar,
                                 settings=settings)
    assert owner.due_at == local(2025, 9, 24, 23, 59, 59)
    # The agency's own deadline: coordination_input, D+10 wd = Thursday 18/09, before the lead unit's.
    assert rec.assignments[1].due_at == local(2025, 9, 18, 23, 59, 59)
    # No reminder for the old deadline, one for the new one, and no escalation on 15/09.
    assert kinds(run_reminders(local(2025, 9, 11, 9), rules, calendar, settings), "reminder") == []
    assert kinds(run_reminders(local(2025, 9, 15, 9), rules, calendar, settings), "overdue_digest") == []
    agency = kinds(run_reminders(local(2025, 9, 16, 9), rules, calendar, settings), "reminder")
    assert [(a["department"], a["due"]) for a in agency] == [("THUE", "2025-09-18")]
    reminders = kinds(run_reminders(local(2025, 9, 22, 9), rules, calendar, settings), "reminder")
    assert sorted(a["department"] for a in reminders) == ["QLDT"]


def test_weekly_summary_once_a_week(app, rules, calendar, settings, mailbox):
    with app.app_context():
        setup_items(rules, calendar, settings)
        monday = local(2025, 9, 8, 9)
        summary = kinds(run_reminders(monday, rules, calendar, settings), "weekly_summary")
        assert [a["week"] for a in summary] == ["2025-W37"]
        assert kinds(run_reminders(local(2025, 9, 9, 9), rules, calendar, settings), "weekly_summary") == []
        db.session.commit()
    mailbox.clear()
    run_jobs(app)
    summaries = [m for m in mailbox.to("truongban@heza.example.vn") if "tuần 37" in m.subject]
    assert len(summaries) == 1
    assert "Phòng Quản lý Đầu tư: đang xử lý 1" in summaries[0].text


def test_the_reminder_window_is_the_rule_it_replaces(calendar):
    """(today, add_working_days(today, lead)] holds exactly the due days d with
    add_working_days(d, -lead) <= today < d, on every working day of two years (Tết included)."""
    import datetime as dt

    from webforms.domain.reminders.selection import _in_window, reminder_window

    day = dt.date(2025, 1, 1)
    checked = 0
    for _ in range(731):
        if calendar.is_working_day(day):
            for lead in (0, 1, 2, 3, 5):
                by_rule = [day + dt.timedelta(days=k) for k in range(-5, 40)
                           if _in_window(day + dt.timedelta(days=k), day, lead, calendar)]
                window = reminder_window(day, lead, calendar)
                if window is None:
                    assert by_rule == []
                else:
                    first, last = window
                    assert by_rule == [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
                checked += 1
        day += dt.timedelta(days=1)
    assert checked > 2000


def test_a_revoked_link_is_announced_again_while_the_item_is_open(app_ctx, rules, calendar, settings):
    from webforms.domain.links import revoke_links
    from webforms.domain.routing import close_assignments

    _, (first, second) = setup_items(rules, calendar, settings, fields=("DAU_TU", "LAO_DONG"))
    open_one, closed_one = first.assignments[0], second.assignments[0]
    assert open_one.notified_at is not None
    assert closed_one.notified_at is not None
    revoke_links(open_one)
    close_assignments(second, now=INTAKE_OPEN)
    assert open_one.notified_at is None
    assert closed_one.notified_at is not None  # a closed item owes no notice
    later = local(2025, 8, 26, 9)
    actions = kinds(run_reminders(later, rules, calendar, settings), "assignment_notice")
    assert [a["recommendations"] for a in actions] == [[first.code]]
    assert open_one.notified_at == later
    assert kinds(run_reminders(later, rules, calendar, settings), "assignment_notice") == []


def _watch(fn) -> tuple[list[str], int]:
    """The SQL statements `fn` runs and the number of Assignment rows the ORM loads meanwhile."""
    from sqlalchemy import event

    from webforms.models import Assignment

    statements: list[str] = []
    loaded = [0]

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def on_load(target, context):
        loaded[0] += 1

    event.listen(db.engine, "before_cursor_execute", on_statement)
    event.listen(Assignment, "load", on_load)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", on_statement)
        event.remove(Assignment, "load", on_load)
    return statements, loaded[0]


def test_a_steady_tick_runs_the_same_few_statements_however_many_items_wait(app_ctx, rules, calendar,
                                                                            settings):
    """A tick with nothing new to do loads no assignment and runs the same few statements whether 3 or
    33 items are inside their reminder window (one bulk dedupe query, not one per item) and however
    many far-future items wait."""
    import datetime as dt

    from webforms.domain.tick import tick

    redis = app_ctx.extensions["doithoai"].redis
    thursday = local(2025, 9, 11, 9)  # reminder_lead wd before the 15/09 reply deadline
    near = create_conference().id
    later = create_conference(starts_at=local(2025, 12, 4, 8, 30)).id

    def add(conference_id, n):
        from webforms.models import Conference

        conference = db.session.get(Conference, conference_id)
        for _ in range(n):
            rec = create_recommendation(create_registration(conference), field_code="DAU_TU")
            events.recommendation_received.send(rec, now=thursday, rules=rules, calendar=calendar,
                                                settings=settings)
        db.session.commit()

    def steady(minute):
        actions = []
        db.session.expunge_all()
        statements, loaded = _watch(
            lambda: actions.extend(tick(thursday + dt.timedelta(minutes=minute), rules, calendar, settings,
                                        redis)))
        assert actions == []
        return statements, loaded

    add(near, 3)
    add(later, 3)
    assert len(kinds(tick(thursday, rules, calendar, settings, redis), "reminder")) == 3
    few, loaded = steady(1)
    assert loaded == 0
    add(near, 30)
    add(later, 30)
    assert len(kinds(tick(thursday + dt.timedelta(minutes=2), rules, calendar, settings, redis),
                     "reminder")) == 30
    many, loaded = steady(3)
    assert loaded == 0
    # Two of them: whether the day's anonymisation ran (privacy), and the receipts held by the per-address
    # limit (a partial index holds only those).
    assert len(many) == len(few) <= 27
