"""F3, F14, F18/F20: the shipped production layout run whole — Debian's nginx with deploy/nginx/doithoai.conf
in front of gunicorn with deploy/gunicorn.conf.py.

The site file is used as shipped; only what a machine decides is templated (ports, certificate and log
paths, no IPv6 listeners), each substitution checked, so a change to the file changes what runs here. nginx
runs as the current user with a temporary prefix and a self-signed certificate. gunicorn gets one process of
two threads: fewer than the slow bodies of the attack, so the site answering shows that nginx, not gunicorn,
holds the slow clients — and the control, the same attack sent to gunicorn directly, shows it would not.
"""

from __future__ import annotations

import contextlib
import grp
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.intake_helpers import registration_payload
from tests.smtp import free_port
from tests.web.test_intake import open_conference
from tests.workers.test_faults import process_env, wait_for
from webforms.extensions import db
from webforms.models import AuditEvent

pytestmark = [pytest.mark.security, pytest.mark.fault]

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "doithoai.conf"
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HOST = "doithoai.example.gov.vn"
TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
ATTACK_SECONDS = 3.0
SLOW_BODIES = 8
SLOW_HEADERS = 4
ATTACKER, CLIENT, VISITOR = "127.0.0.1", "127.0.0.3", "127.0.0.2"  # loopback: one machine, three addresses


def templated_site(prefix: Path, *, https_port: int, http_port: int, app_port: int) -> str:
    text = SITE.read_text(encoding="utf-8")
    for pattern, replacement, expected in (
        (r"^\s*listen \[::\]:\d+[^;]*;\n", "", 2),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;", 1),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};", 1),
        (r"server 127\.0\.0\.1:5000;", f"server 127.0.0.1:{app_port};", 1),
        (r"ssl_certificate\s+\S+;", f"ssl_certificate {prefix}/cert.pem;", 1),
        (r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {prefix}/key.pem;", 1),
        (r"access_log /var/log/nginx/doithoai\.access\.log", f"access_log {prefix}/access.log", 1),
    ):
        text, found = re.subn(pattern, replacement, text, flags=re.M)
        assert found == expected, f"{SITE.name}: {pattern!r} found {found} times, not {expected}"
    return text


def main_conf(prefix: Path) -> str:
    user = ""
    if os.geteuid() == 0:  # workers would switch to nobody; stay the current user
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
    temp = " ".join(f"{kind}_temp_path {prefix}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                       "scgi"))
    return f"""{user}
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 512; }}
http {{
    {temp}
    access_log off;
    include {prefix}/doithoai.conf;
}}
"""


def _stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def _gunicorn(settings, port: int):
    env = process_env(settings)
    env.update(PORT=str(port), WEB_CONCURRENCY="1", WEB_THREADS="2", GUNICORN_ACCESS_LOG="/dev/null",
               TRUSTED_PROXIES="1")
    if not settings.is_sqlite:  # the production settings, as deployed
        env.update(DOITHOAI_ENV="production", PUBLIC_BASE_URL=f"https://{HOST}")
    process = subprocess.Popen(  # noqa: S603
        [GUNICORN, "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "webforms.app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        _stop(process, signal.SIGINT)  # quick shutdown: nothing is in flight any more


@contextlib.contextmanager
def _nginx(prefix: Path, **ports):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",  # noqa: S603,S607
                    "-nodes", "-days", "1", "-subj", f"/CN={HOST}", "-keyout", str(prefix / "key.pem"),
                    "-out", str(prefix / "cert.pem")], check=True, capture_output=True)
    (prefix / "doithoai.conf").write_text(templated_site(prefix, **ports), encoding="utf-8")
    (prefix / "nginx.conf").write_text(main_conf(prefix), encoding="utf-8")
    process = subprocess.Popen(  # noqa: S603
        [NGINX, "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        _stop(process, signal.SIGQUIT)  # graceful: the workers finish, the master removes its pid file


@pytest.fixture(scope="module")
def layout(app, settings, tmp_path_factory):
    """(nginx's https port, gunicorn's port, nginx's prefix) with both running."""
    prefix = tmp_path_factory.mktemp("nginx")
    https_port, http_port, app_port = free_port(), free_port(), free_port()
    with _gunicorn(settings, app_port) as gunicorn, _nginx(prefix, https_port=https_port, http_port=http_port,
                                                           app_port=app_port) as nginx:
        wait_for(lambda: request(https_port, "/healthz", timeout=1.0)[0] == 200
                 or gunicorn.poll() is not None or nginx.poll() is not None, 30, "nginx and gunicorn")
        assert gunicorn.poll() is None, gunicorn.stderr.read().decode()[-2000:]
        assert nginx.poll() is None, nginx.stderr.read().decode()[-2000:]
        yield https_port, app_port, prefix


def request(port: int, path: str, *, method: str = "GET", body: bytes | None = None, headers: dict | None = None,
            source: str = CLIENT, timeout: float = 5.0, tls: bool = True):
    """(status, headers, body) or (None, None, b"") when it failed or timed out."""
    cls = http.client.HTTPSConnection if tls else http.client.HTTPConnection
    options = {"context": TLS} if tls else {}
    conn = cls("127.0.0.1", port, timeout=timeout, source_address=(source, 0), **options)
    try:
        conn.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    except (OSError, http.client.HTTPException):
        return None, None, b""
    finally:
        conn.close()


def _open(port: int, tls: bool) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(ATTACKER, 0))
    return TLS.wrap_socket(sock, server_hostname=HOST) if tls else sock


def slow_client(port: int, tls: bool, stop: threading.Event, opened: list, *, body: bool) -> None:
    """Complete headers then one body byte a second (slow POST), or headers a line at a time."""
    try:
        sock = _open(port, tls)
    except OSError:
        return
    opened.append(sock)
    try:
        if body:
            sock.sendall(f"POST /api/v1/conferences/x/registrations HTTP/1.1\r\nHost: {HOST}\r\n"
                         "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n".encode())
        else:
            sock.sendall(b"GET / HTTP/1.1\r\n")
        i = 0
        while not stop.wait(1.0):
            sock.sendall(b" " if body else f"X-Slow-{i}: a\r\n".encode())
            i += 1
    except OSError:
        pass


def under_attack(port: int, *, tls: bool) -> tuple[list[float | None], int]:
    """A second client's page loads (seconds, None when failed) while the attack runs; attacking sockets
    still open at the end."""
    stop = threading.Event()
    opened: list[socket.socket] = []
    attackers = [threading.Thread(target=slow_client, args=(port, tls, stop, opened), kwargs={"body": i < SLOW_BODIES})
                 for i in range(SLOW_BODIES + SLOW_HEADERS)]
    for thread in attackers:
        thread.start()
    time.sleep(0.5)  # the sockets are in and hold whatever they hold
    samples: list[float | None] = []
    deadline = time.monotonic() + ATTACK_SECONDS
    while time.monotonic() < deadline:
        started = time.perf_counter()
        status, _, _ = request(port, ("/", "/healthz")[len(samples) % 2], timeout=2.0, tls=tls)
        samples.append(time.perf_counter() - started if status == 200 else None)
        time.sleep(0.1)
    alive = len(opened)
    stop.set()
    for thread in attackers:
        thread.join(timeout=5)
    for sock in opened:
        with contextlib.suppress(OSError):
            sock.close()
    return samples, alive


def p95(samples: list[float | None]) -> float:
    return statistics.quantiles([s if s is not None else 2.0 for s in samples], n=20)[-1]


def test_the_site_answers_through_nginx_while_slow_clients_hold_sockets(layout):
    https_port, _, _ = layout
    samples, alive = under_attack(https_port, tls=True)
    assert alive == SLOW_BODIES + SLOW_HEADERS
    assert samples.count(None) == 0, samples
    assert p95(samples) < 2.0, sorted(samples)
    print(f"\nnginx layout: {len(samples)} loads, p95 {p95(samples) * 1000:.0f} ms, "  # noqa: T201
          f"median {statistics.median(samples) * 1000:.0f} ms, {alive} slow sockets")


def test_the_same_attack_on_gunicorn_alone_blocks_its_two_threads(layout):
    """The control: without nginx in front, 8 slow bodies hold gunicorn's 2 threads."""
    _, app_port, _ = layout
    samples, _ = under_attack(app_port, tls=False)
    print(f"\ngunicorn alone: {len(samples)} loads, {samples.count(None)} failed")  # noqa: T201
    assert samples.count(None) > 0 or p95(samples) >= 2.0, samples


def _raw(port: int, head: str) -> bytes:
    """Send a request head announcing a body, and read what comes back before any body byte is sent."""
    with _open(port, tls=True) as sock:
        sock.sendall(head.encode())
        answer = b""
        with contextlib.suppress(OSError):  # nginx's whole page; it then lingers for the body, unread
            while b"</html>" not in answer and (chunk := sock.recv(65536)):
                answer += chunk
        return answer


def test_nginx_refuses_bodies_over_its_limits_before_reading_them(layout):
    https_port, _, _ = layout
    for path, size in (("/api/v1/conferences/x/registrations", 2 * 1024 * 1024),  # /api/: 1 MB
                       ("/hoi-nghi/x/dang-ky", 61 * 1024 * 1024)):  # the form: 60 MB
        answer = _raw(https_port, f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                                  f"Content-Length: {size}\r\nConnection: close\r\n\r\n")
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.split()[1] == b"413", answer[:300]
        assert b"Server: nginx" in rest and b"<center>nginx</center>" in rest  # nginx's page, not the app's


def test_the_app_sees_the_client_address_nginx_passes_not_a_forged_header(layout, app_ctx, rules, calendar):
    https_port, _, prefix = layout
    slug = open_conference(rules, calendar).slug
    db.session.rollback()  # end the read that loaded it: on SQLite a transaction holds the write lock
    status, _, body = request(
        https_port, f"/api/v1/conferences/{slug}/registrations", method="POST", source=VISITOR,
        body=json.dumps(registration_payload()).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.9", "X-Real-IP": "198.51.100.9"})
    assert status == 202, body[:500]
    db.session.rollback()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "registration.create"))
    assert event.ip == VISITOR  # neither nginx's 127.0.0.1 nor the forged address
    # and the access log names the client, without the bearer token of a tracking link (F14)
    request(https_port, "/theo-doi/KN.20261202.0001?token=BiMatKhongGhiLog", source=VISITOR)
    wait_for(lambda: "theo-doi" in (prefix / "access.log").read_text(encoding="utf-8"), 5, "the access log line")
    log = (prefix / "access.log").read_text(encoding="utf-8")
    assert "BiMatKhongGhiLog" not in log and "token=[redacted]" in log
    assert all(line.startswith(VISITOR) for line in log.splitlines() if "theo-doi" in line)
