"""The Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webforms.extensions import db


def test_migrations_match_models(app_ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_constraints_keep_data_honest(app_ctx):
    import datetime as dt

    import pytest
    from sqlalchemy.exc import IntegrityError

    from webforms.models import Conference, Enterprise, MilestoneRun

    c = Conference(slug="x", title="t", host_agency="h", venue="v",
                   starts_at=dt.datetime(2025, 9, 4, 1, 30, tzinfo=dt.UTC))
    db.session.add_all([c, Enterprise(tax_code="0100047516", name="A", zone_code="KCN-VSIP")])
    db.session.flush()
    db.session.add(Enterprise(tax_code="0100047516", name="B", zone_code="KCN-VSIP"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    c = Conference(slug="y", title="t", host_agency="h", venue="v",
                   starts_at=dt.datetime(2025, 9, 4, 1, 30, tzinfo=dt.UTC))
    db.session.add(c)
    db.session.flush()
    now = dt.datetime.now(dt.UTC)
    db.session.add(MilestoneRun(conference_id=c.id, milestone="intake_closes", action="a", as_of=now))
    db.session.flush()
    db.session.add(MilestoneRun(conference_id=c.id, milestone="intake_closes", action="b", as_of=now))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_datetimes_come_back_aware_utc(app_ctx):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from webforms.models import Conference

    local = dt.datetime(2025, 9, 4, 8, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    db.session.add(Conference(slug="z", title="t", host_agency="h", venue="v", starts_at=local))
    db.session.commit()
    db.session.expire_all()
    c = db.session.query(Conference).filter_by(slug="z").one()
    assert c.starts_at == local
    assert c.starts_at.utcoffset() == dt.timedelta(0)
