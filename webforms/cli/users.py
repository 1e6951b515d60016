"""`doithoai user …`: staff accounts from the command line."""

from __future__ import annotations

import sys

import click

from webforms.cli.common import Group
from webforms.extensions import db
from webforms.services import services
from webforms.timeutil import utcnow

user_group = Group("user", help="Staff accounts of the back office.")


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, help="admin, secretariat, consolidation or leader")
@click.option("--name", default="")
@click.option("--password", default=None, help="Asked for (hidden, twice) when not given.")
def user_create(email: str, role: str, name: str, password: str | None) -> None:
    from webforms.domain.accounts import AccountError, create_user, security_policy
    from webforms.domain.audit import Actor

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email=email, role=role, password=password, name=name,
                           policy=security_policy(services().settings.rules_dir), now=utcnow(),
                           actor=Actor(kind="system", name="cli"))
    except AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(user.email)


@user_group.command("reset-password")
@click.option("--email", required=True)
@click.option("--password", default=None, help="Asked for (hidden, twice) when not given.")
def user_reset_password(email: str, password: str | None) -> None:
    from sqlalchemy import func, select

    from webforms.domain.accounts import AccountError, normalise_email, reset_password, security_policy
    from webforms.domain.audit import Actor
    from webforms.models import User

    user = db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))
    if user is None:
        click.echo(f"error: no user {email}", err=True)
        sys.exit(1)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        reset_password(user, password, policy=security_policy(services().settings.rules_dir), now=utcnow(),
                       actor=Actor(kind="system", name="cli"))
    except AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(user.email)
