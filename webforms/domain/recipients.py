"""Who receives what the deadline engine sends: config/deadline_engine.yaml, read beside the rules,
and the leaders of departments.yaml's `notifications:` section (shared with the reminders)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from config.rules import Rules, RulesError, read_yaml
from webforms.domain.notify import notifications

FILE_NAME = "deadline_engine.yaml"


@dataclass(frozen=True)
class Recipients:
    office: tuple[str, ...]  # the secretariat's mailbox(es)
    consolidation: tuple[str, ...]  # the consolidating department's mailbox(es)
    leaders: tuple[str, ...]
    event_hours: float


_read = cache(read_yaml)


def recipients_for(rules: Rules) -> Recipients:
    path = Path(rules.source_dir) / FILE_NAME
    data = _read(path)
    office_code = data.get("office")
    try:
        office = rules.department(office_code)
    except KeyError as exc:
        raise RulesError(f"{path}: office '{office_code}' is not a department in departments.yaml") from exc
    leaders = notifications(rules).leaders
    if not leaders:
        raise RulesError("departments.yaml: notifications.leaders needs at least one email")
    return Recipients(
        office=office.emails,
        consolidation=rules.consolidating_department.emails,
        leaders=leaders,
        event_hours=float(data.get("event_hours", 4)),
    )
