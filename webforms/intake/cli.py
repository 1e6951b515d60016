"""Intake commands: `doithoai conference announce SLUG` and `doithoai intake quorum SLUG`.

Importing this module adds `announce` to the `conference` group of webforms.cli.
"""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from webforms.cli import conference_group
from webforms.extensions import db
from webforms.services import services
from webforms.timeutil import utcnow


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@conference_group.command("announce")
@click.argument("slug")
def conference_announce(slug: str) -> None:
    """Publish the announcement of conference SLUG and open intake."""
    from webforms.domain.conferences import announce_conference, get_conference
    from webforms.domain.intake import intake_window

    svc = services()
    conference = get_conference(slug)
    if conference is None:
        _fail(f"no conference '{slug}'")
    now = utcnow()
    changed = announce_conference(conference, now=now, rules=svc.rules, calendar=svc.calendar)
    db.session.commit()
    window = intake_window(conference, now, svc.rules, svc.calendar)
    state = "announced" if changed else f"unchanged ({conference.status})"
    click.echo(f"{conference.slug} {state}; intake {window.state} until {window.closes_at.isoformat()}")


intake_group = AppGroup("intake", help="Enterprise registrations and recommendations.")


@intake_group.command("quorum")
@click.argument("slug")
def intake_quorum(slug: str) -> None:
    """Registered enterprises and in-scope recommendations counted toward the quorum (one JSON line)."""
    from webforms.domain.conferences import get_conference
    from webforms.domain.intake import quorum

    svc = services()
    conference = get_conference(slug)
    if conference is None:
        _fail(f"no conference '{slug}'")
    click.echo(json.dumps(quorum(conference, svc.rules, svc.calendar).as_dict(), ensure_ascii=False))
