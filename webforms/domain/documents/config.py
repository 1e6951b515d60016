"""config/documents.yaml, read once per rules folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from config.rules import Rules, RulesError, read_yaml
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


@cache
def _load(path: Path) -> dict:
    data = read_yaml(path)
    symbols = data.get("numbering", {}).get("symbols", {})
    recipients = data.get("recipients", {})
    for kind in KINDS:
        if kind not in symbols:
            raise RulesError(f"{path}: numbering.symbols.{kind} is required")
        if kind not in recipients:
            raise RulesError(f"{path}: recipients.{kind} is required")
    return data


def documents_config(rules: Rules) -> dict:
    return _load(Path(rules.source_dir) / "documents.yaml")
