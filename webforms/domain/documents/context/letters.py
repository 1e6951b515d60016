"""The builders of the letters and notices: announcement, invitation, tables, notices, reply, budget."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from config.rules import Rules
from webforms.domain.documents.config import documents_config
from webforms.domain.documents.context.shared import (
    DocumentSubjectError,
    _common,
    _department_name,
    _field_name,
    _owner,
    _recommendations,
)
from webforms.domain.documents.render import QRCode
from webforms.domain.documents.signers import drafting_unit
from webforms.domain.intake.quorum import intake_figures
from webforms.domain.workdays import calendar_for
from webforms.extensions import db
from webforms.formatting import vn_date_short, vn_money, vn_number, vn_time_and_day
from webforms.models import (
    AnswerMode,
    Conference,
    Invitee,
    InviteeCategory,
    Recommendation,
    RecommendationStatus,
    Registration,
)


def announcement_context(
    conference: Conference, rules: Rules, now: dt.datetime, *, base_url: str = "", number=None, **_ignored
) -> dict:
    cfg = documents_config(rules)
    link = base_url.rstrip("/") + cfg["links"]["conference_page"].format(slug=conference.slug)
    scope = rules.plan.scope
    return {
        **_common("announcement", conference, rules, now, number),
        "announcement_text": conference.announcement_text,
        "scope": {"applies_to": scope.applies_to, "covers": scope.covers, "excludes": scope.excludes},
        "quorum": {
            "enterprises": vn_number(rules.plan.min_enterprises),
            "recommendations": vn_number(rules.plan.min_recommendations),
        },
        "link": link,
        "qr_code": QRCode(link),
    }


def invitation_context(
    conference: Conference,
    rules: Rules,
    now: dt.datetime,
    *,
    invitee: int | None = None,
    registration: int | None = None,
    number=None,
    base_url: str = "",
    **_ignored,
) -> dict:
    from webforms.domain.checkin import checkin_path

    if invitee is not None:
        row = db.session.get(Invitee, int(invitee))
        if row is None or row.conference_id != conference.id:
            raise DocumentSubjectError(f"no invitee {invitee} for conference {conference.slug}")
        name, position, organisation, category = row.name, row.position, row.organisation, row.category
        path = checkin_path(conference, invitee=row)
    elif registration is not None:
        reg = db.session.get(Registration, int(registration))
        if reg is None or reg.conference_id != conference.id:
            raise DocumentSubjectError(f"no registration {registration} for conference {conference.slug}")
        name, position, organisation = reg.contact_name, reg.contact_position, reg.enterprise.name
        category = InviteeCategory.ENTERPRISE
        path = checkin_path(conference, registration=reg)
    else:
        raise DocumentSubjectError("an invitation needs an invitee or a registration")
    from webforms.domain.invitations import is_official, salutation

    return {
        **_common("invitation", conference, rules, now, number),
        "invitee": {"name": name, "position": position, "organisation": organisation,
                    "line": salutation(category, name, position, organisation), "official": is_official(category)},
        "chair": documents_config(rules)["chair"],
        # Scanned by staff at the door: opens this invitee's row of the check-in page (login required).
        "checkin_qr": QRCode(base_url.rstrip("/") + path),
    }


def consolidated_table_context(
    conference: Conference, rules: Rules, now: dt.datetime, *, number=None, **_ignored
) -> dict:
    labels = documents_config(rules)["status_labels"]
    rows = []
    for no, rec in enumerate(_recommendations(conference), start=1):
        owner = _owner(rec)
        rows.append(
            {
                "no": str(no),
                "code": rec.code,
                "enterprise": rec.registration.enterprise.name,
                "title": rec.title,
                "content": rec.content,
                "field": _field_name(rules, rec.field_code),
                "department": _department_name(rec),
                "status": labels.get(rec.status, rec.status),
                "draft_answer": rec.answer or (owner.draft_answer if owner is not None else ""),
            }
        )
    figures = intake_figures(conference, rules, calendar_for(rules.holidays))
    return {
        **_common("consolidated_table", conference, rules, now, number),
        "rows": rows,
        "total": vn_number(len(rows)),
        # The quorum's figures (intake.intake_figures), so the leaders read the same numbers everywhere.
        "counts": {
            "received": vn_number(figures.received),
            "in_scope": vn_number(figures.in_scope),
            "out_of_scope": vn_number(figures.out_of_scope),
            "received_late": vn_number(figures.received_late),
        },
    }


def conclusion_notice_context(
    conference: Conference, rules: Rules, now: dt.datetime, *, number=None, **_ignored
) -> dict:
    """Built from the chair's conclusions (documents/conclusion.py), not from the answers."""
    from webforms.domain.documents.conclusion import conclusion_notice_data

    return {**_common("conclusion_notice", conference, rules, now, number),
            **conclusion_notice_data(conference, rules)}


def conference_notice_context(
    conference: Conference,
    rules: Rules,
    now: dt.datetime,
    *,
    change: str | None = None,
    old_starts_at: str | None = None,
    reason: str = "",
    announced: bool | None = None,
    number=None,
    **_ignored,
) -> dict:
    """Thông báo hoãn / hủy tổ chức Hội nghị: `change` is postponed (the conference already carries
    its new date; `old_starts_at` ISO is the date it replaces) or cancelled; `reason` is the staff's;
    `announced`: whether it had been announced before the change (default: as it stands now)."""
    if change not in ("postponed", "cancelled"):
        raise DocumentSubjectError("a conference notice needs change=postponed or change=cancelled")
    old = dt.datetime.fromisoformat(old_starts_at) if old_starts_at else None
    if change == "postponed" and old is None:
        raise DocumentSubjectError("a postponement notice needs the date it replaces")
    return {
        **_common("conference_notice", conference, rules, now, number),
        "change": change,
        "announced": conference.announced_at is not None if announced is None else bool(announced),
        "previous": {
            "time_and_day": vn_time_and_day(old) if old else "",
            "date_short": vn_date_short(old) if old else "",
        },
        "reason": reason,
    }


def reply_letter_context(
    conference: Conference,
    rules: Rules,
    now: dt.datetime,
    *,
    recommendation: str | None = None,
    number=None,
    **_ignored,
) -> dict:
    if not recommendation:
        raise DocumentSubjectError("a reply letter needs a recommendation code")
    rec = db.session.scalar(select(Recommendation).where(Recommendation.code == recommendation))
    if rec is None or rec.conference_id != conference.id:
        raise DocumentSubjectError(f"no recommendation {recommendation} for conference {conference.slug}")
    enterprise = rec.registration.enterprise
    owner = _owner(rec)
    at_conference = rec.status == RecommendationStatus.ANSWERED_AT_CONFERENCE or (
        owner is not None and owner.answer_mode == AnswerMode.AT_CONFERENCE and now >= conference.starts_at)
    unit = drafting_unit(rules, owner.department.code if owner is not None else None)
    return {
        **_common("reply_letter", conference, rules, now, number, unit=unit, field_code=rec.field_code),
        # Answered at the conference: the letter confirms in writing what was said there.
        "at_conference": at_conference,
        "enterprise": {
            "name": enterprise.name,
            "address": enterprise.address,
            "tax_code": enterprise.tax_code,
        },
        "recommendation": {
            "code": rec.code,
            "title": rec.title,
            "content": rec.content,
            "received": vn_date_short(rec.received_at),
            "answer": rec.answer or (owner.draft_answer if owner is not None else ""),
            "department": _department_name(rec),
        },
    }


def budget_estimate_context(
    conference: Conference, rules: Rules, now: dt.datetime, *, number=None, **_ignored
) -> dict:
    spec = documents_config(rules)["budget"]
    items, total = [], 0
    for no, item in enumerate(spec["items"], start=1):
        amount = int(item["quantity"]) * int(item["unit_price"])
        total += amount
        items.append(
            {
                "no": str(no),
                "name": item["name"],
                "unit": item["unit"],
                "quantity": vn_number(item["quantity"]),
                "unit_price": vn_number(item["unit_price"]),
                "amount": vn_number(amount),
            }
        )
    return {
        **_common("budget_estimate", conference, rules, now, number),
        "budget": {
            "lines": items,
            "total": vn_number(total),
            "total_text": vn_money(total),
            "source": spec["source"],
        },
    }
