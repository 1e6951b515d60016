"""config/documents.yaml, validated once with every rules file (config/schema.py)."""

from __future__ import annotations

from pathlib import Path

from config.rules import Rules
from config.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "doc_templates"

# The document kinds; each has doc_templates/<kind>.docx and a context builder.
KINDS = (
    "announcement",
    "invitation",
    "consolidated_table",
    "conclusion_notice",
    "results_report",
    "postponement_report",
    "conference_notice",
    "reply_letter",
    "budget_estimate",
)


def template_path(kind: str) -> Path:
    if kind not in KINDS:
        raise KeyError(kind)
    return TEMPLATES_DIR / f"{kind}.docx"


def documents_config(rules: Rules) -> dict:
    """config/documents.yaml as the rules schema validated it at start (config/schema.py)."""
    return rules.checked.documents.model_dump(exclude_unset=True)  # the keys as the file has them
