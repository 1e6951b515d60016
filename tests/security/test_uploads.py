"""F1: the .docx check never inflates to memory, and one request's files cost a bounded amount of work."""

import io
import struct
import time
import tracemalloc
import zipfile

import pytest
from sqlalchemy import func, select

from tests.intake_helpers import registration_payload
from tests.web.test_intake import open_conference, post_form
from webforms.domain.attachments import (
    MAX_CONTENT_TYPES_BYTES,
    AttachmentRefused,
    Upload,
    UploadBudget,
    store_upload,
)
from webforms.extensions import db
from webforms.models import Attachment, Registration

pytestmark = pytest.mark.security

MB = 1024 * 1024


def bomb_docx(content_types_bytes: int, *, declare: int | None = None) -> bytes:
    """A .docx whose [Content_Types].xml inflates to `content_types_bytes` of spaces (a few KB on disk).

    :param declare: the uncompressed size its headers claim instead (a lying archive).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("[Content_Types].xml", "w", force_zip64=False) as member:
            member.write(b'<?xml version="1.0"?><Types>')
            chunk = b" " * MB
            left = content_types_bytes
            while left > 0:
                member.write(chunk[: min(MB, left)])
                left -= MB
        archive.writestr("word/document.xml", "<w:document/>")
    data = bytearray(buffer.getvalue())
    if declare is not None:
        name = b"[Content_Types].xml"
        assert data[:4] == b"PK\x03\x04"  # the first local header is this member's
        struct.pack_into("<I", data, 22, declare)
        central = data.index(b"PK\x01\x02")
        assert data[central + 46: central + 46 + len(name)] == name
        struct.pack_into("<I", data, central + 24, declare)
    return bytes(data)


@pytest.mark.parametrize(("declare", "message"), [(None, "giải nén quá lớn"), (1024, "không phải là tệp DOCX")])
def test_a_large_content_types_is_refused_without_inflating(tmp_path, declare, message):
    """64 MB of [Content_Types].xml in a 64 KB file, declared honestly or as 1 KB: refused, and memory
    stays near the cap (before the fix an honest one was inflated whole, three copies of it)."""
    data = bomb_docx(64 * MB, declare=declare)
    assert len(data) < 200 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(AttachmentRefused, match=message):
            store_upload(Upload("bom.docx", io.BytesIO(data)), tmp_path, UploadBudget())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_CONTENT_TYPES_BYTES + MB  # the cap and a few buffers, never the 64 MB
    assert not any(tmp_path.iterdir())


def test_the_request_budget_stops_many_small_bombs(tmp_path):
    """Each file just under the per-file cap: the request's inflate budget ends the checking."""
    data = bomb_docx(MAX_CONTENT_TYPES_BYTES - 1024)
    budget = UploadBudget()
    accepted, refused = 0, []
    for i in range(100):
        try:
            store_upload(Upload(f"tep-{i}.docx", io.BytesIO(data)), tmp_path, budget)
            accepted += 1
        except AttachmentRefused as exc:
            refused.append(exc.message)
            break
    assert 0 < accepted < 20
    assert "khối lượng kiểm tra" in refused[0]


def test_one_request_of_a_hundred_bombs_is_answered_quickly(client, app_ctx, rules, calendar, settings):
    """The review's attack: 20 recommendations x 5 files, each with 60 MB of [Content_Types].xml (under the
    old 200 MB total, so inflated whole). Before the fix 25 such files took 19.6 s; now well under 2 s."""
    conference = open_conference(rules, calendar)
    data = bomb_docx(60 * MB)
    files = {
        f"recommendations-{r}-attachments": [(io.BytesIO(data), f"bom-{r}-{i}.docx") for i in range(5)]
        for r in range(20)
    }
    started = time.perf_counter()
    response = post_form(client, conference, registration_payload(recommendations=20), files=files)
    elapsed = time.perf_counter() - started
    assert response.status_code == 422
    assert "giải nén quá lớn" in response.get_data(as_text=True)
    assert elapsed < 2.0, elapsed
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert not settings.resolved_uploads_dir.exists() or not any(settings.resolved_uploads_dir.iterdir())


def test_ordinary_docx_and_ole_files_still_pass(tmp_path):
    from tests.web.test_intake import docx_bytes

    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * (300 * 1024)
    border = 64 * 1024 - 5  # the marker straddles the first 64 KB chunk's end
    macro_ole = ole[:border] + b"vbaProject.bin" + ole[border + 14:]
    budget = UploadBudget()
    assert store_upload(Upload("a.docx", io.BytesIO(docx_bytes())), tmp_path, budget).content_type.endswith("document")
    assert store_upload(Upload("a.doc", io.BytesIO(ole)), tmp_path, budget).content_type == "application/msword"
    with pytest.raises(AttachmentRefused, match="macro"):
        store_upload(Upload("b.doc", io.BytesIO(macro_ole)), tmp_path, budget)
