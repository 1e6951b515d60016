"""Bulk mail: outbox rows sent by the mail job against raw smtplib over one reused connection,
the same messages, to the same local SMTP sink, in the same run. Goal: at least 70 %."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage

from bench.common import bench_app, print_table, row, sink_process

COUNT = 500


def _messages(n: int) -> list[EmailMessage]:
    messages = []
    for i in range(n):
        m = EmailMessage()
        m["Subject"] = f"[GM] Giấy mời dự Hội nghị đối thoại doanh nghiệp – khách mời {i}"
        m["From"] = "Ban Quản lý Khu kinh tế Hải Phòng <doithoai@localhost>"
        m["To"] = f"khachmoi{i}@doanhnghiep.example.vn"
        m["Message-ID"] = f"<bench.{i}@localhost>"
        m.set_content(_body(i))
        m.add_alternative(f"<p>{_body(i)}</p>", subtype="html")
        messages.append(m)
    return messages


def _body(i: int) -> str:
    return ("Ban Quản lý Khu kinh tế Hải Phòng trân trọng kính mời Quý doanh nghiệp tới dự Hội nghị đối thoại "
            f"doanh nghiệp năm 2025. Thời gian: 08 giờ 30 ngày 04 tháng 9 năm 2025. Số thứ tự {i}.\n") * 3


def raw_smtplib(port: int, count: int) -> float:
    """The limit: build each message (as the worker must) and send it over one reused connection."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for message in _messages(count):
            smtp.send_message(message)
    return count / (time.perf_counter() - start)


def outbox_path(port: int, count: int) -> tuple[float, float, int]:
    """(rows queued per second, messages sent per second by the worker, worker process peak RSS in KiB)."""
    from rq import Queue
    from rq.worker import SimpleWorker

    from webforms.domain import outbox
    from webforms.extensions import db
    from workers.queues import MAIL

    with bench_app(mail_port=port) as app, app.app_context():
        start = time.perf_counter()
        for i in range(count):
            outbox.queue_mail(to=[f"khachmoi{i}@doanhnghiep.example.vn"],
                              subject=f"[GM] Giấy mời dự Hội nghị đối thoại doanh nghiệp – khách mời {i}",
                              text=_body(i), html=f"<p>{_body(i)}</p>", dedupe_key=f"bench:{i}")
        db.session.commit()
        queued = count / (time.perf_counter() - start)
        redis = app.extensions["doithoai"].redis
        worker = SimpleWorker([Queue(MAIL, connection=redis)], connection=redis)
        start = time.perf_counter()
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
        sent = count / (time.perf_counter() - start)
        # The same work again in a real `doithoai worker --burst` process, to read its peak memory.
        for i in range(count):
            outbox.queue_mail(to=[f"khachmoi{i}@doanhnghiep.example.vn"], subject=f"[GM] Giấy mời {i}",
                              text=_body(i), html=f"<p>{_body(i)}</p>", dedupe_key=f"bench-rss:{i}")
        db.session.commit()
        settings = app.extensions["doithoai"].settings
        env = dict(os.environ, DOITHOAI_INSTANCE_DIR=str(settings.instance_dir), REDIS_URL=settings.redis_url,
                   MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port), RATELIMIT_ENABLED="false")
        if settings.database_url:
            env["DATABASE_URL"] = settings.database_url
        process = subprocess.Popen([sys.executable, "-m", "webforms.cli", "worker", "--burst"], env=env,  # noqa: S603
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(process.pid, 0)
        return queued, sent, usage.ru_maxrss


def main() -> list[dict]:
    with sink_process() as port:
        raw_smtplib(port, 20)  # warm up the sink
        limit = raw_smtplib(port, COUNT)
        queued, sent, worker_rss_kb = outbox_path(port, COUNT)
    return [row(f"mail: {COUNT} invitations, outbox worker vs raw smtplib (1 connection)",
                f"{sent:.0f} msg/s (queued {queued:.0f}/s)", f"{limit:.0f} msg/s", sent / limit, ">= 70%"),
            {"benchmark": f"memory: peak RSS of an RQ worker (`doithoai worker --burst`) after {COUNT} emails",
             "doithoai": f"{worker_rss_kb / 1024:.0f} MiB", "stack limit": "", "ratio": "", "goal": "", "met": ""}]


if __name__ == "__main__":
    rows = main()
    print_table(rows)
    sys.exit(0)
