"""The audit trail: who did what, when, from where."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert

from webforms.extensions import db
from webforms.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    kind: str  # user | department_link | enterprise_link | system
    name: str = ""
    ip: str = ""
    user_agent: str = ""


SYSTEM = Actor(kind="system", name="doithoai")


# Built once: a reused statement keeps its memoized cache key.
_INSERT = insert(AuditEvent.__table__)


def record(actor: Actor, action: str, target_kind: str = "", target_id: object = "", *,
           now: dt.datetime, **details) -> None:
    """Write one event in the session's transaction, at once and with Core: an audit row is never changed
    after, so it needs no ORM object, and the unit of work's flush (a third of a registration's time went to
    flushing its objects) does not carry it. It commits or rolls back with the caller's writes."""
    with db.session.no_autoflush:  # the row refers to nothing: what the caller has not flushed may wait
        db.session.execute(_INSERT, {
            "at": now,
            "actor_kind": actor.kind,
            "actor": actor.name[:320],
            "action": action,
            "target_kind": target_kind,
            "target_id": str(target_id),
            "ip": actor.ip[:64],
            "user_agent": actor.user_agent[:300],
            "details": details,
        })
