"""`doithoai privacy …`: one enterprise's personal data, exported or erased (both audited)."""

from __future__ import annotations

import getpass
import json

import click

from webforms.cli.common import Group
from webforms.domain import privacy
from webforms.domain.audit import Actor
from webforms.timeutil import utcnow

privacy_group = Group("privacy", help="Personal data held about one enterprise (export, erase).")


def _actor() -> Actor:
    return Actor(kind="system", name=f"cli:{getpass.getuser()}", ip="", user_agent="doithoai privacy")


@privacy_group.command("export")
@click.option("--tax-code", required=True, help="The enterprise's tax code.")
def export_cmd(tax_code: str) -> None:
    """Print, as JSON, everything held about the enterprise and the people it named."""
    try:
        data = privacy.export_enterprise(tax_code, actor=_actor(), now=utcnow())
    except privacy.NotFound:
        raise click.ClickException(f"no enterprise with tax code {tax_code}") from None
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@privacy_group.command("erase")
@click.option("--tax-code", required=True, help="The enterprise's tax code.")
@click.option("--yes", is_flag=True, help="Do it without asking.")
def erase_cmd(tax_code: str, yes: bool) -> None:
    """Remove contact persons and attendees from the enterprise's registrations (recommendations, answers
    and issued documents stay as public records)."""
    if not yes:
        click.confirm(f"Erase the personal data of the people named by {tax_code}?", abort=True)
    try:
        changed = privacy.erase_enterprise(tax_code, actor=_actor(), now=utcnow())
    except privacy.NotFound:
        raise click.ClickException(f"no enterprise with tax code {tax_code}") from None
    click.echo(f"erased the personal data of {changed} registration(s)")
