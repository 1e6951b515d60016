"""Operations commands: `doithoai health` and `doithoai conference status SLUG`."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from webforms.cli import conference_group
from webforms.extensions import db
from webforms.services import services
from webforms.timeutil import to_local, utcnow


@click.command("health")
@with_appcontext
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


@conference_group.command("status")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of lines.")
def conference_status_cmd(slug: str, as_json: bool) -> None:
    """The conference's status, its milestones and which stages the deadline engine has acted on."""
    from webforms.domain.conferences import conference_milestones, get_conference
    from webforms.models import MilestoneRun, Recommendation, Registration

    svc = services()
    conference = get_conference(slug)
    if conference is None:
        click.echo(f"error: no conference '{slug}'", err=True)
        sys.exit(1)
    runs = db.session.scalars(select(MilestoneRun).where(MilestoneRun.conference_id == conference.id)
                              .order_by(MilestoneRun.as_of, MilestoneRun.id)).all()
    data = {
        "slug": conference.slug,
        "title": conference.title,
        "status": conference.status,
        "status_reason": conference.status_reason,
        "starts_at": to_local(conference.starts_at, svc.rules.plan.timezone).isoformat(),
        "registrations": db.session.scalar(select(func.count(Registration.id))
                                           .where(Registration.conference_id == conference.id)),
        "recommendations": db.session.scalar(select(func.count(Recommendation.id))
                                             .where(Recommendation.conference_id == conference.id)),
        "milestones": [
            {"name": m.name, "due": m.due.isoformat(),
             "runs": [{"key": r.milestone, "action": r.action,
                       "as_of": to_local(r.as_of, svc.rules.plan.timezone).isoformat()}
                      for r in runs if r.milestone.split(":")[0] == m.name]}
            for m in conference_milestones(conference, svc.rules, svc.calendar)
        ],
    }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(f"conference     {data['slug']}")
    click.echo(f"title          {data['title']}")
    reason = f" ({data['status_reason']})" if data["status_reason"] else ""
    click.echo(f"status         {data['status']}{reason}")
    click.echo(f"starts_at      {data['starts_at']}")
    click.echo(f"registrations  {data['registrations']}  recommendations {data['recommendations']}")
    for m in data["milestones"]:
        done = ", ".join(f"{r['key']}={r['action']}" for r in m["runs"]) or "-"
        click.echo(f"  {m['name']:<22} {m['due']:<26} {done}")


COMMANDS = (health_cmd,)
