"""`doithoai conference create|postpone|cancel|milestones`; `webforms.cli.register` adds the commands of
the other modules (announce, status, attendance) to the same group."""

from __future__ import annotations

import datetime as dt
import json

import click

from webforms.cli.common import Group, cli_actor, fail, local_instant, now_option
from webforms.services import services

conference_group = Group("conference", help="Create conferences and read their plan.")


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
    starts_at = local_instant(date_, time_)
    try:
        sync_departments(svc.rules)
        conference = create_conference(title=title, starts_at=starts_at, venue=venue, rules=svc.rules,
                                       calendar=svc.calendar, settings=svc.settings, slug=slug)
    except ConferenceError as exc:
        fail(str(exc))
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
        fail(f"no conference '{slug}'")
    now = now_option(now_)
    starts_at = local_instant(date_, time_)
    try:
        sent = postpone_conference(conference, new_starts_at=starts_at, reason=reason, now=now, actor=cli_actor(),
                                   rules=svc.rules, settings=svc.settings, calendar=svc.calendar)
    except ConferenceError as exc:
        fail(str(exc))
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

    svc = services()
    conference = get_conference(slug)
    if conference is None:
        fail(f"no conference '{slug}'")
    try:
        sent = cancel_conference(conference, reason=reason, now=now_option(now_), actor=cli_actor(),
                                 rules=svc.rules, settings=svc.settings)
    except ConferenceError as exc:
        fail(str(exc))
    click.echo(f"{conference.slug} cancelled; {sent} people notified")


@conference_group.command("milestones")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="A JSON list instead of a table.")
def conference_milestones_cmd(slug: str, as_json: bool) -> None:
    from webforms.domain.conferences import conference_milestones, get_conference

    svc = services()
    conference = get_conference(slug)
    if conference is None:
        fail(f"no conference '{slug}'")
    milestones = conference_milestones(conference, svc.rules, svc.calendar)
    if as_json:
        click.echo(json.dumps([m.as_dict() for m in milestones], ensure_ascii=False))
        return
    for m in milestones:
        note = " (dự kiến)" if m.tentative else ""
        click.echo(f"{m.name:<22} {m.due.isoformat():<26} {m.offset:+4d} wd  {m.owner:<8} {m.label}{note}")
