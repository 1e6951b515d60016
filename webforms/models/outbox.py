from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from webforms.extensions import db
from webforms.models.base import UTCDateTime
from webforms.timeutil import utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"  # written with its cause; not yet done
    SENDING = "sending"  # claimed by a worker; back to pending if that worker died (see sweep)
    SENT = "sent"  # done (mail accepted by the SMTP server, document rendered)
    FAILED = "failed"  # gave up: permanent error or retries exhausted


# The rows still to act on (pending or sending): a few among the millions a deployment keeps for years.
# The partial index below holds only those, and the queries of the tick and the sweep repeat this
# predicate word for word (`outbox_live()`): a planner uses a partial index only when the query's WHERE
# implies the index's, and SQLite cannot see that through a bound parameter.
LIVE_PREDICATE = "status IN ('pending', 'sending')"


def outbox_live():
    """The live-rows predicate as a clause, for a query that should read the partial index."""
    return text(f"outbox_messages.{LIVE_PREDICATE}")


class OutboxMessage(db.Model):
    """A side effect written in the same transaction as its cause, carried out by a worker."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_status_created", "status", "created_at"),
        Index("ix_outbox_live", "status", "id", sqlite_where=text(LIVE_PREDICATE),
              postgresql_where=text(LIVE_PREDICATE)),
        # The mail retention's seek: the messages not yet scrubbed, oldest first (issue 18).
        Index("ix_outbox_unerased", "erased_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # mail | render
    queue: Mapped[str] = mapped_column(String(20), default="mail")
    # Whatever makes this effect unique ("receipt:KN.20250820.0042"); a second row with it is refused.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # Stable Message-ID derived from the row, so a rare duplicate can be dropped by clients.
    message_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    enqueued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Not before this instant (backoff after a transient failure); the sweep respects it.
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the retention period or an erasure request scrubbed its addresses and body (webforms/domain/privacy.py).
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"
