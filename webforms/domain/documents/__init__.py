"""The plan's paperwork: context builders, safe docxtpl rendering, versioned Document rows."""

from webforms.domain.documents.config import KINDS, TEMPLATES_DIR, documents_config, template_path
from webforms.domain.documents.context import BUILDERS, DocumentSubjectError, build_context
from webforms.domain.documents.generate import (
    convert_to_pdf,
    generate_document,
    list_documents,
    subject_key_for,
)
from webforms.domain.documents.render import QRCode, render_docx, sanitize, sanitize_text, template_variables

__all__ = [
    "BUILDERS",
    "KINDS",
    "TEMPLATES_DIR",
    "DocumentSubjectError",
    "QRCode",
    "build_context",
    "convert_to_pdf",
    "documents_config",
    "generate_document",
    "list_documents",
    "render_docx",
    "sanitize",
    "sanitize_text",
    "subject_key_for",
    "template_path",
    "template_variables",
]
