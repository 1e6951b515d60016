"""`doithoai conference attendance SLUG [--mark TRACKING_CODE] [--json]`: who came, and marking one
enterprise present from a terminal (idempotent)."""

from __future__ import annotations

import json

import click

from webforms.cli.common import command, fail
from webforms.services import services
from webforms.timeutil import parse_instant, utcnow


@command("attendance")
@click.argument("slug")
@click.option("--mark", "tracking_code", default=None, help="Mark this registration as attended.")
@click.option("--delegates", type=int, default=None, help="With --mark: how many of its people came.")
@click.option("--now", "now_", default=None, help="ISO 8601 instant of the check-in (default: now).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
def conference_attendance(slug: str, tracking_code: str | None, delegates: int | None, now_: str | None,
                          as_json: bool) -> None:
    """Registered enterprises and invitees of SLUG, who came and how many delegates."""
    from webforms.domain.audit import Actor
    from webforms.domain.checkin import CheckInError, attendance, check_in_registration, registration_by_code
    from webforms.domain.conferences import get_conference

    svc = services()
    conference = get_conference(slug)
    if conference is None:
        fail(f"no conference '{slug}'")
    try:
        now = parse_instant(now_, svc.rules.plan.timezone) if now_ else utcnow()
    except ValueError:
        fail(f"'{now_}' is not an ISO 8601 date-time")
    marked = None
    if tracking_code is not None:
        registration = registration_by_code(conference, tracking_code)
        if registration is None:
            fail(f"no registration '{tracking_code}' for conference '{slug}'")
        try:
            changed = check_in_registration(registration, delegates=delegates, now=now, rules=svc.rules,
                                            actor=Actor(kind="system", name="cli"))
        except CheckInError as exc:
            fail(str(exc))
        marked = {"tracking_code": registration.tracking_code, "changed": changed}
    result = attendance(conference)
    if as_json:
        body = result.as_dict()
        if marked is not None:
            body["marked"] = marked
        click.echo(json.dumps(body, ensure_ascii=False))
        return
    if marked is not None:
        state = "marked attended" if marked["changed"] else "already attended"
        click.echo(f"{marked['tracking_code']} {state}")
    for row in result.enterprises:
        mark = f"x{row.delegates}" if row.attended else "-"
        click.echo(f"{row.tracking_code:<18} {mark:<4} {row.enterprise}")
    for row in result.invitees:
        mark = f"x{row.delegates}" if row.attended else "-"
        click.echo(f"{'invitee ' + str(row.invitee_id):<18} {mark:<4} {row.name} {row.organisation}".rstrip())
    click.echo(f"enterprises {result.enterprises_attending}/{result.enterprises_registered} "
               f"invitees {result.invitees_attending}/{len(result.invitees)} delegates {result.delegates}")
