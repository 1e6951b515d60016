"""Back office: the recommendations list of a conference with 10,000 recommendations, logged in,
16 concurrent clients through gunicorn (2 workers), against a bare "ok" endpoint under the same
gunicorn. Reported: p95 and requests/s, and the throughput as a share of the bare endpoint's."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import free_port, print_table, row
from bench.intake_bench import gunicorn
from bench.load import run_load

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
EMAIL, PASSWORD = "bench@heza.example.vn", "mat-khau-do-tai-1"


def _seed(env: dict) -> None:
    code = (
        "from webforms.app import create_app\n"
        "from tests.web.test_backoffice_recommendations import bulk_world\n"
        "from webforms.extensions import db\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    bulk_world(app.extensions['doithoai'].rules)\n"
        "    db.session.commit()\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)  # noqa: S603
    subprocess.run([sys.executable, "-m", "webforms.cli", "user", "create", "--email", EMAIL,  # noqa: S603
                    "--role", "consolidation", "--password", PASSWORD], env=env, check=True, capture_output=True)


def _login(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/quan-tri/dang-nhap")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    body = f"email={EMAIL}&password={PASSWORD}&csrf_token={token}"
    conn.request("POST", "/quan-tri/dang-nhap", body=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"login failed: {response.status}")
    cookies = [c.split(";")[0] for c in response.msg.get_all("Set-Cookie")]
    return next(c for c in cookies if c.startswith("session="))


def main() -> list[dict]:
    from webforms.dev.embedded import start_embedded_redis, stop_embedded_redis

    with tempfile.TemporaryDirectory(prefix="doithoai-bench-") as tmp:
        tmp_path = Path(tmp)
        redis_server, redis_url = start_embedded_redis(tmp_path / "redis.db")
        try:
            env = dict(os.environ, DOITHOAI_INSTANCE_DIR=str(tmp_path), REDIS_URL=redis_url,
                       RATELIMIT_ENABLED="false", MAIL_SERVER="127.0.0.1", SECRET_KEY="bench-" + "k" * 40)
            env.pop("DATABASE_URL", None)
            subprocess.run([sys.executable, "-m", "webforms.cli", "db", "upgrade"], env=env, check=True,  # noqa: S603
                           capture_output=True)
            _seed(env)
            port = free_port()
            path = "/quan-tri/kien-nghi?conference=hn-lon&page=3"
            with gunicorn("webforms.app:create_app()", env, port):
                cookie = _login(port)
                headers = {"Cookie": cookie}
                run_load(port, path, None, method="GET", headers=headers, clients=4, seconds=1.5, expect=200)
                ours = run_load(port, path, None, method="GET", headers=headers, clients=16, seconds=SECONDS,
                                expect=200)
            port = free_port()
            with gunicorn("bench.bare_ok:create_app()", env, port):
                limit = run_load(port, "/ok", None, method="GET", clients=16, seconds=SECONDS, expect=200)
        finally:
            stop_embedded_redis(redis_server)
    return [
        row("back office: recommendations list, 10,000 rows, 16 clients (p95; rps vs bare GET)",
            f"p95 {ours['p95_ms']:.0f} ms, {ours['rps']:.0f} req/s, {ours['errors']} errors {ours['error_kinds']}",
            f"p95 {limit['p95_ms']:.0f} ms, {limit['rps']:.0f} req/s", ours["rps"] / limit["rps"], "report"),
    ]


if __name__ == "__main__":
    print_table(main())
    sys.exit(0)
