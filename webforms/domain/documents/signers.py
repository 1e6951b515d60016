"""Who signs a document and which unit drafted it, from the rules (config/documents.yaml `signers:`,
departments.yaml `symbol:`), never from a template.

- A kind listed under `signers:` is signed as listed (the conclusion notice by the Chief of Office
  "TL. TRƯỞNG BAN", the consolidated table by the consolidating unit's head, …).
- A kind not listed is signed by the conference's signer: the one set on the conference in the back
  office, else plan.yaml's `agency.signer`.
- A reply letter is signed by `signers.reply_letter.by_field[<field>]`, else its `default`, else as a kind
  not listed; its symbol and archive line name the drafting unit ("/BQL-QHXD", "Lưu: VP, QHXD").
"""

from __future__ import annotations

from config.rules import Department, Rules
from webforms.models import Conference

UNIT = "{unit}"  # in documents.yaml: the drafting unit's symbol (reply letters only)


def conference_signer(conference: Conference, rules: Rules) -> dict:
    signer = rules.plan.agency.signer
    return {
        "authority": conference.signer_authority or signer.authority,
        "title": conference.signer_title or signer.title,
        "name": conference.signer_name or signer.name,
    }


def signer_for(kind: str, conference: Conference, rules: Rules, *, field_code: str = "") -> dict:
    signers = rules.checked.documents.signers if rules.checked is not None else None
    entry = None
    if signers is not None:
        entry = getattr(signers, kind, None)
        if kind == "reply_letter" and entry is not None:
            entry = entry.by_field.get(field_code) or entry.default
    if entry is None:
        return conference_signer(conference, rules)
    return {"authority": entry.authority, "title": entry.title, "name": entry.name}


def drafting_unit(rules: Rules, department_code: str | None) -> Department:
    """The internal unit that drafted the answer; the consolidating unit when none owns it."""
    if department_code:
        try:
            department = rules.department(department_code)
        except KeyError:
            department = None
        if department is not None and department.is_internal:
            return department
    return rules.consolidating_department


def with_unit(text: str, unit: Department | None) -> str:
    return text.replace(UNIT, unit.symbol) if unit is not None else text
