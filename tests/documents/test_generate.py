"""generate_document: files under DOCUMENTS_DIR, one Document row per version, PDFs beside them."""

from __future__ import annotations

import hashlib
import json

import docx
import pytest

from tests.documents.conftest import NOW
from tests.moments import D_PLUS_7
from webforms.domain.documents import (
    KINDS,
    DocumentSubjectError,
    convert_to_pdf,
    generate_document,
    list_documents,
)


def test_a_rerender_adds_a_version_and_keeps_the_first_file(full_conference, rules, settings):
    conference = full_conference.conference
    first = generate_document(conference, "results_report", rules, settings, NOW, pdf=False)
    first_bytes = (settings.resolved_documents_dir / first.path).read_bytes()
    second = generate_document(conference, "results_report", rules, settings, D_PLUS_7, pdf=False)
    assert (first.version, second.version) == (1, 2)
    assert first.path != second.path
    assert (settings.resolved_documents_dir / first.path).read_bytes() == first_bytes
    assert first.sha256 == hashlib.sha256(first_bytes).hexdigest()
    assert second.generated_at == D_PLUS_7
    assert second.status == "done"
    # The snapshot is the context as JSON-safe data: it survives a JSON round trip unchanged.
    assert json.loads(json.dumps(second.snapshot)) == second.snapshot
    assert second.snapshot["date_line"] == "Hải Phòng, ngày        tháng        năm 2025"
    assert [d.version for d in list_documents(conference)] == [1, 2]
    assert not list((settings.resolved_documents_dir / "hoi-nghi-2025").glob("*.part"))


def test_per_subject_documents_have_their_own_versions(full_conference, rules, settings):
    conference = full_conference.conference
    a, b = full_conference.invitees[:2]
    doc_a = generate_document(conference, "invitation", rules, settings, NOW, pdf=False, invitee=a.id)
    doc_b = generate_document(conference, "invitation", rules, settings, NOW, pdf=False, invitee=b.id)
    assert (doc_a.subject_key, doc_a.version) == (f"invitee:{a.id}", 1)
    assert (doc_b.subject_key, doc_b.version) == (f"invitee:{b.id}", 1)
    text = "\n".join(p.text for p in docx.Document(settings.resolved_documents_dir / doc_b.path).paragraphs)
    assert b.name in text


def test_a_missing_subject_is_refused_before_anything_is_written(full_conference, rules, settings):
    with pytest.raises(DocumentSubjectError):
        generate_document(full_conference.conference, "reply_letter", rules, settings, NOW, pdf=False)
    with pytest.raises(DocumentSubjectError):
        generate_document(
            full_conference.conference, "invitation", rules, settings, NOW, pdf=False, invitee=999
        )
    assert not settings.resolved_documents_dir.exists() or not any(
        settings.resolved_documents_dir.rglob("*.docx")
    )


def test_without_libreoffice_there_is_no_pdf_and_no_error(full_conference, rules, settings, tmp_path):
    docx_path = tmp_path / "a.docx"
    docx_path.write_bytes(b"not converted")
    assert convert_to_pdf([docx_path], timeout=5, soffice="soffice-not-installed-here") == [None]
    assert not docx_path.with_suffix(".pdf").exists()


@pytest.mark.slow
def test_every_kind_converts_to_pdf_in_one_batch(full_conference, rules, settings, subjects):
    conference = full_conference.conference
    documents = [
        generate_document(conference, kind, rules, settings, NOW, pdf=False, **subjects.get(kind, {}))
        for kind in KINDS
    ]
    paths = [settings.resolved_documents_dir / d.path for d in documents]
    pdfs = convert_to_pdf(paths, timeout=settings.soffice_timeout)
    for pdf in pdfs:
        assert pdf is not None
        assert pdf.read_bytes().startswith(b"%PDF")
    # And one conversion through generate_document records the PDF on the row.
    document = generate_document(conference, "invitation", rules, settings, NOW, **subjects["invitation"])
    assert document.pdf_path.endswith(".pdf")
    assert (settings.resolved_documents_dir / document.pdf_path).exists()
