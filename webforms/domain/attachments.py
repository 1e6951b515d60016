"""Files enterprises attach: type checked from the content, stored outside static/ under random names.

Accepted: PDF, DOC/DOCX, XLS/XLSX, JPG, PNG. Office Open XML files are zip archives, so their
members are checked too: macros (vbaProject.bin, macro-enabled content types) and zip bombs
(total uncompressed size, member count) are refused. Legacy .doc/.xls (OLE2) with a VBA project
are refused as well.

Nothing is ever inflated or read whole into memory: the one archive member read
(`[Content_Types].xml`, a few KB in real files) is streamed with a small cap, OLE2 files are scanned in
chunks, and one `UploadBudget` per request bounds the total work across all its files (count, bytes
scanned, bytes inflated, archive members listed), so a request of many small zip bombs costs little.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype
from flask_babel import gettext as _

from webforms.domain.text import clean_text
from webforms.models import Attachment
from webforms.unit_of_work import remove_after_commit, remove_on_rollback

MAX_FILE_BYTES = 10 * 1024 * 1024  # per file
MAX_FILES_PER_RECOMMENDATION = 5
# A 10 MB .docx rarely holds more than ~100 MB once inflated; far beyond that is a zip bomb. Only the
# declared sizes are compared with this: nothing is inflated but [Content_Types].xml.
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 5000
# [Content_Types].xml is 1-3 KB in files Word and Excel write; one far larger is not a document.
MAX_CONTENT_TYPES_BYTES = 256 * 1024
# Work one request may cause across all of its files (the form takes 20 recommendations x 5 files).
MAX_FILES_PER_REQUEST = 100
MAX_INFLATED_BYTES_PER_REQUEST = 4 * 1024 * 1024
MAX_ZIP_MEMBERS_PER_REQUEST = 20_000
_CHUNK = 64 * 1024

# extension -> the content type it must sniff as
ALLOWED = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_VBA_MARKERS = ("_VBA_PROJECT".encode("utf-16-le"), b"vbaProject.bin")
_OOXML_MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as the person's computer called it, and its bytes."""

    filename: str
    stream: BinaryIO


class AttachmentRefused(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BudgetSpent(AttachmentRefused):
    """The request's checking budget is used up: its remaining files are not looked at."""


class UploadBudget:
    """What checking one request's files may cost in total; one per request, shared by its files.

    Each check charges what it is about to do before doing it, and AttachmentRefused stops the request's
    remaining files once the budget is spent.
    """

    def __init__(self, *, files: int = MAX_FILES_PER_REQUEST, inflated: int = MAX_INFLATED_BYTES_PER_REQUEST,
                 members: int = MAX_ZIP_MEMBERS_PER_REQUEST):
        self.files_left = files
        self.inflated_left = inflated
        self.members_left = members

    def spent(self) -> BudgetSpent:
        return BudgetSpent(_("Các tệp đính kèm của lần gửi này vượt quá khối lượng kiểm tra cho phép; "
                                   "vui lòng gửi ít tệp hơn hoặc tệp nhỏ hơn."))

    def take_file(self) -> None:
        if self.files_left <= 0:
            raise self.spent()
        self.files_left -= 1

    def take_members(self, count: int) -> None:
        if count > self.members_left:
            raise self.spent()
        self.members_left -= count

    def inflate_cap(self, wanted: int) -> int:
        """How many inflated bytes the next read may produce (at most `wanted`)."""
        if self.inflated_left <= 0:
            raise self.spent()
        return min(wanted, self.inflated_left)

    def take_inflated(self, count: int) -> None:
        self.inflated_left -= count


def accepted_extensions() -> str:
    return ", ".join(sorted({e.upper() for e in ALLOWED if e != "jpeg"}))


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _display_name(filename: str) -> str:
    name = clean_text(os.path.basename((filename or "").replace("\\", "/")))
    return name[-255:] or "tep-dinh-kem"


def _contains_marker(path: Path) -> bool:
    """Whether a VBA marker occurs in the file, read in chunks (a marker may straddle two)."""
    overlap = max(len(m) for m in _VBA_MARKERS) - 1
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            window = tail + chunk
            if any(marker in window for marker in _VBA_MARKERS):
                return True
            tail = window[-overlap:]
    return False


def _sniff(path: Path, extension: str, budget: UploadBudget) -> str:
    """The content type the bytes say, checked against the name; AttachmentRefused otherwise."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if extension in ("doc", "xls"):
        if not head.startswith(_OLE_MAGIC):
            raise AttachmentRefused(_("Nội dung tệp không phải là tệp %(ext)s.", ext=extension.upper()))
        if _contains_marker(path):
            raise AttachmentRefused(_("Tệp có chứa macro; vui lòng lưu lại dưới dạng tệp không có macro."))
        return ALLOWED[extension]
    if extension in ("docx", "xlsx"):
        _check_ooxml(path, extension, budget)
        return ALLOWED[extension]
    kind = filetype.guess(head)
    if kind is None or kind.mime != ALLOWED[extension]:
        raise AttachmentRefused(
            _(
                "Nội dung tệp không khớp với định dạng %(ext)s; tệp có thể bị hỏng hoặc "
                "không phải tài liệu được chấp nhận.",
                ext=extension.upper(),
            )
        )
    return kind.mime


def _check_ooxml(path: Path, extension: str, budget: UploadBudget) -> None:
    refused = AttachmentRefused(_("Nội dung tệp không phải là tệp %(ext)s hợp lệ.", ext=extension.upper()))
    bomb = AttachmentRefused(_("Tệp nén bất thường (dung lượng giải nén quá lớn); tệp bị từ chối."))
    if not zipfile.is_zipfile(path):
        raise refused
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
                raise bomb
            budget.take_members(len(members))
            names = {m.filename for m in members}
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise AttachmentRefused(
                    _("Tệp có chứa macro; vui lòng lưu lại dưới dạng tệp không có macro.")
                )
            if "[Content_Types].xml" not in names or _OOXML_MAIN_PART[extension] not in names:
                raise refused
            content_types = _read_capped(archive, "[Content_Types].xml", budget, bomb)
            content_types = content_types.decode("utf-8", "replace").lower()
            if "macroenabled" in content_types or "vbaproject" in content_types:
                raise AttachmentRefused(
                    _("Tệp có chứa macro; vui lòng lưu lại dưới dạng tệp không có macro.")
                )
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError, EOFError) as exc:
        raise refused from exc


def _read_capped(archive: zipfile.ZipFile, name: str, budget: UploadBudget, refused: AttachmentRefused) -> bytes:
    """A member's bytes, inflating at most MAX_CONTENT_TYPES_BYTES + 1 whatever its header declares
    (zipfile inflates only as much as each read asks for)."""
    info = archive.getinfo(name)
    if info.file_size > MAX_CONTENT_TYPES_BYTES:
        raise refused
    cap = budget.inflate_cap(MAX_CONTENT_TYPES_BYTES + 1)
    parts: list[bytes] = []
    size = 0
    with archive.open(info) as member:
        while size < cap and (chunk := member.read(min(_CHUNK, cap - size))):
            parts.append(chunk)
            size += len(chunk)
        cut_short = size == cap and cap <= MAX_CONTENT_TYPES_BYTES and member.read(1) != b""
    budget.take_inflated(size)
    if size > MAX_CONTENT_TYPES_BYTES:
        raise refused
    if cut_short:
        raise budget.spent()
    return b"".join(parts)


def store_upload(upload: Upload, uploads_dir: Path, budget: UploadBudget | None = None) -> Attachment:
    """Copy the upload to a random name, check size and type; an Attachment not yet added to a session.
    The file is removed if the session's transaction rolls back (webforms.unit_of_work).

    :param budget: the request's (shared by all its files); a fresh one when checking a single file.
    On refusal nothing stays on disk.
    """
    budget = budget if budget is not None else UploadBudget()
    budget.take_file()
    name = _display_name(upload.filename)
    extension = _extension(name)
    if extension not in ALLOWED:
        raise AttachmentRefused(
            _("Tệp “%(name)s”: chỉ nhận các định dạng %(list)s.", name=name, list=accepted_extensions())
        )
    uploads_dir.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    path = uploads_dir / stored_name
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("xb") as out:
            while chunk := upload.stream.read(_CHUNK):
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise AttachmentRefused(
                        _("Tệp “%(name)s” vượt quá %(mb)s MB.", name=name, mb=MAX_FILE_BYTES // (1024 * 1024))
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise AttachmentRefused(_("Tệp “%(name)s” rỗng.", name=name))
        try:
            content_type = _sniff(path, extension, budget)
        except BudgetSpent:
            raise
        except AttachmentRefused as exc:
            raise AttachmentRefused(_("Tệp “%(name)s”: %(reason)s", name=name, reason=exc.message)) from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    remove_on_rollback(path)  # the file lives as long as the transaction that will record its row
    return Attachment(
        original_name=name,
        stored_name=stored_name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


def attachment_path(attachment: Attachment, uploads_dir: Path) -> Path:
    return uploads_dir / attachment.stored_name


def discard_files(attachments, uploads_dir: Path) -> None:
    """Stored files the open transaction does not keep (a duplicate, a submission not kept): removed once it
    commits (a rollback removes them anyway, with every file it stored)."""
    remove_after_commit(*(uploads_dir / attachment.stored_name for attachment in attachments))
