"""Memory of an RQ worker (issue 18): the peak resident size of a real `doithoai worker --burst` process,
idle (nothing queued: what importing and building the app costs) and after sending 500 outbox emails (what
the work adds), each in its own process, its VmHWM read from /proc while it runs;
against the floor of the stack measured in the same run, a bare `rq worker` whose no-op jobs import Flask,
SQLAlchemy and Flask-Mail. Goal: under 150 MiB after the emails.

    .venv/bin/python -m bench.memory_bench            # the two figures
    .venv/bin/python -m bench.memory_bench --trace    # also: where Python memory grows across the batches
                                                      # (tracemalloc, a worker in this process)

SQLite in a temporary folder by default, or DATABASE_URL; the embedded Redis; a local SMTP sink that
only counts (bench/null_sink.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import bench_app, print_table, row, sink_process

COUNT = 500
GOAL_MIB = 150


def _body(i: int) -> str:
    return ("Ban Quản lý Khu kinh tế Hải Phòng trân trọng kính mời Quý doanh nghiệp tới dự Hội nghị đối thoại "
            f"doanh nghiệp năm 2025. Thời gian: 08 giờ 30 ngày 04 tháng 9 năm 2025. Số thứ tự {i}.\n") * 3


def queue_emails(count: int, prefix: str) -> None:
    """`count` invitation-sized emails in the outbox, committed (the commit enqueues their RQ jobs)."""
    from webforms.domain import outbox
    from webforms.domain.mail import sender_domain
    from webforms.extensions import db
    from webforms.services import services

    for i in range(count):
        outbox.queue_mail(to=[f"khachmoi{i}@doanhnghiep.example.vn"],
                          subject=f"[GM] Giấy mời dự Hội nghị đối thoại doanh nghiệp – khách mời {i}",
                          text=_body(i), html=f"<p>{_body(i)}</p>", dedupe_key=f"{prefix}:{i}",
                          message_domain=sender_domain(services().settings))
    db.session.commit()


def _run_for_peak_kib(command: list[str], env: dict | None = None) -> int:
    """Run `command` to its end and return its peak resident size (VmHWM) in KiB, read from /proc while it runs.
    Not wait4's ru_maxrss: the kernel hands a child that high-water mark of the address space it replaced at
    exec, i.e. this (large) process's, so every child would seem at least as big as the bench itself."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    status_file = Path(f"/proc/{process.pid}/status")
    peak = 0
    while process.poll() is None:
        with contextlib.suppress(OSError):
            for line in status_file.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        time.sleep(0.02)
    if process.returncode != 0:
        raise RuntimeError(f"{command[2:4]} exited with {process.returncode}")
    return peak


def worker_peak_kib(app, port: int) -> int:
    """Run `doithoai worker --burst` on what is queued until the queues are empty; its peak RSS in KiB."""
    settings = app.extensions["doithoai"].settings
    env = dict(os.environ, DOITHOAI_INSTANCE_DIR=str(settings.instance_dir), REDIS_URL=settings.redis_url,
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port), RATELIMIT_ENABLED="false",
               SECRET_KEY=settings.secret_key)
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    return _run_for_peak_kib([sys.executable, "-m", "webforms.cli", "worker", "--burst"], env)


def bare_worker_peak_kib(redis, count: int) -> int:
    """The stack's floor: `rq worker --burst` (SimpleWorker, as doithoai's) on `count` no-op jobs whose module
    imports Flask, SQLAlchemy, Flask-SQLAlchemy, Flask-Mail and Jinja2 (bench/bare_worker_job.py)."""
    from rq import Queue

    queue = Queue("bare_memory", connection=redis)
    for i in range(count):
        queue.enqueue("bench.bare_worker_job.noop", i, result_ttl=60)
    kwargs = redis.connection_pool.connection_kwargs
    url = f"unix://{kwargs['path']}" if "path" in kwargs else \
        f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
    peak = _run_for_peak_kib([sys.executable, "-m", "rq.cli", "worker", "--burst", "-w", "rq.worker.SimpleWorker",
                              "--url", url, "bare_memory"])
    if queue.count:
        raise RuntimeError("the bare worker did not run its jobs")
    return peak


def sent_count(app) -> int:
    from sqlalchemy import func, select

    from webforms.extensions import db
    from webforms.models import OutboxMessage

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.status == "sent"))


def trace(app, batches: int = 5, top: int = 15) -> None:
    """Send `batches` batches of COUNT/batches emails with a worker in this process under tracemalloc and print
    the lines whose memory grew from after the first batch to after the last (what a long-running worker
    accumulates), and the traced total after each batch."""
    import gc
    import tracemalloc

    from rq import Queue
    from rq.worker import SimpleWorker

    import workers.runtime
    from workers.queues import ALL_QUEUES

    workers.runtime._app = app  # the jobs run in this app, as `doithoai worker` runs them in its own
    redis = app.extensions["doithoai"].redis
    worker = SimpleWorker([Queue(name, connection=redis) for name in ALL_QUEUES], connection=redis)
    tracemalloc.start(10)
    first = None
    for batch in range(batches):
        with app.app_context():
            queue_emails(COUNT // batches, f"trace{batch}")
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
        if sent_count(app) != COUNT + COUNT // batches * (batch + 1):
            raise RuntimeError("the traced worker did not send every email")
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
        print(f"after batch {batch + 1}: {tracemalloc.get_traced_memory()[0] / 2**20:.1f} MiB traced", flush=True)
        if first is None:
            first = snapshot
    for stat in snapshot.compare_to(first, "traceback")[:top]:
        print(f"{stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks")
        for line in stat.traceback.format()[-6:]:
            print("      " + line)
    tracemalloc.stop()


def main(*, with_trace: bool = False) -> list[dict]:
    with sink_process() as port, bench_app(mail_port=port) as app:
        bare = bare_worker_peak_kib(app.extensions["doithoai"].redis, COUNT)
        idle = worker_peak_kib(app, port)
        with app.app_context():
            queue_emails(COUNT, "memory")
        after = worker_peak_kib(app, port)
        sent = sent_count(app)
        if sent != COUNT:
            raise RuntimeError(f"{sent} of {COUNT} emails sent")
        if with_trace:
            trace(app)
    mib = after / 1024
    return [
        row("memory: peak RSS of an idle RQ worker (`doithoai worker --burst`, nothing queued) vs a bare RQ worker "
            "of the stack (no-op jobs)", f"{idle / 1024:.0f} MiB", f"{bare / 1024:.0f} MiB", idle / bare, "report"),
        row(f"memory: peak RSS of an RQ worker (`doithoai worker --burst`) after {COUNT} emails, against "
            f"{GOAL_MIB} MiB", f"{mib:.0f} MiB", f"{GOAL_MIB} MiB (bare RQ worker: {bare / 1024:.0f} MiB)",
            mib / GOAL_MIB, "<= 1x"),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trace", action="store_true", help="print where Python memory grows (tracemalloc)")
    rows = main(with_trace=parser.parse_args().trace)
    print_table(rows)
    sys.exit(0)
