"""No restart for a new set of rules: web (before each request) and workers (before each job) look at the
rules files and, when one changed, load and check them again (config/schema.py). Rules that pass replace
the old ones for the next request or job; rules that fail are logged with their problems and the process
keeps the rules it has (it refused to start on them, it does not stop for them)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask

from config.rules import load_rules
from config.schema import FILES, RulesError
from webforms.domain.workdays import calendar_for
from webforms.services import Services

log = logging.getLogger("doithoai.rules")
KEY = "doithoai.rules_files"
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


def watch_rules(app: Flask) -> None:
    app.extensions[KEY] = fingerprint(app.extensions["doithoai"].rules.source_dir)

    @app.before_request
    def _use_the_latest_rules() -> None:
        refresh_rules(app)


def refresh_rules(app: Flask) -> bool:
    """Load the rules again if their files changed since they were loaded; True when new rules apply."""
    current: Services = app.extensions["doithoai"]
    directory = current.rules.source_dir
    seen = fingerprint(directory)
    if seen == app.extensions.get(KEY):
        return False
    with _lock:
        current = app.extensions["doithoai"]
        if seen == app.extensions.get(KEY):
            return False
        try:
            rules = load_rules(directory)
        except RulesError as exc:
            app.extensions[KEY] = seen  # said once per change, not once per request
            log.error("the rules in %s changed but are not valid; the previous rules stay in use:\n%s",
                      directory, exc)
            return False
        app.extensions["doithoai"] = Services(settings=current.settings, rules=rules,
                                              calendar=calendar_for(rules.holidays), _redis=current._redis)
        app.extensions[KEY] = seen
        log.info("new rules from %s are in use", directory)
        return True
