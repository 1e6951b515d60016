"""What every command shares: one unit of work per command, the error exit, and parsing of dates, times
and the `--now` option."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import sys

import click
from flask.cli import AppGroup, with_appcontext

from webforms.services import services
from webforms.timeutil import parse_instant, utcnow
from webforms.unit_of_work import unit_of_work


def in_unit_of_work(func):
    """Run the command in one unit of work (webforms/unit_of_work.py): what it wrote is committed when it
    returns (or exits with status 0), rolled back when it fails (`fail`, an exception, ^C)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with unit_of_work():
            return func(*args, **kwargs)

    return wrapper


class Group(AppGroup):
    """A command group whose commands run inside the app context and in one unit of work each."""

    def command(self, *args, **kwargs):
        wrap = super().command

        def decorator(func):
            return wrap(*args, **kwargs)(in_unit_of_work(func))

        return decorator


def command(name: str, **kwargs):
    """A top-level command (or one added to a group by `webforms.cli.register`) that runs inside the app
    context and in one unit of work."""

    def decorator(func):
        return click.command(name, **kwargs)(with_appcontext(in_unit_of_work(func)))

    return decorator


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"'{value}' is not a date in YYYY-MM-DD form") from exc


def tentative(calendar, *days: dt.date) -> str:
    """" (dự kiến)" when any of the days falls in a year whose days off are not confirmed."""
    return " (dự kiến)" if any(not calendar.is_confirmed(d.year) for d in days) else ""


def now_option(value: str | None) -> dt.datetime:
    if not value:
        return utcnow()
    try:
        return parse_instant(value, services().rules.plan.timezone)
    except ValueError:
        fail(f"'{value}' is not an ISO 8601 date-time")


def local_instant(date_: str, time_: str) -> dt.datetime:
    try:
        at = dt.time.fromisoformat(time_)
    except ValueError:
        fail(f"'{time_}' is not a time in HH:MM form")
    return dt.datetime.combine(iso_date(date_), at, tzinfo=services().rules.plan.timezone)


def cli_actor():
    from webforms.domain.audit import Actor

    return Actor(kind="user", name=f"cli:{getpass.getuser()}")
