"""The application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, abort, g, has_request_context, render_template, request
from werkzeug.datastructures import ImmutableMultiDict

from config.rules import Rules, load_rules
from config.settings import Settings, load_settings
from webforms.domain.lifecycle import install_guards
from webforms.domain.sql import READ_ONLY_OPTION, begin_read_only
from webforms.domain.tick import check_milestone_handlers
from webforms.domain.workdays import calendar_for
from webforms.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from webforms.rules_reload import refresh_rules, watch_rules
from webforms.services import Services, redis_url_for_limits
from webforms.unit_of_work import install_hooks, request_unit_of_work

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SUPPORTED_LANGUAGES = ("vi", "en")


class DoithoaiFlask(Flask):
    """Every view runs in one unit of work (webforms/unit_of_work.py): committed when it returns a
    response, rolled back when it raises. Inside `dispatch_request`, so a failing commit is handled by
    the error handlers (a database gone: 503) like any error of the view."""

    def dispatch_request(self):
        with request_unit_of_work():
            return super().dispatch_request()


def create_app(settings: Settings | None = None) -> Flask:
    """The app, or RulesError/SettingsError before anything starts: the settings and every rules file are
    checked here, once, for web, worker, cron and the CLI alike."""
    settings = (settings or load_settings()).validate()
    rules = load_rules(settings.rules_dir)
    check_milestone_handlers(rules.plan)  # a milestone the deadline engine cannot act on: refuse to start
    if not settings.mail_default_sender:
        settings = settings.with_(mail_default_sender=f"{rules.plan.agency.short_name} <doithoai@localhost>")
    app = DoithoaiFlask(__name__, instance_path=str(settings.instance_dir))
    if settings.trusted_proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    configure_app(app, settings, rules)
    watch_rules(app)  # a new set of rules applies at the next request or job, without a restart
    configure_logging(app, settings)
    register_extensions(app, settings)
    with app.app_context():
        refresh_rules(app, strict=True)  # the latest version in the database, if any, is what this process uses
    register_blueprints(app, settings)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_outbox_dispatch()
    register_domain_receivers()
    return app


def configure_app(app: Flask, settings: Settings, rules: Rules) -> None:
    Path(settings.instance_dir).mkdir(parents=True, exist_ok=True)
    install_guards()  # every status change checked against the lifecycles' tables
    app.extensions["doithoai"] = Services(settings=settings, rules=rules, calendar=calendar_for(rules.holidays))
    engine_options = {"pool_pre_ping": True}
    if settings.is_sqlite:
        engine_options = {"connect_args": {"timeout": 30}}
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.sqlalchemy_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        MAIL_SERVER=settings.smtp_host,
        MAIL_PORT=settings.mail_port,
        MAIL_USERNAME=settings.mail_username or None,
        MAIL_PASSWORD=settings.mail_password or None,
        MAIL_USE_TLS=settings.mail_use_tls,
        MAIL_USE_SSL=settings.mail_use_ssl,
        MAIL_DEFAULT_SENDER=settings.mail_default_sender,
        MAIL_SUPPRESS_SEND=False,  # Flask-Mail would send nothing when TESTING; the tests use a real SMTP server
        WTF_CSRF_TIME_LIMIT=None,  # a long form on a slow phone must not expire; the token is per session
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.env == "production",
        REMEMBER_COOKIE_SECURE=settings.env == "production",
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_HEADERS_ENABLED=True,
        TESTING=settings.env == "testing",
    )


def configure_logging(app: Flask, settings: Settings) -> None:
    from webforms.logscrub import ScrubFilter

    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    werkzeug_log = logging.getLogger("werkzeug")  # the development server's request lines
    if not any(isinstance(f, ScrubFilter) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(ScrubFilter())


def _select_locale() -> str:
    if not has_request_context():  # CLI, workers, domain code under an app context: the source language
        return "vi"
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in SUPPORTED_LANGUAGES:
        return chosen
    return "vi"


def _load_user(session_id: str):
    from flask import session

    from webforms.domain.accounts import load_session_user, security_policy
    from webforms.services import services
    from webforms.timeutil import utcnow

    return load_session_user(session_id, authenticated_at=session.get("auth_at"), now=utcnow(),
                             policy=security_policy(services().settings.rules_dir))


def _session_identifier() -> str:
    import hashlib

    base = f"{request.remote_addr or ''}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha512(base.encode("utf-8")).hexdigest()


# Public pages anyone may cache; every other response (back office, department and tracking pages,
# the form with its CSRF token, exports, files) is sent with Cache-Control: no-store.
PUBLIC_ENDPOINTS = frozenset({"static", "public.index", "public.healthz", "intake.conference_page",
                              "api.conference_detail"})
PUBLIC_BLUEPRINTS = frozenset({"folder"})


def register_extensions(app: Flask, settings: Settings) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    mail.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    # Flask-Login would hash the client-supplied X-Forwarded-For; the address ProxyFix vouched for instead.
    login_manager._session_identifier_generator = _session_identifier
    login_manager.user_loader(_load_user)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: "Asia/Ho_Chi_Minh")
    app.config["RATELIMIT_STORAGE_URI"] = (
        redis_url_for_limits(settings) if settings.ratelimit_enabled else "memory://"
    )
    limiter.init_app(app)

    if settings.is_sqlite:
        with app.app_context():
            configure_sqlite(db.engine)

        @app.before_request
        def _page_views_take_no_write_lock():
            if request.method in ("GET", "HEAD") and request.endpoint not in (None, "static") and not getattr(
                    app.view_functions.get(request.endpoint), "writes_on_get", False):
                begin_read_only(db.session)


def configure_sqlite(engine) -> None:
    """WAL so readers and one writer overlap; foreign keys on; and SQLAlchemy's recipe for pysqlite,
    whose own transaction handling breaks SAVEPOINT (used for insert-or-get on unique keys).
    SQLite is the development default; production runs on PostgreSQL."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL survives any process crash; only a power cut can lose the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A transaction that may write takes the write lock up front (IMMEDIATE), so two writers queue on
        # busy_timeout instead of one failing at once when its read snapshot tries to become a write
        # (SQLITE_BUSY). One declared read-only (domain.sql.begin_read_only: page views, a render's read
        # phase) begins DEFERRED: a WAL reader neither waits for the writer nor holds it up.
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def register_blueprints(app: Flask, settings: Settings) -> None:
    from webforms.api.routes import bp as api_bp
    from webforms.backoffice import queue_dashboard
    from webforms.backoffice.routes import bp as backoffice_bp
    from webforms.folder.routes import bp as folder_bp
    from webforms.intake.routes import bp as intake_bp
    from webforms.public.routes import bp as public_bp
    from webforms.reply.routes import bp as reply_bp
    from webforms.verify.routes import bp as verify_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(reply_bp)
    app.register_blueprint(backoffice_bp)
    app.register_blueprint(folder_bp)
    app.register_blueprint(verify_bp)
    queue_dashboard.mount(app)
    if settings.mail_sink_dir is not None:
        from webforms.dev.routes import bp as dev_bp

        app.register_blueprint(dev_bp)


def register_error_handlers(app: Flask) -> None:
    from flask_babel import gettext as _

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        # RFC 9110: a 405 names the methods the resource has.
        headers = [(k, v) for k, v in (error.get_headers() if hasattr(error, "get_headers") else ()) if k == "Allow"]
        if request.path.startswith("/api/"):
            messages = {404: _("Không tìm thấy địa chỉ này trong API."),
                        405: _("Địa chỉ này không nhận phương thức %(method)s.", method=request.method)}
            return {"error": getattr(error, "name", "error").lower().replace(" ", "_"),
                    "message": messages.get(code) or getattr(error, "description", "")}, code, headers
        return render_template("errors/error.html", code=code, error=error), code, headers

    for code in (400, 403, 404, 405, 409, 410, 413, 422, 429):
        app.register_error_handler(code, render_error)

    # A view's unit of work is rolled back before these run (DoithoaiFlask); these roll back what a
    # before_request hook or the user loader left open.
    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        return render_error(error)

    from sqlalchemy.exc import OperationalError, SQLAlchemyError

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        """The database restarting or out of reach: nothing was stored, say so and when to retry."""
        try:
            db.session.rollback()
        except SQLAlchemyError:
            db.session.remove()
        message = _("Hệ thống tạm thời không kết nối được cơ sở dữ liệu; nội dung chưa được lưu. "
                    "Vui lòng gửi lại sau ít phút.")
        if request.path.startswith("/api/"):
            response = app.make_response(({"error": "database_unavailable", "message": message}, 503))
        else:
            response = app.make_response((render_template("errors/error.html", code=503, error=error), 503))
        response.headers["Retry-After"] = "30"
        return response


def _app_templates():
    """The Jinja environment of the app in context: the one emails are rendered with (domain/mail.py)."""
    from flask import current_app

    return current_app.jinja_env


def register_template_helpers(app: Flask) -> None:
    from webforms import formatting
    from webforms.domain.documents.kinds import kind_label
    from webforms.domain.mail import use_templates
    from webforms.services import services

    use_templates(_app_templates)

    app.jinja_env.filters["local_dt"] = formatting.local_datetime
    app.jinja_env.filters["local_date"] = formatting.local_date
    app.jinja_env.filters["vn_date_long"] = formatting.vn_date_long
    app.jinja_env.filters["tentative"] = formatting.tentative
    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions
    app.jinja_env.filters["datetime_attr"] = formatting.datetime_attribute
    app.jinja_env.globals["kind_label"] = kind_label
    app.jinja_env.globals["site_agency"] = lambda: services().rules.plan.agency

    @app.before_request
    def _remember_language():
        # PostgreSQL refuses NUL in any text parameter (a 500), and no slug, code or value needs one:
        # a path with one is not found, and query and form values lose theirs before any view reads them.
        if "\x00" in request.path:
            abort(404)
        for name in ("args", "form"):
            values = getattr(request, name)
            if any("\x00" in k or "\x00" in v for k, v in values.items(multi=True)):
                setattr(request, name, ImmutableMultiDict(
                    (k.replace("\x00", ""), v.replace("\x00", "")) for k, v in values.items(multi=True)))
        g.lang = _select_locale()

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        )
        if request.endpoint not in PUBLIC_ENDPOINTS and request.blueprint not in PUBLIC_BLUEPRINTS:
            response.headers["Cache-Control"] = "no-store"
        if app.config["SESSION_COOKIE_SECURE"]:  # production: served over https only
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.args.get("lang") in SUPPORTED_LANGUAGES:
            response.set_cookie("lang", request.args["lang"], max_age=365 * 86400, samesite="Lax")
        return response


def register_commands(app: Flask) -> None:
    from webforms.cli import register

    register(app)


def register_domain_receivers() -> None:
    """Import the modules whose signal receivers connect at import time."""
    import webforms.domain.routing  # noqa: F401


# The RQ job that carries each kind of outbox row (by importable path: the web process need not load the
# workers' code, RQ imports it in the worker).
OUTBOX_JOBS = {
    "mail": "workers.mail_jobs.send_outbox_messages",
    "task": "workers.task_jobs.run_outbox_tasks",
}


def register_outbox_dispatch() -> None:
    """Enqueue each transaction's outbox rows after it commits, and let files share their transaction's
    fate (once per process, for every app; on `db.session` only, not on every SQLAlchemy Session)."""
    from sqlalchemy import event

    from webforms.domain.outbox import forget_pending, use_jobs

    use_jobs(OUTBOX_JOBS)
    install_hooks()
    if event.contains(db.session, "after_commit", _dispatch_after_commit):
        return
    event.listen(db.session, "after_commit", _dispatch_after_commit)
    event.listen(db.session, "after_rollback", forget_pending)


def _dispatch_after_commit(session) -> None:
    from flask import current_app, has_app_context

    from webforms.domain.outbox import dispatch_pending
    from webforms.timeutil import utcnow

    if not has_app_context() or "doithoai" not in current_app.extensions:
        return
    svc = current_app.extensions["doithoai"]
    dispatch_pending(session, svc.redis, svc.settings, utcnow())
