"""`doithoai rules check|export|import|versions|restore`: the rules files against the one schema
(config/schema.py). `check` needs neither the database nor the settings' secrets, so it runs without
building the app: a clerk can check an edited copy anywhere. The others work on the versions kept in the
database (webforms/domain/rules_versions.py), through the app."""

from __future__ import annotations

import datetime as dt
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from config.problems import RulesError
from config.rules import check_rules
from config.schema import FILES
from config.settings import PROJECT_ROOT


def rules_dir() -> Path:
    """The folder the processes read their rules from (DOITHOAI_RULES_DIR, else config/)."""
    return Path(os.environ.get("DOITHOAI_RULES_DIR") or PROJECT_ROOT / "config")


@contextmanager
def _in_app():
    """The app's context (the database of the versions): the one running, else one built for this command."""
    from flask import current_app, has_app_context

    if has_app_context():
        yield current_app._get_current_object()
        return
    from webforms.app import create_app

    app = create_app()
    with app.app_context():
        yield app


def _check_or_exit(directory: Path) -> None:
    try:
        check_rules(directory)
    except RulesError as exc:
        click.echo(str(exc), err=True)
        click.echo(f"{len(exc.problems)} problem(s) in {directory}", err=True)
        sys.exit(1)


@click.group("rules", help="Check, export and import the rules files (config/*.yaml).")
def rules_group() -> None:
    pass


@rules_group.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def rules_check(directory: Path | None) -> None:
    """Check every rules file in DIRECTORY (default: the configured rules folder); exit 1 naming each problem."""
    directory = directory or rules_dir()
    _check_or_exit(directory)
    click.echo(f"OK: {len(FILES)} rules files in {directory} are valid")


@rules_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def rules_export(directory: Path) -> None:
    """Write the rules in use (the latest version), as YAML files into DIRECTORY (to keep and review
    them in git)."""
    from webforms.domain.rules_versions import check_files, current_files, current_number
    from webforms.rules_reload import shipped_dir

    source = rules_dir()
    if directory.resolve() == source.resolve():
        click.echo(f"error: {directory} is the rules folder itself", err=True)
        sys.exit(1)
    with _in_app() as app:
        files, number = current_files(shipped_dir(app)), current_number()
    try:
        check_files(files)
    except RulesError as exc:
        click.echo(str(exc), err=True)
        click.echo(f"{len(exc.problems)} problem(s) in version {number or 1}", err=True)
        sys.exit(1)
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    click.echo(f"exported {len(FILES)} rules files of version {number or 1} to {directory}")


@rules_group.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--reason", default="", help="Why (kept with the version; default: the folder imported).")
def rules_import(directory: Path, reason: str) -> None:
    """Check the YAML files in DIRECTORY and, only if all are valid, make them the rules in use as a new
    numbered version (the same versions as the back office's; web and workers use it from their next
    request or job)."""
    from webforms.domain.rules_versions import StaleVersion, import_folder
    from webforms.rules_reload import shipped_dir
    from webforms.unit_of_work import unit_of_work

    target = rules_dir()
    if directory.resolve() == target.resolve():
        click.echo(f"error: {directory} is the rules folder itself", err=True)
        sys.exit(1)
    _check_or_exit(directory)
    by = f"cli:{os.environ.get('USER') or os.environ.get('LOGNAME') or 'unknown'}"
    try:
        with _in_app() as app, unit_of_work():
            version = import_folder(directory, shipped=shipped_dir(app), by=by, now=dt.datetime.now(dt.UTC),
                                    reason=reason or f"doithoai rules import {directory}")
            _audit(by, "rules.import", version)
    except StaleVersion as exc:
        click.echo(f"error: {exc}; run the import again", err=True)
        sys.exit(1)
    click.echo(f"imported {directory} as version {version.number}: "
               f"{', '.join(version.changed) if version.changed else 'no file changed'}")
    click.echo("web and workers use it from their next request or job; "
               "`doithoai rules versions` lists the versions")


@rules_group.command("versions")
def rules_versions() -> None:
    """The numbered versions of the rules in use, newest first."""
    from webforms.domain.rules_versions import list_versions

    with _in_app():
        versions = list_versions()
    for version in versions:
        click.echo(f"{version.number}\t{version.at.isoformat(timespec='seconds')}\t{version.by}\t"
                   f"{','.join(version.changed) or '-'}\t{version.reason}")


@rules_group.command("restore")
@click.argument("number", type=int)
@click.option("--reason", default="", help="Why (kept with the new version).")
def rules_restore(number: int, reason: str) -> None:
    """Go back to version NUMBER: its files become a new version."""
    from webforms.domain.rules_versions import StaleVersion, restore
    from webforms.rules_reload import shipped_dir
    from webforms.unit_of_work import unit_of_work

    by = f"cli:{os.environ.get('USER') or os.environ.get('LOGNAME') or 'unknown'}"
    try:
        with _in_app() as app, unit_of_work():
            version = restore(number, shipped=shipped_dir(app), by=by, reason=reason, now=dt.datetime.now(dt.UTC))
            _audit(by, "rules.restore", version, restored=number)
    except KeyError:
        click.echo(f"error: there is no version {number}", err=True)
        sys.exit(1)
    except (RulesError, StaleVersion) as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    changed = ", ".join(version.changed) or "no file changed"
    click.echo(f"version {number} restored as version {version.number}: {changed}")


def _audit(by: str, action: str, version, **details) -> None:
    from webforms.domain.audit import Actor, record

    record(Actor(kind="user", name=by), action, "rules_version", version.number, now=version.at,
           reason=version.reason, **details)
