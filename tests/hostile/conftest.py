"""Shared checks for the hostile-input suite: what "refused clearly" and "shown literally" mean."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser

import pytest
from markupsafe import escape

from tests.factories import create_user
from tests.login import login

# A message is Vietnamese when it has at least one Vietnamese letter with a diacritic.
_VIETNAMESE = re.compile(
    "[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.IGNORECASE
)


def is_vietnamese(message: str) -> bool:
    return bool(_VIETNAMESE.search(message)) and len(message) >= 10


def assert_literal(page: str, stored: str, where: str = "") -> None:
    """`stored` appears escaped in the page, and never as raw markup."""
    if not stored.strip():
        return
    assert str(escape(stored)) in page, f"{where}: {stored[:80]!r} not shown literally"
    if "<" in stored:
        assert stored not in page, f"{where}: {stored[:80]!r} shown unescaped"


def assert_no_raw_markup(page: str) -> None:
    for needle in ("<script>alert", "<img src=x", "<svg/onload", "<iframe src=javascript", "<x onmouseover"):
        assert needle.lower() not in page.lower(), f"raw {needle!r} in the page"


def assert_headers_intact(received, known_recipients: set[str] | None = None) -> None:
    """One To, one Subject on one line, no injected header, nothing the parser calls a defect."""
    message = received.message
    raw = message.as_bytes()
    reparsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert len(message.get_all("To") or []) == 1, message.get_all("To")
    assert len(message.get_all("Subject") or []) == 1
    assert message.get_all("Bcc") is None
    assert len(message.get_all("Message-ID") or []) == 1
    assert "\n" not in str(message["Subject"])
    assert "\r" not in str(message["Subject"])
    allowed = {"subject", "from", "to", "cc", "reply-to", "message-id", "date", "content-type",
               "mime-version", "content-transfer-encoding"}
    assert {k.lower() for k in reparsed.keys()} <= allowed, reparsed.keys()
    assert not message.defects, message.defects
    if known_recipients is not None:
        assert set(received.rcpt_tos) <= known_recipients, received.rcpt_tos
    html = received.html
    if html:
        assert_no_raw_markup(html)


@pytest.fixture
def staff_client(app):
    """A second client, logged in as an admin, for the back office."""
    client = app.test_client()
    with app.app_context():
        from webforms.extensions import db

        user = create_user(role="admin", email="quantri@heza.example.vn")
        db.session.commit()
        response = login(client, user.email)
        assert response.status_code == 302
    return client
