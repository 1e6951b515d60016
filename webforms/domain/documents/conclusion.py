"""The conclusion notice's data: the chair's conclusions (webforms.domain.conclusions) and the
enterprises checked in. Enterprise names appear only with the registration's public consent, the
rule of the public folder."""

from __future__ import annotations

from config.rules import Rules
from webforms.domain.documents.config import documents_config
from webforms.formatting import vn_number
from webforms.models import Conference, Scope


def _lines(text: str) -> str:
    return ", ".join(line.strip().rstrip(",;.") for line in text.splitlines() if line.strip())


def _unit_name(rules: Rules, code: str) -> str:
    try:
        return rules.department(code).name
    except KeyError:
        return code


def _is_external(rules: Rules, code: str) -> bool:
    try:
        return not rules.department(code).is_internal
    except KeyError:
        return False


def signer_for(kind: str, rules: Rules) -> dict | None:
    """The signature block documents.yaml `signers:` gives this kind, if any."""
    entry = (documents_config(rules).get("signers") or {}).get(kind)
    if not entry:
        return None
    return {"authority": entry.get("authority", ""), "title": entry["title"], "name": entry.get("name", "")}


def conclusion_notice_data(conference: Conference, rules: Rules) -> dict:
    from webforms.domain.conclusions import conclusion_for
    from webforms.domain.documents.context.shared import DocumentSubjectError
    from webforms.domain.intake.quorum import attended_count
    from webforms.formatting import vn_date_short

    conclusion = conclusion_for(conference)
    if conclusion is None:
        raise DocumentSubjectError(f"the chair's conclusions of conference {conference.slug} are not recorded")
    attending = attended_count(conference)  # the one reading of attendance (check-in)
    order = {}
    items = []
    for item in conclusion.items:
        rec = item.recommendation
        if rec.scope == Scope.OUT_OF_SCOPE:
            continue
        order[item.id] = (rec.field_code, rec.received_at, rec.id)
        registration = rec.registration
        answered = rec.status == "answered_at_conference"
        items.append((order[item.id], {
            "enterprise": registration.enterprise.name if registration.public_consent else "",
            "code": "" if registration.public_consent else rec.code,  # printed only in place of the name
            "title": rec.title,
            "answered": answered,
            "external": _is_external(rules, item.lead_unit),
            "lead": _unit_name(rules, item.lead_unit),
            "coordinating": ", ".join(_unit_name(rules, c) for c in item.coordinating_units or []),
            "task": item.task.replace("\n", " "),
            "due": vn_date_short(item.due_on) if item.due_on and not answered else "",
        }))
    items.sort(key=lambda pair: pair[0])
    data = {
        "chair": {"name": conclusion.chair_name, "title": conclusion.chair_title},
        "attending": {"leaders": _lines(conclusion.attending_leaders),
                      "agencies": _lines(conclusion.attending_agencies),
                      "enterprises": vn_number(attending or 0)},
        "general": conclusion.general,
        "closing": conclusion.closing,
        "items": [{"no": str(no), **item} for no, (_, item) in enumerate(items, start=1)],
    }
    signer = signer_for("conclusion_notice", rules)
    if signer is not None:
        data["signer"] = signer
    return data
