"""Whole conferences driven only through the public surfaces: the CLI (`doithoai …` commands run in
this process by Click's runner), the HTTP routes (API, department links, back office with real logins)
and `tick --now`, with the real database, Redis, RQ worker and SMTP server.

The application reads the wall clock for what people do (a registration's receipt time, an approval);
the scenario moves that clock with time-machine, so a person acts at the moment the scenario says, and
the deadline engine is driven by `tick --now` at the same moments. Every email is read back from the
bytes the SMTP server received, parsed with `policy=email.policy.default`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import docx
import time_machine

from tests.factories import valid_tax_code
from tests.intake_helpers import registration_of, registration_payload
from tests.jobs import run_jobs
from tests.smtp import Received
from webforms.extensions import db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
LINK = re.compile(r"https?://[^\s<>\"']+")


def local(y, m, d, hh=9, mm=0, ss=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=VN)


class Mail(Received):
    """One message as its recipient's client reads it (tests/smtp.py parsed it from the received bytes)."""

    @property
    def files(self) -> dict[str, bytes]:
        return dict(self.attachments())

    def documents(self) -> dict[str, str]:
        """The text of each attached .docx: its paragraphs and every table cell."""
        return {name: docx_text(data) for name, data in self.attachments() if name.endswith(".docx")}

    def links(self) -> list[str]:
        return LINK.findall(self.text)


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@dataclass
class Run:
    app: object
    smtp: object
    seen: int = 0  # messages already handed out by new_mail()
    counter: int = 0
    actions: list[dict] = field(default_factory=list)

    # -- the clock ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def at(self, instant: dt.datetime):
        with time_machine.travel(instant, tick=True):
            yield

    # -- the CLI -----------------------------------------------------------------------------------

    def cli(self, *args: str, ok: bool = True) -> str:
        result = self.app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, f"doithoai {' '.join(args)} exited {result.exit_code}: {result.output}"
        return result.output

    def cli_json(self, *args: str):
        return json.loads(self.cli(*args).strip().splitlines()[-1])

    def tick(self, now: dt.datetime) -> list[dict]:
        """`tick --now` at `now`, the workers drain, then the same tick again must do nothing; no two
        messages of the same moment say the same thing to the same people."""
        before = len(self.smtp.messages)
        with self.at(now):
            out = self.cli("tick", "--now", now.isoformat())
            actions = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            run_jobs(self.app)
            again = self.cli("tick", "--now", now.isoformat())
            assert not [line for line in again.splitlines() if line.startswith("{")], \
                f"a second tick at {now} acted again: {again}"
            run_jobs(self.app)
        self.actions += actions
        batch = Counter((tuple(sorted(m.rcpt_tos)), m.subject, m.text) for m in self.mail()[before:])
        assert all(n == 1 for n in batch.values()), [p[:2] for p, n in batch.items() if n > 1]
        return actions

    def drain(self, now: dt.datetime) -> None:
        with self.at(now):
            run_jobs(self.app)

    # -- the public surfaces -----------------------------------------------------------------------

    def register(self, slug: str, now: dt.datetime, *, recommendations: int = 1, **overrides) -> dict:
        """One enterprise registers through the API at `now`; returns the API's answer."""
        self.counter += 1
        payload = registration_payload(tax_code=valid_tax_code(7000 + self.counter),
                                       recommendations=recommendations, **overrides)
        with self.at(now):
            client = self.app.test_client()
            response = client.post(f"/api/v1/conferences/{slug}/registrations", json=payload,
                                   environ_base={"REMOTE_ADDR": f"10.9.{self.counter // 250}.{self.counter % 250}"})
            assert response.status_code == 202, response.get_data(as_text=True)
            run_jobs(self.app)
            # the API answers the same whatever happened (F17): what was registered is read back
            with self.app.app_context():
                registration = registration_of(payload["enterprise"]["tax_code"])
                registered = {"tracking_code": registration.tracking_code, "recommendations": [
                    {"code": r.code, "title": r.title} for r in registration.recommendations]}
                db.session.rollback()
        return {**response.get_json(), **registered, "payload": payload}

    # -- what people received ----------------------------------------------------------------------

    def mail(self) -> list[Mail]:
        """Every message the SMTP server accepted, as tests/smtp.py parsed it from the bytes it received
        (BytesParser with policy=email.policy.default, the same as email.message_from_bytes)."""
        return [Mail(list(received.rcpt_tos), received.message, received.raw) for received in self.smtp.messages]

    def new_mail(self) -> list[Mail]:
        every = self.mail()
        fresh, self.seen = every[self.seen:], len(every)
        return fresh

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mail() if address in m.rcpt_tos]

    def assert_nothing_sent_twice(self) -> None:
        """No message twice (its stable Message-ID), and no notice of a one-time event (a receipt, an
        invitation, a letter, a cancellation) twice to the same people; daily reminders may repeat."""
        ids = Counter(m.message["Message-ID"] for m in self.mail())
        assert all(n == 1 for n in ids.values()), [i for i, n in ids.items() if n > 1]
        once = Counter((tuple(sorted(m.rcpt_tos)), m.subject, m.text) for m in self.mail()
                       if not m.subject.startswith("[Nhắc việc]") and "quá hạn" not in m.subject.lower())
        assert all(n == 1 for n in once.values()), [p[:2] for p, n in once.items() if n > 1]
