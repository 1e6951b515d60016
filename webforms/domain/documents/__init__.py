"""The plan's paperwork: context builders, safe docxtpl rendering, versioned Document rows."""

from webforms.domain.documents.config import KINDS, TEMPLATES_DIR, documents_config, template_path
from webforms.domain.documents.context import BUILDERS, build_context
from webforms.domain.documents.context.shared import DocumentSubjectError
from webforms.domain.documents.generate import (
    PreparedDocument,
    RenderedDocument,
    convert_to_pdf,
    generate_document,
    list_documents,
    prepare_document,
    record_document,
    render_outside_transaction,
    render_prepared,
    subject_key_for,
)
from webforms.domain.documents.render import QRCode, render_docx, sanitize, sanitize_text, template_variables

__all__ = [
    "BUILDERS",
    "KINDS",
    "TEMPLATES_DIR",
    "DocumentSubjectError",
    "PreparedDocument",
    "QRCode",
    "RenderedDocument",
    "build_context",
    "convert_to_pdf",
    "documents_config",
    "generate_document",
    "list_documents",
    "prepare_document",
    "record_document",
    "render_docx",
    "render_outside_transaction",
    "render_prepared",
    "sanitize",
    "sanitize_text",
    "subject_key_for",
    "template_path",
    "template_variables",
]
