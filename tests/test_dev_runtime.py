"""`make run`'s supervisor: everything starts on embedded defaults, and Ctrl-C leaves nothing behind."""

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import psutil
import pytest

from tests.smtp import free_port


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.status, response.read().decode("utf-8")


def _redis_servers_for(lines: list[str]) -> list[psutil.Process]:
    """The redis-server whose socket the supervisor announced on its "redis:" line."""
    socket_path = next(line.split("unix://", 1)[1].strip() for line in lines if line.strip().startswith("redis:"))
    return [p for p in psutil.process_iter(["cmdline"]) if socket_path in " ".join(p.info["cmdline"] or ())]


@pytest.mark.timeout(120)
def test_make_run_starts_everything_and_ctrl_c_stops_it(tmp_path):
    web_port, sink_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER")}
    env.update(DOITHOAI_INSTANCE_DIR=str(tmp_path), PORT=str(web_port), MAIL_PORT=str(sink_port))
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "webforms.dev.supervisor"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"http://127.0.0.1:{web_port}/")
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200
        assert "Hội nghị đối thoại doanh nghiệp" in body  # the seeded demo conference is listed
        status, body = _get(f"http://127.0.0.1:{web_port}/dev/mailbox")
        assert status == 200
        tree = psutil.Process(process.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in tree)
        for part in ("doithoai worker", "rq cron workers.cron", "webforms.dev.sink", "doithoai run"):
            assert part in names
        redis_servers = _redis_servers_for(lines)
        assert redis_servers, "the bundled redis-server is running"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        reader.join(timeout=5)
        output = "".join(lines)
    assert process.returncode in (0, 130), output  # 130: stopped by SIGINT, as Ctrl-C
    time.sleep(0.5)
    leftovers = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert leftovers == [], output
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in redis_servers)
