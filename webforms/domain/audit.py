"""The audit trail: who did what, when, from where."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from webforms.extensions import db
from webforms.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    kind: str  # user | department_link | enterprise_link | system
    name: str = ""
    ip: str = ""
    user_agent: str = ""


SYSTEM = Actor(kind="system", name="doithoai")


def record(actor: Actor, action: str, target_kind: str = "", target_id: object = "", *,
           now: dt.datetime, **details) -> AuditEvent:
    event = AuditEvent(
        at=now,
        actor_kind=actor.kind,
        actor=actor.name[:320],
        action=action,
        target_kind=target_kind,
        target_id=str(target_id),
        ip=actor.ip[:64],
        user_agent=actor.user_agent[:300],
        details=details,
    )
    db.session.add(event)
    return event
