"""The limit that counts for intake (issue 18): a bare Flask endpoint, under the same gunicorn settings
and on the same kind of database, that writes the rows a registration with one recommendation writes in
doithoai's own schema — the enterprise, the day's tracking counter, the registration, the recommendation
(inserted as assigned, as doithoai does), the receipt's outbox row, two audit events and the routing
assignment — with SQLAlchemy Core and no validation, rendering or ORM. Two endpoints: /rows writes them all
in one transaction (the issue's definition); /rows-counter-apart bumps the day's tracking counter first in
a transaction of its own, as doithoai does on PostgreSQL.

The rows were read off one real submission (the statements the engine ran); the schema is doithoai's
own (its migrations), so indexes and constraints cost the same.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import secrets

from flask import Flask, request
from sqlalchemy import create_engine, insert, select, update

from bench.common import like_doithoai


def create_app() -> Flask:
    from webforms.models import (
        Assignment,
        AuditEvent,
        Conference,
        Department,
        Enterprise,
        OutboxMessage,
        Recommendation,
        Registration,
        TrackingCounter,
    )

    url = os.environ["BARE_DATABASE_URL"]
    engine = create_engine(url)
    like_doithoai(engine)
    enterprises, registrations, recommendations = (Enterprise.__table__, Registration.__table__,
                                                   Recommendation.__table__)
    counters, outbox, audit = TrackingCounter.__table__, OutboxMessage.__table__, AuditEvent.__table__
    assignments = Assignment.__table__
    with engine.begin() as conn:  # the schema is migrated by the bench; one conference and department
        conference_id = conn.scalar(select(Conference.__table__.c.id).where(Conference.__table__.c.slug == "bench"))
        department_id = conn.scalar(select(Department.__table__.c.id).order_by(Department.__table__.c.id))
        # The written-reply deadline every new assignment carries (D+7 wd; its computation is not a row).
        conferences = Conference.__table__
        due_at = conn.scalar(select(conferences.c.starts_at).where(conferences.c.id == conference_id)) \
            + dt.timedelta(days=9)
    sequence = itertools.count(1)
    pid = os.getpid()
    app = Flask(__name__)

    def bump(conn, day) -> int:
        number = conn.execute(update(counters).where(counters.c.day == day)
                              .values(last=counters.c.last + 1).returning(counters.c.last)).scalar()
        if number is None:
            conn.execute(insert(counters).values(day=day, last=1))
            number = 1
        return number

    @app.post("/rows")
    def rows():
        """Every row in one transaction, the day's counter included (issue 18's definition)."""
        return write(request.get_json(), counter_apart=False)

    @app.post("/rows-counter-apart")
    def rows_counter_apart():
        """The same rows, the day's counter bumped in a transaction of its own on PostgreSQL, as doithoai
        does (webforms/domain/intake/submit.py, next_tracking_code): then concurrent writers do not queue on
        the counter's row lock until each one's commit. On SQLite the one writer holds the lock anyway, and
        doithoai bumps inside the transaction: the same as /rows."""
        return write(request.get_json(), counter_apart=engine.dialect.name == "postgresql")

    def write(data, *, counter_apart: bool):
        now = dt.datetime.now(dt.UTC)
        day = now.date()
        n = next(sequence)
        enterprise, contact, (item,) = data["enterprise"], data["contact"], data["recommendations"]
        number = None
        if counter_apart:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                number = bump(conn, day)
        with engine.begin() as conn:
            enterprise_id = conn.execute(insert(enterprises).values(
                tax_code=enterprise["tax_code"], name=enterprise["name"], zone_code=enterprise["zone"],
                address=enterprise["address"], sector=enterprise["sector"], created_at=now, updated_at=now,
            ).returning(enterprises.c.id)).scalar_one()
            if number is None:
                number = bump(conn, day)
            code = f"KN.{day:%Y%m%d}.{pid}{n:06d}"  # distinct per worker (two pids may end alike)
            registration_id = conn.execute(insert(registrations).values(
                conference_id=conference_id, enterprise_id=enterprise_id, tracking_code=code,
                token_hash=secrets.token_hex(32), contact_name=contact["name"],
                contact_position=contact["position"], contact_email=contact["email"],
                contact_phone=contact["phone"], attendees=data["attendees"], registered_at=now,
            ).returning(registrations.c.id)).scalar_one()
            recommendation_id = conn.execute(insert(recommendations).values(
                registration_id=registration_id, conference_id=conference_id, seq=1, code=f"{code}-1",
                title=item["title"], content=item["content"], field_code=item["field"],
                agency_concerned=item["agency"], received_at=now, status="assigned", created_at=now,
                updated_at=now,
            ).returning(recommendations.c.id)).scalar_one()
            conn.execute(insert(outbox).values(
                kind="mail", queue="mail", dedupe_key=f"receipt:{code}", status="pending", attempts=0,
                payload={"to": [contact["email"]], "subject": "Đã nhận đăng ký", "text": item["content"]},
                last_error="", message_id=f"<{code}@bench.example>", created_at=now))
            conn.execute(insert(audit), [
                {"at": now, "actor_kind": "enterprise_link", "actor": "api", "action": "registration.create",
                 "target_kind": "registration", "target_id": code, "ip": request.remote_addr or "",
                 "user_agent": request.user_agent.string or "", "details": {}},
                {"at": now, "actor_kind": "system", "actor": "routing", "action": "recommendation.route",
                 "target_kind": "recommendation", "target_id": f"{code}-1", "ip": "", "user_agent": "",
                 "details": {"department": "QLDT"}},
            ])
            conn.execute(insert(assignments).values(
                recommendation_id=recommendation_id, department_id=department_id, role="owner", state="open",
                draft_answer="", extra={}, due_at=due_at, created_at=now, updated_at=now))
        return {"tracking_code": code, "number": number}, 201

    return app
