"""A worker's render holds no transaction, so other writers (other render workers) go on meanwhile;
versions are chosen when the row is written and never collide, even when two workers write at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

from sqlalchemy import create_engine, select, text

from tests.documents.conftest import NOW
from webforms.domain.documents import (
    generate_document,
    list_documents,
    record_document,
    render_docx,
    render_outside_transaction,
)
from webforms.extensions import db
from webforms.models import Conference, Document


def _other_connection(settings):
    """A second connection that gives up after 1 s on a lock (SQLite) instead of the app's 30 s."""
    if settings.is_sqlite:
        return create_engine(settings.sqlalchemy_url, connect_args={"timeout": 1})
    return create_engine(settings.sqlalchemy_url)


def test_another_connection_writes_while_a_document_renders(full_conference, rules, settings):
    conference = full_conference.conference
    conference_id, old_title = conference.id, conference.title
    db.session.commit()
    other = _other_connection(settings)
    seen = {}

    def render_while_another_writes(template, context):
        seen["in_transaction"] = db.session().in_transaction()
        # On SQLite this UPDATE needs the write lock: it fails after 1 s if the render's session holds it.
        with other.begin() as conn:
            conn.execute(text("UPDATE conferences SET title = :title WHERE id = :id"),
                         {"title": "Renamed during the render", "id": conference_id})
        return render_docx(template, context)

    try:
        rendered = render_outside_transaction(conference, "results_report", rules, settings, NOW, pdf=False,
                                              render=render_while_another_writes)
    finally:
        other.dispose()
    assert seen == {"in_transaction": False}
    document = record_document(rendered)
    db.session.commit()
    data = (settings.resolved_documents_dir / document.path).read_bytes()
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert (document.version, document.path) == (1, "hoi-nghi-2025/results_report-v1.docx")
    # The document shows the data as read, before the render; the write made meanwhile stands.
    assert document.snapshot["conference"]["title"] == old_title
    assert db.session.get(Conference, conference_id).title == "Renamed during the render"
    assert not list(settings.resolved_documents_dir.rglob(".*"))  # no staged file left behind


def test_two_workers_rendering_the_same_document_at_once_get_distinct_versions(app, full_conference, rules,
                                                                                settings):
    conference_id = full_conference.conference.id
    db.session.commit()
    rounds = 3
    both_rendered = threading.Barrier(2)
    errors = []

    def worker():
        try:
            with app.app_context():
                for _ in range(rounds):
                    conference = db.session.get(Conference, conference_id)
                    rendered = render_outside_transaction(conference, "results_report", rules, settings, NOW,
                                                          pdf=False)
                    both_rendered.wait(timeout=30)  # both read the same last version before either writes
                    record_document(rendered)
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            both_rendered.abort()
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    documents = db.session.scalars(select(Document).order_by(Document.version)).all()
    assert [d.version for d in documents] == list(range(1, 2 * rounds + 1))
    assert len({d.path for d in documents}) == 2 * rounds
    for document in documents:  # every row names its own file, with the bytes it was rendered with
        data = (settings.resolved_documents_dir / document.path).read_bytes()
        assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert not list(settings.resolved_documents_dir.rglob(".*"))


def test_a_file_already_holding_the_version_name_is_kept_and_the_new_one_goes_beside_it(
    full_conference, rules, settings
):
    # A file already there (a copy put back by hand, a crash between naming and commit) is never overwritten.
    folder = settings.resolved_documents_dir / "hoi-nghi-2025"
    folder.mkdir(parents=True)
    (folder / "results_report-v1.docx").write_bytes(b"left by a rolled-back render")
    document = generate_document(full_conference.conference, "results_report", rules, settings, NOW, pdf=False)
    assert document.version == 1
    assert document.path.startswith("hoi-nghi-2025/results_report-v1-")
    assert (folder / "results_report-v1.docx").read_bytes() == b"left by a rolled-back render"
    data = (settings.resolved_documents_dir / document.path).read_bytes()
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert [d.path for d in list_documents(full_conference.conference)] == [document.path]


def test_a_tick_removes_staged_files_that_no_render_will_name(app_ctx, rules, calendar, settings):
    """A worker killed between staging and recording leaves a hidden file; the tick removes it once it is
    older than any render, and leaves a fresh one (a render in progress) alone."""
    import os
    import time

    from webforms.domain.documents.generate import STAGED_MAX_AGE_SECONDS
    from webforms.domain.tick import tick

    folder = settings.resolved_documents_dir / "hoi-nghi"
    folder.mkdir(parents=True, exist_ok=True)
    old, fresh, named = folder / ".invitation-x.ab12.docx", folder / ".invitation-y.cd34.docx", folder / "a-v1.docx"
    old_pdf = folder / ".invitation-x.ab12.pdf"  # its PDF, when the render was killed after converting
    for path in (old, fresh, named, old_pdf):
        path.write_bytes(b"PK\x03\x04")
    long_ago = time.time() - STAGED_MAX_AGE_SECONDS - 60
    for path in (old, named, old_pdf):
        os.utime(path, (long_ago, long_ago))
    actions = [a for a in tick(dt.datetime.now(dt.UTC), rules, calendar, settings)
               if a["action"] == "stale_staged_files_removed"]
    assert actions == [{"conference": None, "milestone": None, "action": "stale_staged_files_removed", "files": 2}]
    assert not old.exists() and not old_pdf.exists() and fresh.exists() and named.exists()


def test_a_rolled_back_document_takes_its_file_along_and_a_committed_one_keeps_it(full_conference, rules,
                                                                                 settings):
    conference = full_conference.conference
    rendered = render_outside_transaction(conference, "results_report", rules, settings, NOW, pdf=False)
    document = record_document(rendered)
    named = settings.resolved_documents_dir / document.path
    assert named.is_file()
    db.session.rollback()  # e.g. the mail queued with it failed: no row, and no file named for it
    assert not named.exists()
    assert not list(settings.resolved_documents_dir.rglob("*.docx"))

    conference = db.session.get(Conference, conference.id)
    rendered = render_outside_transaction(conference, "results_report", rules, settings, NOW, pdf=False)
    document = record_document(rendered)
    db.session.commit()
    db.session.rollback()  # a later rollback has nothing of it left to take
    assert (settings.resolved_documents_dir / document.path).is_file()
    assert document.path == "hoi-nghi-2025/results_report-v1.docx"  # the rolled-back v1 left no name behind


def test_a_filesystem_without_hard_links_gets_a_copy_never_an_overwrite(tmp_path, monkeypatch):
    """SMB, FAT and some FUSE mounts refuse link(2); os.link is made to refuse the way they do."""
    import errno
    import os

    import pytest

    from webforms.domain.documents.generate import _name_file

    def refuse(*_args):
        raise OSError(errno.EPERM, "Operation not permitted")

    source, target = tmp_path / ".staged.docx", tmp_path / "v1.docx"
    source.write_bytes(b"PK\x03\x04 rendered")
    monkeypatch.setattr(os, "link", refuse)
    _name_file(source, target)
    assert target.read_bytes() == b"PK\x03\x04 rendered"
    with pytest.raises(FileExistsError):
        _name_file(source, target)


def test_a_render_whose_mail_another_run_queued_first_is_refused(full_conference, rules, settings):
    """Two runs of one render task at once (a job freed as stale while still running): the second finds
    the mail's dedupe key taken by the first run's row, which attaches another document; it must not
    commit its own document as if it had been sent (the task runner rolls it back and retries)."""
    import pytest

    from webforms.domain import outbox
    from webforms.domain.mail import sender_domain
    from webforms.services import services
    from workers.document_jobs import ConcurrentRun, _docx_attachment, _require_own_mail

    def queue_with(document):
        return outbox.queue_mail(to=["vanphong@heza.example.vn"], subject="Báo cáo", text="Kèm theo.",
                                 dedupe_key="doc-mail:results", attachments=[_docx_attachment(document)],
                                 message_domain=sender_domain(services().settings))

    first = generate_document(full_conference.conference, "results_report", rules, settings, NOW, pdf=False)
    mine = queue_with(first)
    _require_own_mail(mine, first)  # its own row: fine
    second = generate_document(full_conference.conference, "results_report", rules, settings, NOW, pdf=False)
    theirs = queue_with(second)
    assert theirs.id == mine.id
    with pytest.raises(ConcurrentRun):
        _require_own_mail(theirs, second)
