"""A local SMTP server that stores every message in a Maildir (the `make run` mail server)."""

from __future__ import annotations

import argparse
import mailbox
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, directory: Path):
        self.maildir = mailbox.Maildir(str(directory), create=True)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = mailbox.MaildirMessage(envelope.original_content or envelope.content)
        message["X-Sink-Rcpt-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.maildir.add(message)
        return "250 Message accepted for delivery"


def start_sink(directory: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    controller = Controller(MaildirHandler(directory), hostname=host, port=port)
    controller.start()
    return controller


def main() -> None:
    parser = argparse.ArgumentParser(description="Store every message sent to it in a Maildir.")
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=8025, type=int)
    args = parser.parse_args()
    controller = start_sink(args.dir, args.host, args.port)
    print(f"SMTP sink on {args.host}:{args.port}, storing in {args.dir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
