"""Render a document, store the file atomically under DOCUMENTS_DIR, and record it as a Document row.

A re-render is a new version: files and rows are never overwritten. The caller commits.

Three steps, so that a worker renders with no transaction open: `prepare_document` reads the
context, `render_prepared` renders and stages the file with no database, `record_document` picks the
version and records the row. `generate_document` does all three in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from config.rules import Rules
from config.settings import Settings
from webforms.domain.documents.config import template_path
from webforms.domain.documents.context import build_context
from webforms.domain.documents.render import render_docx, sanitize
from webforms.extensions import db
from webforms.models import Conference, Document
from webforms.unit_of_work import remove_on_rollback

# Tries at a version before giving up: each lost race means another worker recorded one meanwhile.
_RECORD_ATTEMPTS = 5
# A staged file older than this belongs to a render that died before naming it (a render takes seconds).
STAGED_MAX_AGE_SECONDS = 3600


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


def next_version(conference_id: int, kind: str, subject_key: str) -> int:
    current = db.session.scalar(
        select(func.max(Document.version)).where(
            Document.conference_id == conference_id,
            Document.kind == kind,
            Document.subject_key == subject_key,
        )
    )
    return (current or 0) + 1


@dataclass(frozen=True)
class PreparedDocument:
    """What one render needs, read from the database as plain data: rendering it touches no session."""

    conference_id: int
    conference_slug: str
    kind: str
    subject_key: str
    context: dict
    now: dt.datetime


@dataclass(frozen=True)
class RenderedDocument:
    """A rendered file, fsynced under a hidden unique name in its final folder; not yet a Document.

    `record_document` gives it its version's name; `discard` removes what is left of it.
    """

    prepared: PreparedDocument
    staged: Path
    staged_pdf: Path | None
    sha256: str

    def discard(self) -> None:
        self.staged.unlink(missing_ok=True)
        if self.staged_pdf is not None:
            self.staged_pdf.unlink(missing_ok=True)


def prepare_document(
    conference: Conference,
    kind: str,
    rules: Rules,
    settings: Settings,
    now: dt.datetime,
    subject_key: str = "",
    **subject,
) -> PreparedDocument:
    """The reads of a render: the context of `kind` for `conference` now (raises DocumentSubjectError)."""
    context = build_context(kind, conference, rules, now, base_url=settings.public_base_url, **subject)
    return PreparedDocument(
        conference_id=conference.id,
        conference_slug=conference.slug,
        kind=kind,
        subject_key=subject_key or subject_key_for(kind, **subject),
        context=context,
        now=now,
    )


def render_prepared(
    prepared: PreparedDocument,
    settings: Settings,
    *,
    pdf: bool = True,
    render: Callable[[Path, dict], bytes] = render_docx,
) -> RenderedDocument:
    """Render and stage the file (and its PDF when asked and LibreOffice is installed); no database.

    :param render: the renderer, `render_docx` (a test passes one that watches the database meanwhile).
    """
    data = render(template_path(prepared.kind), prepared.context)
    folder = settings.resolved_documents_dir / _safe_name(prepared.conference_slug)
    stem = "-".join(part for part in (prepared.kind, _safe_name(prepared.subject_key.replace(":", "-"))) if part)
    staged = _stage(folder, f".{stem}.", data)
    staged_pdf = None
    if pdf:
        try:
            (staged_pdf,) = convert_to_pdf([staged], timeout=settings.soffice_timeout)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
    return RenderedDocument(prepared, staged, staged_pdf, hashlib.sha256(data).hexdigest())


def render_outside_transaction(
    conference: Conference,
    kind: str,
    rules: Rules,
    settings: Settings,
    now: dt.datetime,
    subject_key: str = "",
    *,
    pdf: bool = True,
    render: Callable[[Path, dict], bytes] = render_docx,
    **subject,
) -> RenderedDocument:
    """Read the context, commit that read, then render with no transaction open.

    On SQLite a transaction takes the write lock at its first statement, reads included, unless it was
    begun read-only (BEGIN IMMEDIATE, webforms/app.py; the workers begin this read with
    `domain.sql.begin_read_only`), so a render inside one would stop every other writer, other render
    workers too. The session must hold nothing uncommitted: the read's commit would take it along.
    Touch no ORM object until the render returns: a lazy load would open a transaction again.
    Then `record_document` in a short write transaction.
    """
    prepared = prepare_document(conference, kind, rules, settings, now, subject_key, **subject)
    db.session.commit()
    return render_prepared(prepared, settings, pdf=pdf, render=render)


def record_document(rendered: RenderedDocument) -> Document:
    """Record a rendered file as the next version of its document, in the caller's transaction.

    The version is chosen here, at write time. The row claims it first: the unique (conference, kind,
    subject, version) constraint settles a race between two workers, and the loser takes the next
    version (a SAVEPOINT keeps the caller's transaction usable). Only then does the file take its
    version's name, by a hard link that never replaces an existing file. The staged file is gone
    afterwards, whatever happens.
    """
    prepared = rendered.prepared
    try:
        for _attempt in range(_RECORD_ATTEMPTS):
            version = next_version(prepared.conference_id, prepared.kind, prepared.subject_key)
            folder, stem = _version_name(prepared, version)
            document = Document(
                conference_id=prepared.conference_id,
                kind=prepared.kind,
                subject_key=prepared.subject_key,
                version=version,
                path=f"{folder}/{stem}.docx",
                pdf_path=f"{folder}/{stem}.pdf" if rendered.staged_pdf is not None else "",
                sha256=rendered.sha256,
                snapshot=sanitize(prepared.context),
                status="done",
                generated_at=prepared.now,
            )
            try:
                with db.session.begin_nested():
                    db.session.add(document)
                    db.session.flush()
            except IntegrityError:
                if next_version(prepared.conference_id, prepared.kind, prepared.subject_key) <= version:
                    raise  # not a version taken meanwhile (the conference deleted during the render?)
                continue  # another worker recorded this version since our SELECT: take the next one
            name = _link_beside(rendered, stem)
            if name != stem:
                document.path = f"{folder}/{name}.docx"
                document.pdf_path = f"{folder}/{name}.pdf" if rendered.staged_pdf is not None else ""
                db.session.flush()
            return document
        raise RuntimeError(f"{prepared.kind} {prepared.subject_key!r}: no free version after {_RECORD_ATTEMPTS} tries")
    finally:
        rendered.discard()


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
    """Render one document of `kind` for `conference` now and record it as a new version, all in the
    caller's transaction (the caller commits).

    The render happens inside that transaction, which on SQLite holds the write lock: fine for one
    document inside a bigger write (an approved answer's reply letter); a worker rendering many uses
    `render_outside_transaction` and `record_document` instead.

    :param subject_key: the Document.subject_key; derived from `subject` when empty.
    :param pdf: also convert to PDF when LibreOffice is installed (a batch job may convert later).
    :param subject: invitee=ID, registration=ID or recommendation=CODE; number=N for the register.
    """
    prepared = prepare_document(conference, kind, rules, settings, now, subject_key, **subject)
    return record_document(render_prepared(prepared, settings, pdf=pdf))


def _stage(folder: Path, prefix: str, data: bytes) -> Path:
    """`data` in a new hidden file of `folder`, fsynced: complete before any name points at it."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".docx")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def discard_stale_staged_files(documents_dir: Path) -> list[Path]:
    """Remove staged (hidden) files that no render will name any more: left by a worker killed between
    writing and recording. Ages are the files' own, on the real clock."""
    cutoff = time.time() - STAGED_MAX_AGE_SECONDS
    removed = []
    for path in (*documents_dir.glob("*/.*.docx"), *documents_dir.glob("*/.*.pdf")):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:  # named or removed meanwhile
            continue
    return removed


def _version_name(prepared: PreparedDocument, version: int) -> tuple[str, str]:
    """The folder (relative to DOCUMENTS_DIR) and file stem of a version: "hoi-nghi", "invitation-invitee-12-v1"."""
    subject = _safe_name(prepared.subject_key.replace(":", "-"))
    stem = "-".join(part for part in (prepared.kind, subject, f"v{version}") if part)
    return _safe_name(prepared.conference_slug), stem


def _link_beside(rendered: RenderedDocument, stem: str) -> str:
    """Give the staged file(s) the name `stem`, or a name beside it when a file already has it: never
    overwrite. The names are durable (the folder is fsynced) and are removed again if the caller's
    transaction rolls back (webforms.unit_of_work). Returns the name taken."""
    folder = rendered.staged.parent
    for name in (stem, *(f"{stem}-{uuid.uuid4().hex[:8]}" for _ in range(3))):
        sources = [(rendered.staged, folder / f"{name}.docx")]
        if rendered.staged_pdf is not None:
            sources.append((rendered.staged_pdf, folder / f"{name}.pdf"))
        linked: list[Path] = []
        try:
            for source, target in sources:
                _name_file(source, target)
                linked.append(target)
        except FileExistsError:
            for target in linked:
                target.unlink()
            continue
        _fsync_folder(folder)
        remove_on_rollback(*linked)
        return name
    raise FileExistsError(f"no free name for {stem} in {folder}")


def _name_file(source: Path, target: Path) -> None:
    """A second name for `source`; a copy where the filesystem has no hard links (SMB, FAT, some FUSE
    mounts). Never replaces an existing `target` (FileExistsError)."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
        with source.open("rb") as src, target.open("xb") as dst:
            shutil.copyfileobj(src, dst)
            dst.flush()
            os.fsync(dst.fileno())


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_documents(conference: Conference) -> list[Document]:
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.conference_id == conference.id)
            .order_by(Document.kind, Document.subject_key, Document.version)
        )
    )
