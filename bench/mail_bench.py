"""Bulk mail: outbox rows sent by the mail job against raw smtplib over one reused connection,
the same messages, to the same local SMTP sink, in the same run. Goal: at least 70 %."""

from __future__ import annotations

import smtplib
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


def outbox_path(port: int, count: int) -> tuple[float, float]:
    """(rows queued per second, messages sent per second by the worker). The worker's memory: bench/memory_bench.py."""
    from rq import Queue
    from rq.worker import SimpleWorker

    from webforms.domain import outbox
    from webforms.domain.mail import sender_domain
    from webforms.extensions import db
    from webforms.services import services
    from workers.queues import MAIL

    with bench_app(mail_port=port) as app, app.app_context():
        start = time.perf_counter()
        for i in range(count):
            outbox.queue_mail(to=[f"khachmoi{i}@doanhnghiep.example.vn"],
                              subject=f"[GM] Giấy mời dự Hội nghị đối thoại doanh nghiệp – khách mời {i}",
                              text=_body(i), html=f"<p>{_body(i)}</p>", dedupe_key=f"bench:{i}",
                              message_domain=sender_domain(services().settings))
        db.session.commit()
        queued = count / (time.perf_counter() - start)
        redis = app.extensions["doithoai"].redis
        worker = SimpleWorker([Queue(MAIL, connection=redis)], connection=redis)
        start = time.perf_counter()
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
        sent = count / (time.perf_counter() - start)
        return queued, sent


def main() -> list[dict]:
    with sink_process() as port:
        raw_smtplib(port, 20)  # warm up the sink
        limit = raw_smtplib(port, COUNT)
        queued, sent = outbox_path(port, COUNT)
    return [row(f"mail: {COUNT} invitations, outbox worker vs raw smtplib (1 connection)",
                f"{sent:.0f} msg/s (queued {queued:.0f}/s)", f"{limit:.0f} msg/s", sent / limit, ">= 70%")]


if __name__ == "__main__":
    rows = main()
    print_table(rows)
    sys.exit(0)
