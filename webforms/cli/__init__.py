"""The `doithoai` command line (also reachable as `flask` commands). Thin: it calls domain functions.

One module per area (calendar, conference, intake, checkin, documents, privacy, users, ops, rules), each
defining its commands; `register` adds them to the app, every one explicitly, here. Each command that
uses the app runs in one unit of work (`common.in_unit_of_work`): committed when it returns, rolled back
when it fails.

Output formats are a contract (README, ops runbook, outside checks): keep them stable.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

from webforms.cli import calendar, checkin, conference, documents, intake, ops, privacy, users
from webforms.cli.rules import rules_group


def register(app: Flask) -> None:
    """Every command that needs the app, added to `app.cli`."""
    group = conference.conference_group
    for command in (intake.conference_announce, ops.conference_status_cmd, checkin.conference_attendance):
        group.add_command(command)
    commands = (calendar.calendar_group, group, ops.seed_demo_cmd, ops.tick_cmd, ops.worker_cmd, ops.health_cmd,
                users.user_group, intake.intake_group, privacy.privacy_group, documents.render_cmd,
                documents.documents_cmd, documents.document_group, documents.register_group)
    for command in commands:
        app.cli.add_command(command)


def _create_app_for_cli():
    from config.problems import RulesError
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


main.add_command(rules_group)  # needs neither the database nor the settings' secrets: no app is built
