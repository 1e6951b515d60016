"""Operations commands: `doithoai seed-demo`, `tick`, `worker`, `health` and `conference status SLUG`."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click
from sqlalchemy import func, select

from webforms.cli.common import command, fail
from webforms.extensions import db
from webforms.services import services
from webforms.timeutil import parse_instant, to_local, utcnow


@command("seed-demo")
def seed_demo_cmd() -> None:
    """Departments from the YAML and a demo conference about 20 working days ahead (once)."""
    from webforms.domain.accounts import create_user, generate_password, security_policy
    from webforms.domain.demo import DemoDataError, demo_data, seed_demo
    from webforms.models import User

    svc = services()
    try:
        demo = demo_data()
    except DemoDataError as exc:
        fail(f"the demo data is not valid: {exc}")
    conference, created = seed_demo(svc.rules, svc.calendar, svc.settings, utcnow())
    password = None
    if db.session.scalar(db.select(User.id).limit(1)) is None:
        # A first staff account so the back office can be tried; its password is shown once, here.
        password = generate_password()
        create_user(email=demo.admin_email, role="admin", password=password, name=demo.admin_name,
                    policy=security_policy(svc.settings.rules_dir), now=utcnow())
    if password:
        click.echo(f"back office: {demo.admin_email} / {password}")
    click.echo(("created " if created else "exists ") + conference.slug)


@command("tick")
@click.option("--now", "now_", default=None, help="ISO 8601 instant; without an offset it is local time.")
def tick_cmd(now_: str | None) -> None:
    """Act on everything due as of NOW; one JSON line per action; idempotent for the same time."""
    from webforms.domain.tick import tick

    svc = services()
    try:
        now = parse_instant(now_, svc.rules.plan.timezone) if now_ else utcnow()
    except ValueError:
        fail(f"'{now_}' is not an ISO 8601 date-time")
    for action in tick(now, svc.rules, svc.calendar, svc.settings, svc.redis):
        click.echo(json.dumps(action, ensure_ascii=False, default=str))


@command("worker")
@click.option("--burst", is_flag=True, help="Drain the queues and exit.")
@click.option("--with-scheduler/--without-scheduler", default=True, show_default=True,
              help="Run RQ's scheduler too (needed for retries with intervals).")
def worker_cmd(burst: bool, with_scheduler: bool) -> None:
    """An RQ worker on every queue, running jobs inside this app."""
    from workers.runtime import run_worker

    run_worker(burst=burst, with_scheduler=with_scheduler)


@command("health")
@click.option("--max-pending-age", default=900, show_default=True, type=float,
              help="Seconds an outbox row may stay pending before the system counts as unhealthy.")
@click.option("--max-failed-jobs", default=0, show_default=True, type=int,
              help="Failed RQ jobs (all queues) tolerated before the system counts as unhealthy.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of lines.")
def health_cmd(max_pending_age: float, max_failed_jobs: int, as_json: bool) -> None:
    """Check the database, Redis, SMTP, the queues, the outbox and failed jobs; exit 1 when unhealthy."""
    from workers.health import check_health

    svc = services()
    report = check_health(svc.settings, svc.redis, utcnow(), max_pending_seconds=max_pending_age,
                          max_failed_jobs=max_failed_jobs)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        for name, state in report.checks.items():
            click.echo(f"{name:<10} {state}")
        for name, length in report.queues.items():
            click.echo(f"queue      {name}={length} failed={report.failed_jobs.get(name, 0)}")
        oldest = "none" if report.oldest_pending_seconds is None else f"{report.oldest_pending_seconds:.0f}s"
        click.echo(f"outbox     oldest_pending={oldest} failed_rows={report.failed_outbox_rows}")
        click.echo(f"processes  workers={report.workers} cron_schedulers={report.cron_schedulers}")
        for problem in report.problems:
            click.echo(f"problem    {problem}")
        click.echo("healthy" if report.healthy else "unhealthy")
    if not report.healthy:
        sys.exit(1)


@command("status")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of lines.")
def conference_status_cmd(slug: str, as_json: bool) -> None:
    """The conference's status and cycle, its quorum, its milestones with their state and which stages the
    deadline engine has acted on; the runs of earlier dates (cycles) under `history`."""
    from webforms.domain.conferences import get_conference, unconfirmed_window_years
    from webforms.domain.dashboard import milestone_timeline
    from webforms.domain.intake.quorum import quorum
    from webforms.models import AuditEvent, MilestoneRun, Recommendation, Registration

    svc = services()
    tz = svc.rules.plan.timezone
    conference = get_conference(slug)
    if conference is None:
        fail(f"no conference '{slug}'")
    all_runs = db.session.scalars(select(MilestoneRun).where(MilestoneRun.conference_id == conference.id)
                                  .order_by(MilestoneRun.as_of, MilestoneRun.id)).all()
    runs = [r for r in all_runs if r.cycle == conference.cycle]
    postponements = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "conference.postpone", AuditEvent.target_kind == "conference",
                                 AuditEvent.target_id == conference.slug).order_by(AuditEvent.id)).all()
    old_dates = {e.details.get("old_cycle", i + 1): e.details for i, e in enumerate(postponements)}

    def run_dict(r):
        return {"key": r.milestone, "action": r.action, "as_of": to_local(r.as_of, tz).isoformat()}

    def stamp(value):
        return to_local(value, tz).isoformat() if value else None

    data = {
        "slug": conference.slug,
        "title": conference.title,
        "status": conference.status,
        "status_reason": conference.status_reason,
        "cycle": conference.cycle,
        "starts_at": to_local(conference.starts_at, tz).isoformat(),
        "announcement": {"announced_at": stamp(conference.announced_at),
                         "portal_at": stamp(conference.posted_portal_at),
                         "one_stop_at": stamp(conference.posted_one_stop_at),
                         "late_reason": conference.late_announcement_reason},
        "quorum": quorum(conference, svc.rules, svc.calendar).as_dict(),
        "unconfirmed_years": list(unconfirmed_window_years(conference.starts_at, svc.rules, svc.calendar)),
        "registrations": db.session.scalar(select(func.count(Registration.id))
                                           .where(Registration.conference_id == conference.id)),
        "recommendations": db.session.scalar(select(func.count(Recommendation.id))
                                             .where(Recommendation.conference_id == conference.id)),
        "milestones": [
            {"name": e.milestone.name, "label": e.milestone.label, "due": e.milestone.due.isoformat(),
             "tentative": e.milestone.tentative, "state": e.state,
             "runs": [run_dict(r) for r in runs if r.milestone.split(":")[0] == e.milestone.name]}
            for e in milestone_timeline(conference, now=utcnow(), rules=svc.rules, calendar=svc.calendar)
        ],
        "history": [
            {"cycle": cycle,
             "starts_at": (to_local(dt.datetime.fromisoformat(old_dates[cycle]["old"]), tz).isoformat()
                           if cycle in old_dates else None),
             "postponed_because": old_dates.get(cycle, {}).get("reason", ""),
             "runs": [run_dict(r) for r in all_runs if r.cycle == cycle]}
            for cycle in range(1, conference.cycle)
        ],
    }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(f"conference     {data['slug']}")
    click.echo(f"title          {data['title']}")
    reason = f" ({data['status_reason']})" if data["status_reason"] else ""
    click.echo(f"status         {data['status']}{reason}")
    click.echo(f"cycle          {data['cycle']}")
    click.echo(f"starts_at      {data['starts_at']}")
    q = data["quorum"]
    click.echo(f"quorum         {'met' if q['met'] else 'not met'}: {q['enterprises']}/{q['min_enterprises']} "
               f"enterprises, {q['recommendations']}/{q['min_recommendations']} recommendations")
    click.echo(f"registrations  {data['registrations']}  recommendations {data['recommendations']}")
    for m in data["milestones"]:
        done = ", ".join(f"{r['key']}={r['action']}" for r in m["runs"]) or "-"
        note = " (dự kiến)" if m["tentative"] else ""
        click.echo(f"  {m['name']:<22} {m['due']:<26} {m['state']:<8} {done}{note}")
    for h in data["history"]:
        click.echo(f"history        cycle {h['cycle']} {h['starts_at']}: "
                   + (", ".join(f"{r['key']}={r['action']}" for r in h["runs"]) or "-"))

