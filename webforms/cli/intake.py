"""Intake commands: `doithoai conference announce SLUG` and `doithoai intake quorum SLUG`.

`webforms.cli.register` adds `announce` to the `conference` group.
"""

from __future__ import annotations

import json

import click

from webforms.cli.common import Group, command, fail
from webforms.services import services
from webforms.timeutil import utcnow


@command("announce")
@click.argument("slug")
@click.option("--reason", default="", help="Why it is announced later than the plan's notice (required then).")
@click.option("--portal-at", default=None, help="ISO 8601: when it went up on the e-portal (default: now).")
@click.option("--one-stop-at", default=None, help="ISO 8601: when it was posted at the one-stop desk (default: now).")
@click.option("--now", "now_", default=None, help="ISO 8601 instant (default: the clock).")
def conference_announce(slug: str, reason: str, portal_at: str | None, one_stop_at: str | None,
                        now_: str | None) -> None:
    """Publish the announcement of conference SLUG (e-portal and one-stop desk) and open intake."""
    from webforms.domain.conferences import ConferenceError, announce_conference, get_conference
    from webforms.domain.intake.window import intake_window
    from webforms.timeutil import parse_instant

    svc = services()
    conference = get_conference(slug)
    if conference is None:
        fail(f"no conference '{slug}'")
    try:
        now = parse_instant(now_, svc.rules.plan.timezone) if now_ else utcnow()
        channels = {name: parse_instant(value, svc.rules.plan.timezone) if value else None
                    for name, value in (("portal_at", portal_at), ("one_stop_at", one_stop_at))}
    except ValueError:
        fail("times must be ISO 8601 date-times")
    try:
        changed = announce_conference(conference, now=now, rules=svc.rules, calendar=svc.calendar,
                                      late_reason=reason, **channels)
    except ConferenceError as exc:
        fail(str(exc))
    window = intake_window(conference, now, svc.rules, svc.calendar)
    state = "announced" if changed else f"unchanged ({conference.status})"
    click.echo(f"{conference.slug} {state}; intake {window.state} until {window.closes_at.isoformat()}")


intake_group = Group("intake", help="Enterprise registrations and recommendations.")


@intake_group.command("quorum")
@click.argument("slug")
def intake_quorum(slug: str) -> None:
    """Registered enterprises and in-scope recommendations counted toward the quorum (one JSON line)."""
    from webforms.domain.conferences import get_conference
    from webforms.domain.intake.quorum import quorum

    svc = services()
    conference = get_conference(slug)
    if conference is None:
        fail(f"no conference '{slug}'")
    click.echo(json.dumps(quorum(conference, svc.rules, svc.calendar).as_dict(), ensure_ascii=False))
