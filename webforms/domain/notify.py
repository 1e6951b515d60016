"""Emails about recommendations and assignments: compose a template pair and write it to the outbox.

Every such email answers to the consolidating department (Reply-To) and its subject carries the
recommendation's code; `domain.mail.compose` keeps user text out of headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from config.rules import Rules
from webforms.domain.mail import sender_domain
from webforms.domain.outbox import queue_template
from webforms.extensions import db
from webforms.models import OutboxMessage


@dataclass(frozen=True)
class Notifications:
    """The `notifications:` section of departments.yaml."""

    digest: bool = True
    escalate_overdue: bool = True
    leaders: tuple[str, ...] = ()
    weekly_summary_weekday: int = 1  # ISO weekday, 1 = Monday


def notifications(rules: Rules) -> Notifications:
    """departments.yaml's `notifications:`, as the rules schema checked it at start."""
    section = rules.checked.departments.notifications
    return Notifications(
        digest=section.digest,
        escalate_overdue=section.escalate_overdue,
        leaders=tuple(section.leaders),
        weekly_summary_weekday=section.weekly_summary_weekday,
    )


def reply_to(rules: Rules) -> str:
    return rules.consolidating_department.emails[0]


def department_addresses(code: str, rules: Rules) -> list[str]:
    """The department's addresses as the YAML has them now (rows may lag behind an edit)."""
    try:
        return list(rules.department(code).emails)
    except KeyError:
        from webforms.models import Department

        row = db.session.scalar(select(Department).where(Department.code == code))
        return list(row.emails) if row is not None else []


def already_queued(dedupe_key: str) -> bool:
    return (
        db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None
    )


# Keys per `IN (…)` list: well under SQLite's bound-parameter limit, small enough for a quick plan.
DEDUPE_BATCH = 500


def queued_keys(dedupe_keys: Iterable[str]) -> set[str]:
    """Which of these dedupe keys the outbox already holds: one indexed query per batch of keys."""
    keys = list(dict.fromkeys(dedupe_keys))
    found: set[str] = set()
    for start in range(0, len(keys), DEDUPE_BATCH):
        batch = keys[start:start + DEDUPE_BATCH]
        found.update(db.session.scalars(select(OutboxMessage.dedupe_key)
                                        .where(OutboxMessage.dedupe_key.in_(batch))))
    return found


def send(
    template: str,
    *,
    to: Sequence[str],
    context: dict,
    rules: Rules,
    dedupe_key: str,
    cc: Sequence[str] = (),
    attachments: Iterable[dict] = (),
    settings,
) -> bool:
    """Queue one email; False (and nothing written) when `dedupe_key` was already used."""
    if already_queued(dedupe_key):
        return False
    recipients = [a for a in dict.fromkeys(to) if a]
    if not recipients:
        return False
    copies = [a for a in dict.fromkeys(cc) if a and a not in recipients]
    queue_template(
        template,
        {
            "rules": rules,
            "agency": rules.plan.agency,
            "consolidating": rules.consolidating_department,
            **context,
        },
        to=recipients,
        cc=copies,
        dedupe_key=dedupe_key,
        reply_to=reply_to(rules),
        attachments=list(attachments),
        rules=rules,
        message_domain=sender_domain(settings),
    )
    return True
