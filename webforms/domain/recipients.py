"""Who receives what the deadline engine sends: config/deadline_engine.yaml, read beside the rules,
and the leaders of departments.yaml's `notifications:` section (shared with the reminders)."""

from __future__ import annotations

from dataclasses import dataclass

from config.rules import Rules
from webforms.domain.notify import notifications


@dataclass(frozen=True)
class Recipients:
    office: tuple[str, ...]  # the secretariat's mailbox(es)
    consolidation: tuple[str, ...]  # the consolidating department's mailbox(es)
    leaders: tuple[str, ...]
    event_hours: float


def recipients_for(rules: Rules) -> Recipients:
    """From the rules as checked at start: the office is a department and the leaders are addresses
    (config/schema.py refuses anything else)."""
    engine = rules.checked.deadline_engine
    return Recipients(
        office=rules.department(engine.office).emails,
        consolidation=rules.consolidating_department.emails,
        leaders=notifications(rules).leaders,
        event_hours=float(engine.event_hours),
    )
