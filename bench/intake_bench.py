"""Intake: a valid registration with one recommendation POSTed through gunicorn (2 sync workers,
production settings, rate limits off) against limits under the same gunicorn settings on the same kind of
database: a bare Flask endpoint doing one INSERT (bench/bare_app.py), and one writing the same rows a
registration writes, in doithoai's schema, with SQLAlchemy Core (bench/bare_rows_app.py: in one transaction,
and with the day's counter apart as doithoai does). Goal (issue 18): at least 50 % of the same-rows limit,
p99 under 150 ms. The targets are loaded in turn, BENCH_ROUNDS (4) slices each of BENCH_SECONDS (8) / rounds,
so that a machine whose speed drifts during the run moves every figure alike.

SQLite in a temporary folder by default; with DATABASE_URL=postgresql://user@host[:port] the apps get
fresh databases on that server (created and dropped here):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432 .venv/bin/python -m bench.intake_bench
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from stdnum.vn import mst

from bench.common import free_port, fresh_database, print_table, row, wait_port
from bench.load import merged, run_load

CLIENTS = 16
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
PATH = "/api/v1/conferences/bench/registrations"
GUNICORN = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync", "--log-level", "warning"]


def tax_code(n: int) -> str:
    """A distinct valid MST for each n < 10**7: the first province prefix whose check digit exists."""
    serial = f"{n % 10_000_000 + 1:07d}"[-7:]
    for prefix in ("03", "04", "05", "06", "07", "08", "09", "10", "11", "12"):
        check = mst.calc_check_digit(prefix + serial)
        if len(check) == 1:  # "10" means no check digit exists for this prefix
            return prefix + serial + check
    raise ValueError(f"no valid tax code for {n}")


def payload(n: int) -> dict:
    return {
        "enterprise": {"tax_code": tax_code(n), "name": f"Công ty TNHH Đo tải {n}", "zone": "KCN-VSIP",
                       "address": "Lô B2, KCN VSIP Hải Phòng", "sector": "Sản xuất linh kiện điện tử"},
        "contact": {"name": "Nguyễn Thị Bình", "position": "Giám đốc", "email": f"lienhe{n}@example.vn",
                    "phone": "0912345678"},
        "attendees": [{"name": "Nguyễn Thị Bình", "position": "Giám đốc"}],
        "recommendations": [{"title": "Vướng mắc thủ tục cấp giấy phép lao động",
                             "content": "Doanh nghiệp đề nghị hướng dẫn hồ sơ gia hạn giấy phép lao động "
                                        "cho chuyên gia nước ngoài. " * 4,
                             "field": "LAO_DONG", "agency": "Phòng Quản lý Lao động"}],
        "declaration": True,
    }


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict, port: int):
    process = subprocess.Popen([*GUNICORN, "--bind", f"127.0.0.1:{port}", app_spec], env=env)  # noqa: S603
    try:
        wait_port(port, timeout=30)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def worker_rss_kb(master_pid: int) -> int:
    """Peak RSS (VmHWM) of the largest gunicorn worker under `master_pid`."""
    import psutil

    peaks = []
    for child in psutil.Process(master_pid).children():
        with contextlib.suppress(OSError, psutil.Error):
            for line in Path(f"/proc/{child.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]))
    return max(peaks, default=0)


def prepare(env: dict) -> None:
    """A migrated database with the announced conference `bench` (and the departments) in it."""
    subprocess.run([sys.executable, "-m", "webforms.cli", "db", "upgrade"], env=env, check=True,  # noqa: S603
                   capture_output=True)
    for offset in range(60, 75):  # the first working day from 60 days on (the CLI refuses the others)
        start = (dt.date.today() + dt.timedelta(days=offset)).isoformat()
        created = subprocess.run([sys.executable, "-m", "webforms.cli", "conference", "create",  # noqa: S603
                                  "--title", "Hội nghị đo tải", "--date", start, "--venue", "Trụ sở",
                                  "--slug", "bench"], env=env, capture_output=True, text=True)
        if created.returncode == 0:
            break
        if "not a working day" not in created.stderr + created.stdout:
            created.check_returncode()
    else:
        raise RuntimeError("no working day found for the bench conference")
    subprocess.run([sys.executable, "-m", "webforms.cli", "conference", "announce", "bench"],  # noqa: S603
                   env=env, check=True, capture_output=True)


ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))


def alternate(targets: dict[str, tuple[int, str, int]]) -> dict[str, dict]:
    """Load each target in turn, ROUNDS times SECONDS / ROUNDS each, and merge each one's slices: a machine
    that slows down or speeds up during the run (a neighbour's load, the database's checkpoints) then moves
    every figure alike instead of the one measured at that moment. `targets`: name -> (port, path, the
    first payload number); every request gets a payload number of its own (a new enterprise)."""
    slices: dict[str, list[dict]] = {name: [] for name in targets}
    for round_ in range(ROUNDS):
        for name, (port, path, first) in targets.items():
            base = first + round_ * 20_000  # run_load's numbers start at 0 each slice, below 20,000
            slices[name].append(run_load(port, path, lambda n, base=base: payload(n + base), clients=CLIENTS,
                                         seconds=SECONDS / ROUNDS, expect=202 if name == "ours" else 201))
    return {name: merged(runs) for name, runs in slices.items()}


def main() -> list[dict]:
    from webforms.dev.embedded import start_embedded_redis, stop_embedded_redis

    with tempfile.TemporaryDirectory(prefix="doithoai-bench-") as tmp, \
            fresh_database("doithoai_intake_bench") as ours_url, fresh_database("doithoai_bare_bench") as bare_url, \
            fresh_database("doithoai_rows_bench") as rows_url:
        tmp_path = Path(tmp)
        kind = "PostgreSQL" if ours_url else "SQLite"
        redis_server, redis_url = start_embedded_redis(tmp_path / "redis.db")
        try:
            env = dict(os.environ, DOITHOAI_INSTANCE_DIR=str(tmp_path), REDIS_URL=redis_url,
                       RATELIMIT_ENABLED="false", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(free_port()),
                       SECRET_KEY="bench-" + "k" * 40)
            env.pop("DATABASE_URL", None)
            if ours_url:
                env["DATABASE_URL"] = ours_url
            prepare(env)
            rows_env = dict(env, DATABASE_URL=rows_url or f"sqlite:///{tmp_path / 'rows.sqlite3'}")
            prepare(rows_env)
            rows_env["BARE_DATABASE_URL"] = rows_env["DATABASE_URL"]
            bare_env = dict(env, BARE_DATABASE_URL=bare_url or f"sqlite:///{tmp_path / 'bare.sqlite3'}")
            ours_port, bare_port, rows_port = free_port(), free_port(), free_port()
            # All three up at once (an idle one costs nothing), loaded in turn.
            with gunicorn("webforms.app:create_app()", env, ours_port) as ours_master, \
                    gunicorn("bench.bare_app:create_app()", bare_env, bare_port), \
                    gunicorn("bench.bare_rows_app:create_app()", rows_env, rows_port) as rows_master:
                # the API answers 202 to every accepted submission, new or not (F17)
                run_load(ours_port, PATH, payload, clients=4, seconds=1.5, expect=202)
                run_load(bare_port, "/insert", payload, clients=4, seconds=1.5)
                run_load(rows_port, "/rows", lambda n: payload(n + 500_000), clients=4, seconds=1.5)
                run_load(rows_port, "/rows-counter-apart", lambda n: payload(n + 550_000), clients=4, seconds=1.5)
                got = alternate({
                    "ours": (ours_port, PATH, 1_000_000),
                    "rows": (rows_port, "/rows", 2_000_000),
                    "apart": (rows_port, "/rows-counter-apart", 3_000_000),
                    "bare": (bare_port, "/insert", 4_000_000),
                })
                web_rss, rows_rss = worker_rss_kb(ours_master.pid), worker_rss_kb(rows_master.pid)
        finally:
            stop_embedded_redis(redis_server)
    ours, same, apart, limit = got["ours"], got["rows"], got["apart"], got["bare"]
    slices = f"{ROUNDS} alternating slices of {SECONDS / ROUNDS:.1f} s"
    rows = [
        row(f"intake: POST registration + 1 recommendation against the same rows written with Core in one "
            f"transaction, {CLIENTS} clients, {slices} ({kind})",
            f"{ours['rps']:.0f} req/s, p99 {ours['p99_ms']:.0f} ms",
            f"{same['rps']:.0f} req/s, p50 {same['p50_ms']:.0f} ms, p99 {same['p99_ms']:.0f} ms, "
            f"{same['errors']} errors",
            ours["rps"] / same["rps"], ">= 50%"),
    ]
    if kind == "PostgreSQL":
        rows.append(row(
            f"intake: the same, against the same rows with the day's counter bumped in a transaction of its own "
            f"as doithoai does (no queue on its row lock) ({kind})",
            f"{ours['rps']:.0f} req/s, p99 {ours['p99_ms']:.0f} ms",
            f"{apart['rps']:.0f} req/s, p50 {apart['p50_ms']:.0f} ms, p99 {apart['p99_ms']:.0f} ms, "
            f"{apart['errors']} errors",
            ours["rps"] / apart["rps"], "report"))
    return [
        *rows,
        row(f"intake: p99 at {CLIENTS} clients against 150 ms ({kind})", f"{ours['p99_ms']:.0f} ms",
            f"150 ms (same rows with Core: p99 {same['p99_ms']:.0f} ms)", ours["p99_ms"] / 150, "<= 1x"),
        # Little's law: with CLIENTS clients that send again as soon as answered, the mean latency is
        # CLIENTS / throughput, so a p99 under the goal needs at least CLIENTS / goal requests a second.
        row(f"intake: p99 against the same rows' p99 at {CLIENTS} clients ({kind}); a p99 under 150 ms needs "
            f"over {CLIENTS / 0.150:.0f} req/s at {CLIENTS} closed-loop clients (mean latency = clients / "
            f"throughput)", f"{ours['p99_ms']:.0f} ms", f"{same['p99_ms']:.0f} ms",
            ours["p99_ms"] / same["p99_ms"], "report"),
        row(f"intake: POST registration + 1 recommendation, gunicorn 2 workers, {CLIENTS} clients, against one "
            f"INSERT ({kind})",
            f"{ours['rps']:.0f} req/s, p50 {ours['p50_ms']:.0f} ms, p99 {ours['p99_ms']:.0f} ms, "
            f"{ours['errors']} errors {ours['error_kinds']}",
            f"{limit['rps']:.0f} req/s, p50 {limit['p50_ms']:.0f} ms, p99 {limit['p99_ms']:.0f} ms",
            ours["rps"] / limit["rps"], "report"),
        row(f"memory: peak RSS of a gunicorn web worker after the intake run vs the same-rows app's ({kind})",
            f"{web_rss / 1024:.0f} MiB", f"{rows_rss / 1024:.0f} MiB", web_rss / rows_rss, "report"),
    ]


if __name__ == "__main__":
    print_table(main())
    sys.exit(0)
