"""Numbered versions of the rules files (issue 14 item 3, files part): each change made in the back office
or by `doithoai rules import` is checked by the one schema first, then kept as a folder
`<rules dir>/versions/NNNN/` holding all eight files and `version.json` (who, when, why), and only then
written over the rules in use. Going back to an earlier version is a new version with its files.

The processes pick a new version up at their next request or job (webforms/rules_reload.py).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from config.rules import check_rules
from config.schema import FILES, RulesError

VERSIONS = "versions"
META = "version.json"


class StaleVersion(ValueError):  # noqa: N818 - reads as a sentence: raise StaleVersion
    """Someone applied another version since the editor started from `base`."""


@dataclass(frozen=True)
class Version:
    number: int
    at: dt.datetime
    by: str
    reason: str
    changed: tuple[str, ...]
    folder: Path

    def text(self, name: str) -> str:
        return (self.folder / name).read_text(encoding="utf-8")


def versions_dir(rules_dir: Path | str) -> Path:
    return Path(rules_dir) / VERSIONS


def list_versions(rules_dir: Path | str) -> list[Version]:
    """Newest first."""
    found = []
    root = versions_dir(rules_dir)
    if not root.is_dir():
        return []
    for folder in root.iterdir():
        meta = folder / META
        if folder.name.isdigit() and meta.is_file():
            data = json.loads(meta.read_text(encoding="utf-8"))
            found.append(Version(number=int(folder.name), at=dt.datetime.fromisoformat(data["at"]),
                                 by=data["by"], reason=data["reason"], changed=tuple(data["changed"]),
                                 folder=folder))
    return sorted(found, key=lambda v: v.number, reverse=True)


def get_version(rules_dir: Path | str, number: int) -> Version | None:
    return next((v for v in list_versions(rules_dir) if v.number == number), None)


def current_number(rules_dir: Path | str) -> int:
    versions = list_versions(rules_dir)
    return versions[0].number if versions else 0


def current_files(rules_dir: Path | str) -> dict[str, str]:
    return {name: (Path(rules_dir) / name).read_text(encoding="utf-8") for name in FILES}


def check_files(files: dict[str, str]) -> None:
    """RulesError when these eight files, as a folder, fail the check. Problems name the file by its name."""
    with tempfile.TemporaryDirectory(prefix="doithoai-rules-") as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        try:
            check_rules(tmp)
        except RulesError as exc:
            raise RulesError([replace(p, file=Path(p.file).name) for p in exc.problems]) from None


def load_files(files: dict[str, str]):
    """The Rules these eight files would give (for a preview), or RulesError naming the file by its name."""
    from config.rules import load_rules

    with tempfile.TemporaryDirectory(prefix="doithoai-rules-") as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        try:
            return load_rules(tmp)
        except RulesError as exc:
            raise RulesError([replace(p, file=Path(p.file).name) for p in exc.problems]) from None


def diff(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """A unified diff of every file that differs, as lines."""
    lines = []
    for name in FILES:
        if old.get(name) != new.get(name):
            lines += difflib.unified_diff(old.get(name, "").splitlines(), new.get(name, "").splitlines(),
                                          f"{name} (trước)", f"{name} (sau)", lineterm="")
    return lines


def _claim(rules_dir: Path, number: int) -> Path:
    root = versions_dir(rules_dir)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"{number:04d}"
    folder.mkdir()  # FileExistsError when another editor took the number first
    return folder


def _write(rules_dir: Path, folder: Path, files: dict[str, str], *, by: str, reason: str, now: dt.datetime,
           changed: list[str]) -> Version:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    meta = {"at": now.isoformat(), "by": by, "reason": reason, "changed": changed}
    (folder / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return Version(number=int(folder.name), at=now, by=by, reason=reason, changed=tuple(changed), folder=folder)


def apply_files(rules_dir: Path | str, files: dict[str, str], *, by: str, reason: str, now: dt.datetime,
                base: int | None = None) -> Version:
    """Check `files` (all eight), keep them as the next numbered version, then make them the rules in use.

    The first change also keeps the files it replaces, as version 1. `base` is the version the editor
    started from: StaleVersion when another has been applied since."""
    rules_dir = Path(rules_dir)
    check_files(files)
    if base is not None and base != current_number(rules_dir):
        raise StaleVersion(f"version {current_number(rules_dir)} was applied after version {base}")
    old = current_files(rules_dir)
    changed = [name for name in FILES if old[name] != files[name]]
    if current_number(rules_dir) == 0:
        _write(rules_dir, _claim(rules_dir, 1), old, by=by, reason="Bản đang dùng trước lần sửa đầu tiên",
               now=now, changed=[])
    try:
        folder = _claim(rules_dir, current_number(rules_dir) + 1)
    except FileExistsError:
        raise StaleVersion("another version was applied at the same moment") from None
    version = _write(rules_dir, folder, files, by=by, reason=reason, now=now, changed=changed)
    for name in changed:
        partial = rules_dir / f".{name}.new"
        partial.write_text(files[name], encoding="utf-8")
        os.replace(partial, rules_dir / name)
    return version


def restore(rules_dir: Path | str, number: int, *, by: str, reason: str, now: dt.datetime) -> Version:
    """Go back to version `number`: its files become a new version (checked like any other)."""
    version = get_version(rules_dir, number)
    if version is None:
        raise KeyError(number)
    files = {name: version.text(name) for name in FILES}
    return apply_files(rules_dir, files, by=by, reason=reason or f"Quay lại phiên bản {number}", now=now)


def import_folder(rules_dir: Path | str, source: Path | str, *, by: str, reason: str, now: dt.datetime) -> Version:
    files = {name: (Path(source) / name).read_text(encoding="utf-8") for name in FILES}
    return apply_files(rules_dir, files, by=by, reason=reason, now=now)

