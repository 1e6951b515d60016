"""rq-dashboard, mounted inside the back office for the roles plan.yaml allows `view_queues`.

The library's blueprint is used as it is; what this module adds is what our house rules need and
the library does not do:

- access: anonymous users go to the login page, other roles get 403, before the library's own
  request hook opens a Redis connection;
- CSRF: its buttons POST through jQuery; a small script (see templates/rq_dashboard/footer.html)
  sends the session's token in the X-CSRFToken header that Flask-WTF checks, so CSRFProtect stays
  on for these routes too. Its one state-changing GET (`requeue/<queue>`) is refused;
- its pages run an inline script and compile underscore templates (`new Function`), so the
  Content-Security-Policy allows inline scripts and eval on these pages only (they are admin-only
  and show nothing an enterprise typed: our jobs carry row ids, not text);
- Redis: the same server the queues use, including the embedded one reached by its unix socket.
"""

from __future__ import annotations

import rq_dashboard
from flask import Flask, abort, current_app, request
from flask_login import current_user
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq_dashboard.web import setup_rq_connection
from werkzeug.exceptions import NotFound

from webforms.backoffice.access import may
from webforms.extensions import login_manager
from webforms.services import services

URL_PREFIX = "/quan-tri/rq"
PERMISSION = "view_queues"
BLUEPRINT = rq_dashboard.blueprint.name
STATE_CHANGING_GETS = {f"{BLUEPRINT}.requeue_all"}
INLINE_SCRIPT_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
)


def mount(app: Flask) -> None:
    app.config.setdefault("RQ_DASHBOARD_POLL_INTERVAL", 5000)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=URL_PREFIX)
    app.before_request(_guard)
    app.after_request(_allow_inline_script)
    app.register_error_handler(NoSuchJobError, _no_such_job)


def _no_such_job(_error):
    """An unknown job id in the dashboard's address: the app's 404, not the library's unhandled error (F22)."""
    return current_app.handle_http_exception(NotFound())


def _guard():
    if request.blueprint != BLUEPRINT:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not may(PERMISSION):
        abort(403)
    if request.method in ("GET", "HEAD") and request.endpoint in STATE_CHANGING_GETS:
        abort(405)  # HEAD runs the same view in Flask, and CSRF protection does not look at it
    if not hasattr(current_app, "redis_conn"):
        _connect(current_app)
    if request.endpoint == f"{BLUEPRINT}.compact_queue" and not current_app.redis_conn.exists(
            Queue.redis_queue_namespace_prefix + (request.view_args or {}).get("queue_name", "")):
        abort(404)  # compacting a queue that does not exist raises in the library (review F22)
    return None


def _connect(app: Flask) -> None:
    """Point the library at the queues' Redis; the embedded server has no URL until it runs."""
    url = services().settings.redis_url or f"unix://{services().redis.socket_file}"
    app.config["RQ_DASHBOARD_REDIS_URL"] = url
    setup_rq_connection(app)


def _allow_inline_script(response):
    if request.blueprint == BLUEPRINT:
        response.headers["Content-Security-Policy"] = INLINE_SCRIPT_CSP
    return response
