"""The deadline sweep: `tick(now)` with N assignments, 1 % of them due, for N = 10,000 and 100,000.

Measured per N on a fresh database: the first tick (queues the 1 % work: reminders, overdue digests,
the weekly summary), then the median of 30 steady ticks a minute apart (nothing new to do). The goals
(issue 8): a steady tick under 100 ms at 100,000 assignments, and steady(100k)/steady(10k) close to 1,
i.e. the tick grows with the due items, not with all items. Then the plan of every query a steady tick
runs (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite), to show the index use.
Issue 18's history dimension: 100,000 assignments with and without 1,000,000 finished outbox rows and
300,000 audit events, on two databases open at once whose steady ticks alternate (goal: within 1.2x).

Database: SQLite in a temporary folder by default. With DATABASE_URL=postgresql://user@host[:port][/db]
the bench creates its own database `doithoai_sweep_bench` on that server (dropped and created for each
N, dropped at the end); the database named in the URL is never touched. For example:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432 .venv/bin/python -m bench.sweep_bench

Seeding uses bulk INSERT … executemany and ANALYZE (what autovacuum would do on a live server).
Every loop is bounded; only loopback/local databases are used.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
from zoneinfo import ZoneInfo

from bench.common import bench_app, fresh_database, median, print_table, row

SIZES = (10_000, 100_000)
DUE_SHARE = 0.01  # the load: 1 % of the items due
STEADY_TICKS = 30  # the machines are noisy: a median of many
PER_REGISTRATION = 10  # recommendations per registration (and per enterprise)
BATCH = 5_000  # rows per executemany
BENCH_DB = "doithoai_sweep_bench"
HISTORY_OUTBOX = 1_000_000  # finished outbox rows of past years (issue 18)
HISTORY_AUDIT = 300_000  # audit events of past years
PLAN_WIDTH = 240  # characters per printed plan line (an IN list of 500 keys is long)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Monday of the written-reply week: reminder_lead (2 wd) window is (15/09, 17/09]; items due
# on Friday 12/09 are overdue; a Monday, so the weekly summary is due too.
NOW = dt.datetime(2025, 9, 15, 9, 0, tzinfo=VN)
OVERDUE_AT = dt.datetime(2025, 9, 12, 23, 59, 59, tzinfo=VN)
REMIND_AT = dt.datetime(2025, 9, 17, 23, 59, 59, tzinfo=VN)
FAR_AT = dt.datetime(2025, 10, 20, 23, 59, 59, tzinfo=VN)


# -- the database ---------------------------------------------------------------------------------



def _conference_start(rules, calendar, due_day: dt.date) -> dt.datetime:
    """A conference start whose owners' written-reply deadline under the plan falls on `due_day`, found by
    asking the plan engine itself (the day before it, back to 120 days)."""
    from webforms.domain.plan import due_after_conference

    offset = rules.plan.offset("written_reply")
    for back in range(1, 120):
        starts = dt.datetime.combine(due_day - dt.timedelta(days=back), dt.time(8, 30), tzinfo=VN)
        if due_after_conference(starts, offset, rules.plan, calendar).astimezone(VN).date() == due_day:
            return starts
    raise RuntimeError(f"no conference start gives a written reply due on {due_day}")


def seed(n: int, due: int, rules, calendar) -> None:
    """n recommendations in three held conferences, each with an owner assignment already notified and the
    deadline the plan gives it (so the tick's deadline check finds nothing to move, as in real use): `due`
    of them (whole registrations, spread evenly) in a conference whose replies are overdue or inside the
    reminder window, half each; the rest in one whose replies are due far in the future."""
    from sqlalchemy import insert, select

    from webforms.domain.departments import sync_departments
    from webforms.domain.plan import due_after_conference
    from webforms.extensions import db
    from webforms.models import (
        Assignment,
        Conference,
        ConferenceStatus,
        Enterprise,
        Recommendation,
        RecommendationStatus,
        Registration,
        Scope,
    )

    departments = [d.id for d in sync_departments(rules) if d.kind == "internal"] or \
        [d.id for d in sync_departments(rules)]
    offset = rules.plan.offset("written_reply")
    conferences = {}  # kind -> (id, the owners' deadline)
    for kind, due_at in (("overdue", OVERDUE_AT), ("remind", REMIND_AT), ("far", FAR_AT)):
        starts = _conference_start(rules, calendar, due_at.date())
        conference = Conference(slug=f"sweep-bench-{kind}", title=f"Hội nghị đối thoại doanh nghiệp (bench, {kind})",
                                host_agency=rules.plan.agency.name, starts_at=starts, venue="Trụ sở",
                                status=ConferenceStatus.HELD)
        db.session.add(conference)
        db.session.flush()
        conferences[kind] = (conference.id, due_after_conference(starts, offset, rules.plan, calendar))
    registered = dt.datetime(2025, 7, 20, 10, tzinfo=VN)
    n_reg = -(-n // PER_REGISTRATION)
    due_regs = -(-due // PER_REGISTRATION)
    every = max(1, n_reg // max(1, due_regs))

    def kind_of(r: int) -> str:
        if r % every == 0 and r // every < due_regs:
            return "overdue" if (r // every) % 2 == 0 else "remind"
        return "far"

    session = db.session
    for start in range(0, n_reg, BATCH):
        stop = min(n_reg, start + BATCH)
        session.execute(insert(Enterprise), [
            {"tax_code": f"9{i:09d}", "name": f"Công ty TNHH Thử tải {i}", "zone_code": "KCN-VSIP"}
            for i in range(start, stop)])
    enterprise_ids = list(session.scalars(select(Enterprise.id).order_by(Enterprise.id)))
    for start in range(0, n_reg, BATCH):
        stop = min(n_reg, start + BATCH)
        session.execute(insert(Registration), [
            {"conference_id": conferences[kind_of(i)][0], "enterprise_id": enterprise_ids[i],
             "tracking_code": f"KN.20250720.{i:06d}", "token_hash": "0" * 64,
             "contact_name": "Nguyễn Văn An", "contact_email": f"lienhe{i}@dn.example.vn",
             "contact_phone": "+84912345678", "attendees": [], "registered_at": registered}
            for i in range(start, stop)])
    registration_ids = list(session.scalars(select(Registration.id).order_by(Registration.id)))
    for start in range(0, n, BATCH):
        stop = min(n, start + BATCH)
        session.execute(insert(Recommendation), [
            {"registration_id": registration_ids[i // PER_REGISTRATION],
             "conference_id": conferences[kind_of(i // PER_REGISTRATION)][0],
             "seq": i % PER_REGISTRATION + 1,
             "code": f"KN.20250720.{i // PER_REGISTRATION:06d}-{i % PER_REGISTRATION + 1}",
             "title": "Vướng mắc thủ tục điều chỉnh dự án", "content": "Đề nghị hướng dẫn hồ sơ.",
             "field_code": "DAU_TU", "received_at": registered, "scope": Scope.IN_SCOPE,
             "status": RecommendationStatus.ASSIGNED}
            for i in range(start, stop)])
    recommendation_ids = list(session.scalars(select(Recommendation.id).order_by(Recommendation.id)))
    notified = NOW - dt.timedelta(days=20)
    for start in range(0, n, BATCH):
        stop = min(n, start + BATCH)
        session.execute(insert(Assignment), [
            {"recommendation_id": recommendation_ids[i], "department_id": departments[i % len(departments)],
             "role": "owner", "state": "open", "draft_answer": "Dự thảo.",
             "due_at": conferences[kind_of(i // PER_REGISTRATION)][1],
             "notified_at": notified, "created_at": notified, "updated_at": notified, "extra": {}}
            for i in range(start, stop)])
    session.commit()


def seed_history(outbox_rows: int, audit_rows: int, rules) -> None:
    """Years of use: `outbox_rows` sent or failed outbox rows and `audit_rows` audit events over the three
    years before the conference. The messages past the mail retention period were scrubbed by it, as on a
    server that has run the retention every day (`backlog_tick` measures one that has not)."""
    from sqlalchemy import insert

    from webforms.domain.privacy import retention_policy
    from webforms.extensions import db
    from webforms.models import AuditEvent, OutboxMessage, OutboxStatus

    session = db.session
    long_ago = NOW - dt.timedelta(days=3 * 365)
    mail_days = dt.timedelta(days=retention_policy(rules).mail_days)
    expired = NOW.replace(hour=0, minute=0) - mail_days

    def message(i: int) -> dict:
        at = long_ago + dt.timedelta(seconds=90 * i)
        scrubbed = at < expired
        payload = ({"to": ["da-xoa@invalid"], "subject": "[đã xóa]", "erased_at": (at + mail_days).isoformat()}
                   if scrubbed else {"to": [f"lienhe{i % 5000}@dn.example.vn"], "subject": "Đã nhận kiến nghị"})
        return {"kind": "mail", "queue": "mail", "dedupe_key": f"history:{i}", "payload": payload,
                "status": OutboxStatus.FAILED if i % 500 == 0 else OutboxStatus.SENT, "attempts": 1,
                "last_error": "", "message_id": f"<history.{i}@test.example>",
                "created_at": at, "enqueued_at": at, "claimed_at": at + dt.timedelta(seconds=1),
                "done_at": at + dt.timedelta(seconds=2), "erased_at": at + mail_days if scrubbed else None}

    for start in range(0, outbox_rows, BATCH):
        stop = min(outbox_rows, start + BATCH)
        session.execute(insert(OutboxMessage), [message(i) for i in range(start, stop)])
    for start in range(0, audit_rows, BATCH):
        stop = min(audit_rows, start + BATCH)
        session.execute(insert(AuditEvent), [
            {"at": long_ago + dt.timedelta(seconds=300 * i), "actor_kind": "system", "actor": "tick",
             "action": "mail_sent", "target_kind": "outbox", "target_id": str(i), "ip": "", "user_agent": "",
             "details": {}}
            for i in range(start, stop)])
    session.commit()


def analyze() -> None:
    """Statistics as a live server has them; on PostgreSQL also VACUUM, so that autovacuum does not
    start on the freshly inserted rows in the middle of the measured ticks."""
    from sqlalchemy import text

    from webforms.extensions import db

    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        return
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


def mark_sent() -> None:
    """What the mail workers do between ticks: the first tick's outbox rows are sent (no worker runs
    here; a steady system has only a few rows pending)."""
    from sqlalchemy import update

    from webforms.extensions import db
    from webforms.models import OutboxMessage, OutboxStatus

    db.session.execute(update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
                       .values(status=OutboxStatus.SENT, done_at=NOW))
    db.session.commit()


# -- measuring -------------------------------------------------------------------------------------

@contextlib.contextmanager
def capture_statements():
    """The (statement, parameters) pairs the engine runs inside the block."""
    from sqlalchemy import event

    from webforms.extensions import db

    seen: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def explain(statements) -> list[str]:
    """The plan of each distinct SELECT, as text lines."""
    from webforms.extensions import db

    lines: list[str] = []
    distinct = {}
    for statement, parameters in statements:
        if statement.lstrip().upper().startswith("SELECT"):
            distinct.setdefault(statement, parameters)
    with db.engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        prefix = ("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " if postgres
                  else "EXPLAIN QUERY PLAN ")
        for statement, parameters in distinct.items():
            lines.append("-- " + " ".join(statement.split())[:PLAN_WIDTH])
            result = conn.exec_driver_sql(prefix + statement, parameters)
            for plan_row in result:
                lines.append(("   " + (plan_row[0] if postgres else str(plan_row[-1])))[:PLAN_WIDTH])
        conn.rollback()
    return lines


@contextlib.contextmanager
def prepared(n: int, due: int, history: bool = False):
    """A fresh database with n assignments (and history, if asked) after its first tick, the first tick's
    mail marked sent: yields (app, figures so far)."""
    from webforms.domain.tick import tick
    from webforms.extensions import db

    name = BENCH_DB + ("_history" if history else "")
    with fresh_database(name) as url, bench_app(**({"database_url": url} if url else {})) as app, \
            app.app_context():
        services = app.extensions["doithoai"]
        started = time.perf_counter()
        seed(n, due, services.rules, services.calendar)
        if history:
            seed_history(HISTORY_OUTBOX, HISTORY_AUDIT, services.rules)
        analyze()
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        first_actions = tick(NOW, services.rules, services.calendar, services.settings, services.redis)
        first = time.perf_counter() - started
        mark_sent()
        analyze()  # the outbox grew by the first tick's rows
        db.session.expunge_all()
        yield app, {"n": n, "due": due, "history": history, "dialect": db.engine.dialect.name,
                    "seed_s": seeded, "first_s": first, "first_actions": len(first_actions), "steady": []}


def steady_tick(app, figures: dict, k: int) -> None:
    """The k-th steady tick (a minute after the previous), timed into figures["steady"]; it must not act."""
    from webforms.domain.tick import tick
    from webforms.extensions import db

    services = app.extensions["doithoai"]
    with app.app_context():
        started = time.perf_counter()
        actions = tick(NOW + dt.timedelta(minutes=k), services.rules, services.calendar, services.settings,
                       services.redis)
        figures["steady"].append(time.perf_counter() - started)
        db.session.expunge_all()
    if actions:
        raise RuntimeError(f"a steady tick acted: {actions[:3]}")


def finish(app, figures: dict) -> dict:
    """The steady ticks' median and maximum, the plans of one more steady tick, and for a database with
    history one tick with a retention backlog."""
    from webforms.domain.tick import tick

    services = app.extensions["doithoai"]
    args = (services.rules, services.calendar, services.settings, services.redis)
    with app.app_context():
        with capture_statements() as statements:
            tick(NOW + dt.timedelta(minutes=STEADY_TICKS + 1), *args)
        plans = explain(statements)
        backlog = backlog_tick(NOW + dt.timedelta(minutes=STEADY_TICKS + 2), *args) \
            if figures["history"] else None
    steady = figures.pop("steady")
    return {**figures, "steady_s": median(steady), "steady_max_s": max(steady),
            "statements": len(statements), "plans": plans, "backlog": backlog}


def measure(n: int, due: int) -> dict:
    with prepared(n, due) as (app, figures):
        for k in range(1, STEADY_TICKS + 1):
            steady_tick(app, figures, k)
        return finish(app, figures)


def measure_with_and_without_history(n: int, due: int) -> tuple[dict, dict]:
    """The same n and due items on two databases, one with years of history, both open at once and ticked
    in turn, so that a change in the machine's speed (these machines vary by 1.5x within minutes) falls on
    both alike and the ratio shows the history alone."""
    with prepared(n, due) as (plain, without), prepared(n, due, history=True) as (aged, with_history):
        for k in range(1, STEADY_TICKS + 1):
            for app, figures in ((plain, without), (aged, with_history))[:: 1 if k % 2 else -1]:
                steady_tick(app, figures, k)
        return finish(plain, without), finish(aged, with_history)


def backlog_tick(now, rules, calendar, settings, redis) -> dict:
    """One tick on a server whose retention never ran: every message of past years is unscrubbed again
    (erased_at cleared; the scrubbing writes the same payload). The tick scrubs one bounded batch."""
    from sqlalchemy import update

    from webforms.domain.tick import tick
    from webforms.extensions import db
    from webforms.models import OutboxMessage

    backlog = db.session.execute(update(OutboxMessage).where(OutboxMessage.erased_at.isnot(None))
                                 .values(erased_at=None)).rowcount
    db.session.commit()
    db.session.expunge_all()
    started = time.perf_counter()
    actions = tick(now, rules, calendar, settings, redis)
    elapsed = time.perf_counter() - started
    scrubbed = sum(a.get("mail", 0) for a in actions if a["action"] == "personal_data_anonymised")
    return {"backlog": backlog, "scrubbed": scrubbed, "s": elapsed}


def main() -> list[dict]:
    small, large = SIZES
    same_due = round(small * DUE_SHARE)
    # 1 % due at both sizes (the load), and the large size with only the small one's due items:
    # steady(large, same due) / steady(small) isolates the growth with all items, which should be none.
    results = [measure(small, same_due), measure(large, same_due),
               *measure_with_and_without_history(large, round(large * DUE_SHARE))]
    for r in results:
        past = (f" + {HISTORY_OUTBOX:,} finished outbox rows and {HISTORY_AUDIT:,} audit events"
                if r["history"] else "")
        print(f"\n== sweep, {r['dialect']}, N={r['n']:,}{past}, {r['due']:,} due: seeded in {r['seed_s']:.1f} s; "
              f"first tick {r['first_s'] * 1000:.0f} ms ({r['first_actions']} actions); steady tick median "
              f"{r['steady_s'] * 1000:.1f} ms (max {r['steady_max_s'] * 1000:.1f}), "
              f"{r['statements']} SQL statements", file=sys.stderr)
    base, flat, loaded, aged = results
    print(f"\n== query plans of a steady tick, N={aged['n']:,} with history, {aged['due']:,} due "
          f"({aged['dialect']})",
          file=sys.stderr)
    for line in aged["plans"]:
        print(line, file=sys.stderr)
    dialect = loaded["dialect"]
    backlog = aged["backlog"]
    print(f"\n== a tick with {backlog['backlog']:,} messages past the mail retention period never scrubbed: "
          f"{backlog['s'] * 1000:.0f} ms, {backlog['scrubbed']:,} scrubbed (the rest in the next ticks)",
          file=sys.stderr)
    return [
        row(f"sweep ({dialect}): steady tick, {large:,} vs {small:,} assignments, {same_due} due in both",
            f"{flat['steady_s'] * 1000:.1f} ms", f"{base['steady_s'] * 1000:.1f} ms",
            flat["steady_s"] / base["steady_s"], "<= 1.5x"),
        row(f"sweep ({dialect}): steady tick, {large:,} assignments, 1 % due, against 100 ms "
            f"(first tick {loaded['first_s'] * 1000:.0f} ms)",
            f"{loaded['steady_s'] * 1000:.1f} ms", "100 ms", loaded["steady_s"] / 0.1, "<= 1x"),
        row(f"sweep ({dialect}): steady tick, 1 % due: {large:,} vs {small:,} (grows with the due items)",
            f"{loaded['steady_s'] * 1000:.1f} ms", f"{base['steady_s'] * 1000:.1f} ms",
            loaded["steady_s"] / base["steady_s"], f"<= {large / small:.0f}x"),
        row(f"sweep ({dialect}): steady tick, {large:,} assignments, 1 % due, with {HISTORY_OUTBOX:,} finished "
            f"outbox rows and {HISTORY_AUDIT:,} audit events vs without",
            f"{aged['steady_s'] * 1000:.1f} ms", f"{loaded['steady_s'] * 1000:.1f} ms",
            aged["steady_s"] / loaded["steady_s"], "<= 1.2x"),
        row(f"sweep ({dialect}): steady tick with history, against 100 ms",
            f"{aged['steady_s'] * 1000:.1f} ms", "100 ms", aged["steady_s"] / 0.1, "<= 1x"),
        row(f"sweep ({dialect}): one tick with a retention backlog of {backlog['backlog']:,} messages "
            f"({backlog['scrubbed']:,} scrubbed), against one second",
            f"{backlog['s'] * 1000:.0f} ms", "1000 ms", backlog["s"] / 1.0, "report"),
    ]


if __name__ == "__main__":
    print_table(main())
