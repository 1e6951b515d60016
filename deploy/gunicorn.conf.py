"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py 'webforms.app:create_app()'`.

Why these (issue 16, F3): the default sync worker is held by one connection for as long as its client takes
to send a request, so two slow-POST sockets took the whole site down until gunicorn's 30 s timeout killed
the workers. A threaded worker (gthread) waits for a client's first bytes in its event loop, not in a thread,
and one slow body holds only one of its threads: WEB_CONCURRENCY x WEB_THREADS requests in flight (32 by
default) before a client waits. Behind the shipped nginx (deploy/nginx/doithoai.conf) the proxy buffers
every request body and drops clients that stall, so gunicorn only ever sees whole requests from loopback.

Environment: PORT (5000), GUNICORN_BIND (overrides 127.0.0.1:$PORT; 0.0.0.0:$PORT only where no proxy is in
front, e.g. a platform router that buffers), WEB_CONCURRENCY (2 processes), WEB_THREADS (16 per process).
"""

import os

bind = [os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '5000')}"]
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "16"))

# A worker that has not reported for this long is restarted; no request here takes seconds.
timeout = 30
graceful_timeout = 20
# Idle kept-alive connections wait in the event loop, not in a thread; they are closed after this.
keepalive = 5
# Request line and headers: small, as nothing here needs big ones (bodies are capped by the app).
limit_request_line = 4094
limit_request_fields = 60
limit_request_field_size = 8190
# A fresh process now and then keeps memory flat over weeks.
max_requests = 5000
max_requests_jitter = 500

# Access log on stdout without bearer tokens (tracking and department links; F14).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
logger_class = "webforms.logscrub.ScrubbingLogger"
# X-Forwarded-Proto from the proxy on this host only (secure cookies, https links); the app reads the
# client's address with ProxyFix and TRUSTED_PROXIES.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
