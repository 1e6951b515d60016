"""`doithoai calendar add|between|check`: the Vietnamese working-day calendar."""

from __future__ import annotations

import click

from webforms.cli.common import Group, iso_date, tentative
from webforms.services import services

calendar_group = Group("calendar", help="Vietnamese working-day calendar.")


@calendar_group.command("add", context_settings={"ignore_unknown_options": True})
@click.argument("date")
@click.argument("n", type=int)
def calendar_add(date: str, n: int) -> None:
    """The N-th working day after DATE (before it when N < 0)."""
    computation = services().calendar.explain_add(iso_date(date), n)
    for skipped in computation.skipped:
        click.echo(f"  skipped {skipped.date.isoformat()}: {skipped.reason}")
    note = " (dự kiến)" if computation.tentative else ""
    click.echo(computation.result.isoformat() + note)


@calendar_group.command("between")
@click.argument("a")
@click.argument("b")
def calendar_between(a: str, b: str) -> None:
    """Working days after A up to and including B."""
    click.echo(services().calendar.working_days_between(iso_date(a), iso_date(b)))


@calendar_group.command("check")
@click.argument("date")
def calendar_check(date: str) -> None:
    day = iso_date(date)
    calendar = services().calendar
    reason = calendar.day_off_reason(day)
    note = tentative(calendar, day)
    click.echo(f"{day.isoformat()} working day{note}" if reason is None
               else f"{day.isoformat()} day off: {reason}{note}")
