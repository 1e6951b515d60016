"""The files of rendered and issued documents, sent to a browser: shared by the staff pages and the public
folder (which serves only what `domain.public_folder` lets it find)."""

from __future__ import annotations

from flask import abort, send_file
from werkzeug.security import safe_join

from webforms.domain import admin_queries
from webforms.models import Document
from webforms.services import services


def document_file(document: Document):
    """The stored file of a rendered document, or 404 (never a path outside DOCUMENTS_DIR)."""
    if document.status != "done" or not document.path:
        abort(404)
    path = safe_join(str(services().settings.resolved_documents_dir), document.path)
    if path is None:
        abort(404)
    try:
        return send_file(path, as_attachment=True, download_name=admin_queries.download_name(document))
    except FileNotFoundError:
        abort(404)


def signed_file(document: Document):
    """The issued, signed PDF of `document`, or 404."""
    if not document.signed_path:
        abort(404)
    path = safe_join(str(services().settings.resolved_documents_dir), document.signed_path)
    if path is None:
        abort(404)
    try:
        return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=issued_name(document))
    except FileNotFoundError:
        abort(404)


def issued_name(document: Document) -> str:
    """"Tra-loi-kien-nghi-KN.20261202.0001-1.pdf" for a reply letter, "TB-BQL-so-01-2027.pdf" otherwise."""
    if document.kind == "reply_letter" and document.subject_key.startswith("rec:"):
        return f"Tra-loi-kien-nghi-{document.subject_key.removeprefix('rec:')}.pdf"
    from webforms.domain.documents.generate import _safe_name

    year = document.issued_on.year if document.issued_on else ""
    return f"{_safe_name(document.symbol.replace('Đ', 'D'))}-so-{document.number:02d}-{year}.pdf"
