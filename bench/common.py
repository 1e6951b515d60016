"""Shared pieces for the benchmarks: a throw-away app on the embedded defaults, a sink process,
timing helpers. Every loop is bounded in count and time; only loopback addresses are used."""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from config.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")


@contextlib.contextmanager
def sink_process():
    """An aiosmtpd server that only counts, in its own process (bench/null_sink.py)."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.null_sink", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def bench_app(**overrides):
    """A fresh app on a temporary instance folder: SQLite (or DATABASE_URL) and the embedded Redis."""
    from flask_migrate import upgrade

    from webforms.app import create_app
    from webforms.dev.embedded import start_embedded_redis, stop_embedded_redis

    with tempfile.TemporaryDirectory(prefix="doithoai-bench-") as tmp:
        tmp_path = Path(tmp)
        server, redis_url = (None, os.environ["REDIS_URL"]) if os.environ.get("REDIS_URL") else \
            start_embedded_redis(tmp_path / "redis.db")
        try:
            settings = Settings(
                env="testing", instance_dir=tmp_path, database_url=os.environ.get("DATABASE_URL", ""),
                redis_url=redis_url, ratelimit_enabled=False, mail_server="127.0.0.1",
                secret_key="bench-" + "k" * 40,
            ).with_(**overrides)
            app = create_app(settings)
            with app.app_context():
                upgrade()
            yield app
        finally:
            if server is not None:
                stop_embedded_redis(server)


def like_doithoai(engine) -> None:
    """Give a bare app's SQLite engine doithoai's own connection setup (webforms.app.configure_sqlite: WAL,
    synchronous=NORMAL, foreign keys, busy timeout, writes BEGIN IMMEDIATE), so a limit pays what doithoai
    pays. Nothing to do on PostgreSQL."""
    from webforms.app import configure_sqlite

    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {system}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def row(name: str, ours: str, limit: str, ratio: float, goal: str) -> dict:
    return {"benchmark": name, "doithoai": ours, "stack limit": limit, "ratio": f"{ratio:.2f}", "goal": goal,
            "met": "—" if goal == "report" else "yes" if _goal_met(ratio, goal) else "no"}


def _goal_met(ratio: float, goal: str) -> bool:
    kind, _, value = goal.partition(" ")
    number = float(value.rstrip("%x×")) / (100 if value.endswith("%") else 1)
    return ratio >= number if kind == ">=" else ratio <= number


def print_table(rows: list[dict]) -> None:
    if not rows:
        return
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in headers]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[h]).ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")


def server_url() -> str | None:
    """The PostgreSQL server of DATABASE_URL (as SQLAlchemy URL, no database), or None for SQLite."""
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgresql", "postgres:")):
        return None
    from sqlalchemy.engine import make_url

    from config.settings import Settings

    return make_url(Settings(database_url=given).sqlalchemy_url).set(database="postgres") \
        .render_as_string(hide_password=False)


@contextlib.contextmanager
def fresh_database(name: str):
    """Yield the DATABASE_URL override for one run: '' (SQLite, the caller's temp folder) when DATABASE_URL
    is not PostgreSQL, else a freshly created PostgreSQL database on that server, dropped afterwards: `name`,
    prefixed by DATABASE_URL's own database when it names one (`…/doithoai_x` → `doithoai_x_<name>`), so
    benches run by different people on one server do not drop each other's databases."""
    server = server_url()
    if server is None:
        yield ""
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    own = make_url(Settings(database_url=os.environ["DATABASE_URL"]).sqlalchemy_url).database
    if own and own != "postgres":
        name = f"{own}_{name}"

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
