"""No restart for a new version of the rules: web (before each request), workers (before each job) and the
CLI (when it starts) ask the database for the number of the latest version (webforms/domain/rules_versions.py)
— one indexed read — and, when it is not the one they use, write that version's files into a folder of
their own instance directory, load and check them (config/schema.py) and use them from then on. The
database is the only source: hosts share nothing else but the documents folder (DESIGN.md, Runtime).

While no version was ever applied, the configured rules folder (config/, the shipped version 1) is in use,
and a change of its files applies the same way, at the next request or job.

Rules that fail the check are logged with their problems and the process keeps the rules it has (it refused
to start on them, it does not stop for them). The folder a version was loaded from becomes the settings'
`rules_dir`, so what reads a rules file by path (security.yaml) reads the version in use.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from flask import Flask, request
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from config.problems import RulesError
from config.rules import Rules, load_rules
from config.schema import FILES
from webforms.domain.sql import READ_ONLY_OPTION
from webforms.domain.workdays import calendar_for
from webforms.services import Services

log = logging.getLogger("doithoai.rules")
KEY = "doithoai.rules_in_use"  # ("folder", fingerprint) or ("version", number)
SHIPPED = "doithoai.rules_shipped"  # the configured rules folder: version 1 until the first change
_lock = threading.Lock()


def fingerprint(directory: Path | str) -> tuple:
    """What changes when any rules file is written or replaced: its inode, size and modification time."""
    found = []
    for name in FILES:
        try:
            stat = (Path(directory) / name).stat()
        except FileNotFoundError:
            found.append((name, None))
            continue
        found.append((name, stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def shipped_dir(app: Flask) -> Path:
    return app.extensions[SHIPPED]


def watch_rules(app: Flask) -> None:
    directory = app.extensions["doithoai"].rules.source_dir
    app.extensions[SHIPPED] = Path(directory)
    app.extensions[KEY] = ("folder", fingerprint(directory))

    @app.before_request
    def _use_the_latest_rules() -> None:
        if request.endpoint != "static":
            refresh_rules(app)


def latest_number(app: Flask) -> int | None:
    """The latest version's number (0: none yet), read on a connection of its own so the request's session
    and its transaction are untouched; None when the database cannot say (not migrated yet, unreachable)."""
    from webforms.extensions import db
    from webforms.models import RulesVersion

    options = {READ_ONLY_OPTION: True}
    if db.engine.dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"  # one read: no BEGIN and ROLLBACK round trips around it
    try:
        with db.engine.connect().execution_options(**options) as connection:
            return connection.scalar(_latest_statement(RulesVersion)) or 0  # Core: no ORM step
    except DBAPIError as exc:
        log.debug("the rules versions could not be read: %s", exc)
        return None


@functools.cache
def _latest_statement(model):
    """Built once (every request runs it): a reused statement keeps its memoized cache key."""
    return select(func.max(model.__table__.c.number))


def refresh_rules(app: Flask, *, strict: bool = False) -> bool:
    """Use the latest version of the rules if it is not the one in use; True when new rules apply.
    `strict` (at start): rules that fail the check raise RulesError instead of being logged."""
    number = latest_number(app)
    if number is None:
        number = 0 if app.extensions[KEY][0] == "folder" else None
    if number is None:
        return False  # the database is away for a moment: keep the version in use
    if number == 0:
        return _refresh_from_folder(app, strict)
    if app.extensions[KEY] == ("version", number):
        return False
    with _lock:
        if app.extensions[KEY] == ("version", number):
            return False
        try:
            folder = materialise(app, number)
            rules = replace(load_rules(folder), version=number)
        except RulesError as exc:
            if strict:
                raise RulesError(exc.problems) from None
            app.extensions[KEY] = ("version", number)  # said once per version, not once per request
            log.error("rules version %d is not valid; the previous rules stay in use:\n%s", number, exc)
            return False
        _use(app, rules)
        app.extensions[KEY] = ("version", number)
        log.info("rules version %d is in use", number)
        return True


def _refresh_from_folder(app: Flask, strict: bool) -> bool:
    directory = shipped_dir(app)
    seen = ("folder", fingerprint(directory))
    if seen == app.extensions.get(KEY):
        return False
    with _lock:
        if seen == app.extensions.get(KEY):
            return False
        try:
            rules = load_rules(directory)
        except RulesError as exc:
            if strict:
                raise
            app.extensions[KEY] = seen  # said once per change, not once per request
            log.error("the rules in %s changed but are not valid; the previous rules stay in use:\n%s",
                      directory, exc)
            return False
        _use(app, rules)
        app.extensions[KEY] = seen
        log.info("new rules from %s are in use", directory)
        return True


def _use(app: Flask, rules: Rules) -> None:
    current: Services = app.extensions["doithoai"]
    settings = current.settings.with_(rules_dir=Path(rules.source_dir))
    app.extensions["doithoai"] = Services(settings=settings, rules=rules, calendar=calendar_for(rules.holidays),
                                          _redis=current._redis)


def materialise(app: Flask, number: int) -> Path:
    """The folder holding version `number`'s files in this process's instance directory (written once; its
    name carries the files' digest, so a folder is never reused for other files)."""
    from webforms.extensions import db
    from webforms.models import RulesVersion

    with db.engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        files = connection.scalar(select(RulesVersion.files).where(RulesVersion.number == number))
    if isinstance(files, str):
        files = json.loads(files)
    digest = hashlib.sha256(json.dumps(files, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    root = Path(app.extensions["doithoai"].settings.instance_dir) / "rules"
    folder = root / f"{number:04d}-{digest}"
    if folder.is_dir():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=root))
    for name in FILES:
        (partial / name).write_text(files.get(name, ""), encoding="utf-8")
    try:
        os.rename(partial, folder)
    except OSError:  # another process of this host wrote it first
        shutil.rmtree(partial, ignore_errors=True)
    return folder
