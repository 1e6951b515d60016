"""Render a document, store the file atomically under DOCUMENTS_DIR, and record it as a Document row.

A re-render is a new version: files and rows are never overwritten. The caller commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import func, select

from config.rules import Rules
from config.settings import Settings
from webforms.domain.documents.config import template_path
from webforms.domain.documents.context import build_context
from webforms.domain.documents.render import render_docx, sanitize
from webforms.extensions import db
from webforms.models import Conference, Document


def subject_key_for(kind: str, **subject) -> str:
    """The Document.subject_key of a per-subject document ("" for one per conference)."""
    if subject.get("invitee") is not None:
        return f"invitee:{subject['invitee']}"
    if subject.get("registration") is not None:
        return f"registration:{subject['registration']}"
    if subject.get("recommendation"):
        return f"rec:{subject['recommendation']}"
    return ""


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def convert_to_pdf(docx_paths: list[Path], *, timeout: int, soffice: str = "soffice") -> list[Path | None]:
    """PDFs beside the given .docx files, converted by one headless LibreOffice run.

    Returns the PDF path per input (None when it was not produced). Without LibreOffice on PATH
    nothing happens and every entry is None. One run converts many files because starting soffice
    is most of the cost (about 1.6 s alone against 0.34 s per file in a batch of ten).
    """
    executable = shutil.which(soffice)
    if executable is None or not docx_paths:
        return [None] * len(docx_paths)
    # A private profile: a second soffice sharing the default one refuses to start, and a worker
    # must not depend on a desktop user's settings.
    profile = Path(tempfile.gettempdir()) / f"doithoai-soffice-{uuid.uuid4().hex}"
    results: list[Path | None] = []
    try:
        by_folder: dict[Path, list[Path]] = {}
        for path in docx_paths:
            by_folder.setdefault(path.parent, []).append(path)
        for folder, paths in by_folder.items():
            subprocess.run(  # noqa: S603 - fixed argument list, no shell
                [
                    executable,
                    f"-env:UserInstallation={profile.as_uri()}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(folder),
                    *map(str, paths),
                ],
                check=False,
                capture_output=True,
                timeout=timeout,
            )
        for path in docx_paths:
            pdf = path.with_suffix(".pdf")
            results.append(pdf if pdf.exists() else None)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return results


def next_version(conference: Conference, kind: str, subject_key: str) -> int:
    current = db.session.scalar(
        select(func.max(Document.version)).where(
            Document.conference_id == conference.id,
            Document.kind == kind,
            Document.subject_key == subject_key,
        )
    )
    return (current or 0) + 1


def generate_document(
    conference: Conference,
    kind: str,
    rules: Rules,
    settings: Settings,
    now: dt.datetime,
    subject_key: str = "",
    *,
    pdf: bool = True,
    **subject,
) -> Document:
    """Render one document of `kind` for `conference` now and record it as a new version.

    :param subject_key: the Document.subject_key; derived from `subject` when empty.
    :param pdf: also convert to PDF when LibreOffice is installed (a batch job may convert later).
    :param subject: invitee=ID, registration=ID or recommendation=CODE; number=N for the register.
    """
    context = build_context(kind, conference, rules, now, base_url=settings.public_base_url, **subject)
    data = render_docx(template_path(kind), context)
    subject_key = subject_key or subject_key_for(kind, **subject)
    version = next_version(conference, kind, subject_key)
    stem = "-".join(part for part in (kind, _safe_name(subject_key.replace(":", "-")), f"v{version}") if part)
    relative = Path(_safe_name(conference.slug)) / f"{stem}.docx"
    absolute = settings.resolved_documents_dir / relative
    if absolute.exists():
        # A row was rolled back after its file was written: keep that file, write beside it.
        relative = relative.with_name(f"{stem}-{uuid.uuid4().hex[:8]}.docx")
        absolute = settings.resolved_documents_dir / relative
    write_atomically(absolute, data)
    document = Document(
        conference_id=conference.id,
        kind=kind,
        subject_key=subject_key,
        version=version,
        path=relative.as_posix(),
        sha256=hashlib.sha256(data).hexdigest(),
        snapshot=sanitize(context),
        status="done",
        generated_at=now,
    )
    if pdf:
        (converted,) = convert_to_pdf([absolute], timeout=settings.soffice_timeout)
        if converted is not None:
            document.pdf_path = relative.with_suffix(".pdf").as_posix()
    db.session.add(document)
    db.session.flush()
    return document


def list_documents(conference: Conference) -> list[Document]:
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.conference_id == conference.id)
            .order_by(Document.kind, Document.subject_key, Document.version)
        )
    )
