"""Numbered versions of the rules files (issue 14 items 3 and 5), kept in the database: each change made
in the back office or by `doithoai rules import` is checked by the one schema first, then stored as the
next row of `rules_versions` (every file's text, who, when, why). Going back to an earlier version is a new
version with its files.

The database, not a folder, is the source: the documents folder is the only thing hosts share (DESIGN.md,
Runtime). Every process loads the latest version before its next request or job
(webforms/rules_reload.py); the rules folder a deployment ships (config/) is version 1 until the first
change, which stores it as version 1 before the change becomes version 2.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from config.problems import RulesError
from config.rules import check_rules
from config.schema import FILES
from webforms.domain.departments import sync_departments
from webforms.extensions import db
from webforms.models import RulesVersion

FIRST_REASON = "Bản đang dùng trước lần sửa đầu tiên"


class StaleVersion(ValueError):  # noqa: N818 - reads as a sentence: raise StaleVersion
    """Someone applied another version since the editor started from `base`."""


@dataclass(frozen=True)
class Version:
    number: int
    at: dt.datetime
    by: str
    reason: str
    changed: tuple[str, ...]
    files: dict[str, str]

    def text(self, name: str) -> str:
        return self.files[name]


def _version(row: RulesVersion) -> Version:
    return Version(number=row.number, at=row.applied_at, by=row.applied_by, reason=row.reason,
                   changed=tuple(row.changed or ()), files=dict(row.files))


def list_versions() -> list[Version]:
    """Newest first."""
    return [_version(row) for row in db.session.scalars(select(RulesVersion).order_by(RulesVersion.number.desc()))]


def get_version(number: int) -> Version | None:
    row = db.session.get(RulesVersion, number)
    return _version(row) if row is not None else None


def current_number() -> int:
    """The latest version's number; 0 while no change was ever applied (the shipped folder is in use)."""
    return db.session.scalar(select(func.max(RulesVersion.number))) or 0


def folder_files(directory: Path | str) -> dict[str, str]:
    return {name: (Path(directory) / name).read_text(encoding="utf-8") for name in FILES}


def current_files(shipped: Path | str) -> dict[str, str]:
    """The files of the rules in force: the latest version's, else those of the `shipped` folder."""
    number = current_number()
    return get_version(number).files if number else folder_files(shipped)


def _in_a_folder(files: dict[str, str], use):
    with tempfile.TemporaryDirectory(prefix="doithoai-rules-") as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        try:
            return use(tmp)
        except RulesError as exc:
            raise RulesError([replace(p, file=Path(p.file).name) for p in exc.problems]) from None


def check_files(files: dict[str, str]) -> None:
    """RulesError when these eight files, as a folder, fail the check. Problems name the file by its name."""
    _in_a_folder(files, check_rules)


def load_files(files: dict[str, str]):
    """The Rules these eight files would give (for a preview), or RulesError naming the file by its name."""
    from config.rules import load_rules

    return _in_a_folder(files, load_rules)


def diff(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """A unified diff of every file that differs, as lines."""
    lines = []
    for name in FILES:
        if old.get(name) != new.get(name):
            lines += difflib.unified_diff(old.get(name, "").splitlines(), new.get(name, "").splitlines(),
                                          f"{name} (trước)", f"{name} (sau)", lineterm="")
    return lines


def _insert(number: int, files: dict[str, str], *, by: str, reason: str, now: dt.datetime,
            changed: list[str]) -> Version:
    row = RulesVersion(number=number, files=dict(files), changed=changed, applied_by=by, reason=reason,
                       applied_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise StaleVersion(f"another version {number} was applied at the same moment") from None
    return _version(row)


def apply_files(files: dict[str, str], *, shipped: Path | str, by: str, reason: str, now: dt.datetime,
                base: int | None = None) -> Version:
    """Check `files` (all eight) and add them as the next numbered version, in the session's transaction
    (the caller commits, with its audit record). Every process uses it from its next request or job.

    The first change also stores the `shipped` folder's files it replaces, as version 1. `base` is the
    version the editor started from: StaleVersion when another has been applied since."""
    files = {name: files[name] for name in FILES}
    check_files(files)
    latest = current_number()
    if base is not None and base != latest:
        raise StaleVersion(f"version {latest} was applied after version {base}")
    old = get_version(latest).files if latest else folder_files(shipped)
    if latest == 0:
        _insert(1, old, by=by, reason=FIRST_REASON, now=now, changed=[])
        latest = 1
    changed = [name for name in FILES if old[name] != files[name]]
    if "departments.yaml" in changed:
        # The department rows (addresses, heads, fields, zones) follow the version in the same transaction:
        # every email to a unit reads its row, on every host.
        sync_departments(load_files(files))
    return _insert(latest + 1, files, by=by, reason=reason, now=now, changed=changed)


def restore(number: int, *, shipped: Path | str, by: str, reason: str, now: dt.datetime) -> Version:
    """Go back to version `number`: its files become a new version (checked like any other)."""
    version = get_version(number)
    if version is None:
        raise KeyError(number)
    return apply_files(version.files, shipped=shipped, by=by, reason=reason or f"Quay lại phiên bản {number}",
                       now=now)


def import_folder(source: Path | str, *, shipped: Path | str, by: str, reason: str, now: dt.datetime) -> Version:
    return apply_files(folder_files(source), shipped=shipped, by=by, reason=reason, now=now)
