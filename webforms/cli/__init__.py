"""The `doithoai` command line (also reachable as `flask` commands). Thin: it calls domain functions.

Output formats are a contract (README, ops runbook, outside checks): keep them stable.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from webforms.extensions import db
from webforms.services import services
from webforms.timeutil import parse_instant, utcnow

DEMO_ADMIN_EMAIL = "admin@heza.example.vn"


def _iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"'{value}' is not a date in YYYY-MM-DD form") from exc


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _tentative(calendar, *days: dt.date) -> str:
    """" (dự kiến)" when any of the days falls in a year whose days off are not confirmed."""
    return " (dự kiến)" if any(not calendar.is_confirmed(d.year) for d in days) else ""


def _now_option(value: str | None) -> dt.datetime:
    if not value:
        return utcnow()
    try:
        return parse_instant(value, services().rules.plan.timezone)
    except ValueError:
        _fail(f"'{value}' is not an ISO 8601 date-time")


def _local_instant(date_: str, time_: str) -> dt.datetime:
    try:
        at = dt.time.fromisoformat(time_)
    except ValueError:
        _fail(f"'{time_}' is not a time in HH:MM form")
    return dt.datetime.combine(_iso_date(date_), at, tzinfo=services().rules.plan.timezone)


# -- calendar ---------------------------------------------------------------------------------

calendar_group = AppGroup("calendar", help="Vietnamese working-day calendar.")


@calendar_group.command("add", context_settings={"ignore_unknown_options": True})
@click.argument("date")
@click.argument("n", type=int)
def calendar_add(date: str, n: int) -> None:
    """The N-th working day after DATE (before it when N < 0)."""
    computation = services().calendar.explain_add(_iso_date(date), n)
    for skipped in computation.skipped:
        click.echo(f"  skipped {skipped.date.isoformat()}: {skipped.reason}")
    note = " (dự kiến)" if computation.tentative else ""
    click.echo(computation.result.isoformat() + note)


@calendar_group.command("between")
@click.argument("a")
@click.argument("b")
def calendar_between(a: str, b: str) -> None:
    """Working days after A up to and including B."""
    click.echo(services().calendar.working_days_between(_iso_date(a), _iso_date(b)))


@calendar_group.command("check")
@click.argument("date")
def calendar_check(date: str) -> None:
    day = _iso_date(date)
    calendar = services().calendar
    reason = calendar.day_off_reason(day)
    note = _tentative(calendar, day)
    click.echo(f"{day.isoformat()} working day{note}" if reason is None
               else f"{day.isoformat()} day off: {reason}{note}")


# -- conference -------------------------------------------------------------------------------

conference_group = AppGroup("conference", help="Create conferences and read their plan.")


@conference_group.command("create")
@click.option("--title", required=True)
@click.option("--date", "date_", required=True, help="YYYY-MM-DD, local date")
@click.option("--time", "time_", default="08:30", show_default=True, help="HH:MM, local time")
@click.option("--venue", required=True)
@click.option("--slug", default=None)
def conference_create(title: str, date_: str, time_: str, venue: str, slug: str | None) -> None:
    from webforms.domain.conferences import ConferenceError, create_conference
    from webforms.domain.departments import sync_departments

    svc = services()
    starts_at = _local_instant(date_, time_)
    try:
        sync_departments(svc.rules)
        conference = create_conference(title=title, starts_at=starts_at, venue=venue, rules=svc.rules,
                                       calendar=svc.calendar, slug=slug)
    except ConferenceError as exc:
        db.session.rollback()
        _fail(str(exc))
    db.session.commit()
    _warn_unconfirmed(starts_at)
    click.echo(conference.slug)


def _warn_unconfirmed(starts_at: dt.datetime) -> None:
    from webforms.domain.conferences import unconfirmed_window_years

    svc = services()
    years = unconfirmed_window_years(starts_at, svc.rules, svc.calendar)
    if years:
        click.echo(f"warning: the conference's deadlines reach into {', '.join(map(str, years))}, whose days off "
                   "are not confirmed (config/holidays.yaml confirmed_years): those dates are projections "
                   "(dự kiến)", err=True)


@conference_group.command("postpone")
@click.argument("slug")
@click.option("--date", "date_", required=True, help="YYYY-MM-DD, the new local date")
@click.option("--time", "time_", default="08:30", show_default=True, help="HH:MM, local time")
@click.option("--reason", required=True)
@click.option("--now", "now_", default=None, help="ISO 8601 instant (default: the clock).")
def conference_postpone(slug: str, date_: str, time_: str, reason: str, now_: str | None) -> None:
    """Move conference SLUG to a new date: a new cycle of its milestones; it must be announced again."""
    from webforms.domain.conference_admin import postpone_conference
    from webforms.domain.conferences import ConferenceError, get_conference

    svc = services()
    conference = get_conference(slug)
    if conference is None:
        _fail(f"no conference '{slug}'")
    now = _now_option(now_)
    starts_at = _local_instant(date_, time_)
    try:
        sent = postpone_conference(conference, new_starts_at=starts_at, reason=reason, now=now, actor=_cli_actor(),
                                   rules=svc.rules, calendar=svc.calendar)
    except ConferenceError as exc:
        db.session.rollback()
        _fail(str(exc))
    db.session.commit()
    _warn_unconfirmed(starts_at)
    click.echo(f"{conference.slug} postponed to {starts_at.isoformat()}; cycle {conference.cycle}; "
               f"status {conference.status}; {sent} people notified")


@conference_group.command("cancel")
@click.argument("slug")
@click.option("--reason", required=True)
@click.option("--now", "now_", default=None, help="ISO 8601 instant (default: the clock).")
def conference_cancel(slug: str, reason: str, now_: str | None) -> None:
    """Call conference SLUG off; everyone concerned is emailed."""
    from webforms.domain.conference_admin import cancel_conference
    from webforms.domain.conferences import ConferenceError, get_conference

    conference = get_conference(slug)
    if conference is None:
        _fail(f"no conference '{slug}'")
    try:
        sent = cancel_conference(conference, reason=reason, now=_now_option(now_), actor=_cli_actor())
    except ConferenceError as exc:
        db.session.rollback()
        _fail(str(exc))
    db.session.commit()
    click.echo(f"{conference.slug} cancelled; {sent} people notified")


def _cli_actor():
    import getpass

    from webforms.domain.audit import Actor

    return Actor(kind="user", name=f"cli:{getpass.getuser()}")


@conference_group.command("milestones")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="A JSON list instead of a table.")
def conference_milestones_cmd(slug: str, as_json: bool) -> None:
    from webforms.domain.conferences import conference_milestones, get_conference

    svc = services()
    conference = get_conference(slug)
    if conference is None:
        _fail(f"no conference '{slug}'")
    milestones = conference_milestones(conference, svc.rules, svc.calendar)
    if as_json:
        click.echo(json.dumps([m.as_dict() for m in milestones], ensure_ascii=False))
        return
    for m in milestones:
        note = " (dự kiến)" if m.tentative else ""
        click.echo(f"{m.name:<22} {m.due.isoformat():<26} {m.offset:+4d} wd  {m.owner:<8} {m.label}{note}")


# -- operations -------------------------------------------------------------------------------

@click.command("seed-demo")
@with_appcontext
def seed_demo_cmd() -> None:
    """Departments from the YAML and a demo conference about 20 working days ahead (once)."""
    from webforms.domain.accounts import create_user, generate_password, security_policy
    from webforms.domain.demo import seed_demo
    from webforms.models import User

    svc = services()
    conference, created = seed_demo(svc.rules, svc.calendar, utcnow())
    password = None
    if db.session.scalar(db.select(User.id).limit(1)) is None:
        # A first staff account so the back office can be tried; its password is shown once, here.
        password = generate_password()
        create_user(email=DEMO_ADMIN_EMAIL, role="admin", password=password, name="Quản trị thử nghiệm",
                    policy=security_policy(svc.settings.rules_dir), now=utcnow())
    db.session.commit()
    if password:
        click.echo(f"back office: {DEMO_ADMIN_EMAIL} / {password}")
    click.echo(("created " if created else "exists ") + conference.slug)


@click.command("tick")
@with_appcontext
@click.option("--now", "now_", default=None, help="ISO 8601 instant; without an offset it is local time.")
def tick_cmd(now_: str | None) -> None:
    """Act on everything due as of NOW; one JSON line per action; idempotent for the same time."""
    from webforms.domain.tick import tick

    svc = services()
    try:
        now = parse_instant(now_, svc.rules.plan.timezone) if now_ else utcnow()
    except ValueError:
        _fail(f"'{now_}' is not an ISO 8601 date-time")
    for action in tick(now, svc.rules, svc.calendar, svc.settings, svc.redis):
        click.echo(json.dumps(action, ensure_ascii=False, default=str))


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Drain the queues and exit.")
@click.option("--with-scheduler/--without-scheduler", default=True, show_default=True,
              help="Run RQ's scheduler too (needed for retries with intervals).")
def worker_cmd(burst: bool, with_scheduler: bool) -> None:
    """An RQ worker on every queue, running jobs inside this app."""
    from workers.runtime import run_worker

    run_worker(burst=burst, with_scheduler=with_scheduler)


def register(app: Flask) -> None:
    from webforms import checkin_cli  # noqa: F401 - adds `conference attendance`
    from webforms.backoffice.cli import user_group
    from webforms.documents_cli import COMMANDS as document_commands
    from webforms.intake.cli import intake_group  # also adds `conference announce`
    from webforms.ops_cli import COMMANDS as ops_commands
    from webforms.privacy_cli import privacy_group

    commands = (calendar_group, conference_group, seed_demo_cmd, tick_cmd, worker_cmd, user_group, intake_group,
                privacy_group, *document_commands, *ops_commands)
    for command in commands:
        app.cli.add_command(command)


def _create_app_for_cli():
    from config.schema import RulesError
    from config.settings import SettingsError
    from config.startup import REFUSAL
    from webforms.app import create_app

    try:
        return create_app()
    except (RulesError, SettingsError) as exc:
        click.echo(f"{REFUSAL}\n{exc}", err=True)
        sys.exit(1)


@click.group(cls=FlaskGroup, create_app=_create_app_for_cli, add_default_commands=True,
             add_version_option=False, load_dotenv=False)
def main() -> None:
    """doithoai: the business dialogue conference, from announcement to final report."""


def _add_commands_without_app() -> None:
    from webforms.rules_cli import rules_group

    main.add_command(rules_group)


_add_commands_without_app()


if __name__ == "__main__":
    main()
