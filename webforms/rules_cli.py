"""`doithoai rules check|export|import`: the rules files in config/ against the one schema
(config/schema.py). These commands need neither the database nor the settings' secrets, so they
run without building the app: a clerk can check an edited copy anywhere."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import click

from config.rules import check_rules
from config.schema import FILES, RulesError
from config.settings import PROJECT_ROOT


def rules_dir() -> Path:
    """The folder the processes read their rules from (DOITHOAI_RULES_DIR, else config/)."""
    return Path(os.environ.get("DOITHOAI_RULES_DIR") or PROJECT_ROOT / "config")


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
    """Check every rules file in DIRECTORY (default: the rules in use); exit 1 naming each problem."""
    directory = directory or rules_dir()
    _check_or_exit(directory)
    click.echo(f"OK: {len(FILES)} rules files in {directory} are valid")


@rules_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def rules_export(directory: Path) -> None:
    """Write the rules in use, checked, as YAML files into DIRECTORY (to keep and review them in git)."""
    source = rules_dir()
    _check_or_exit(source)
    if directory.resolve() == source.resolve():
        click.echo(f"error: {directory} is the rules folder itself", err=True)
        sys.exit(1)
    directory.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(source / name, directory / name)
    click.echo(f"exported {len(FILES)} rules files from {source} to {directory}")


@rules_group.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def rules_import(directory: Path) -> None:
    """Check the YAML files in DIRECTORY and, only if all are valid, make them the rules in use.

    The rules have no numbered versions yet: the files are copied into the rules folder (the old ones
    are kept in its `previous/` folder); web and workers use them from their next request or job."""
    target = rules_dir()
    if directory.resolve() == target.resolve():
        click.echo(f"error: {directory} is the rules folder itself", err=True)
        sys.exit(1)
    _check_or_exit(directory)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    backup = target / "previous" / stamp
    backup.mkdir(parents=True, exist_ok=True)
    changed = []
    for name in FILES:
        new = (directory / name).read_bytes()
        old_path = target / name
        if old_path.exists():
            shutil.copyfile(old_path, backup / name)
            if old_path.read_bytes() == new:
                continue
        partial = target / f".{name}.importing"
        partial.write_bytes(new)
        os.replace(partial, old_path)
        changed.append(name)
    click.echo(f"imported {directory} into {target}: "
               f"{', '.join(changed) if changed else 'no file changed'}; the previous files are in {backup}")
    click.echo("web and workers use them from their next request or job (the rules have no numbered versions yet)")
