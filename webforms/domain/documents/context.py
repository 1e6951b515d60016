"""One context builder per document kind: the only place document data is read from the database.

Every builder returns plain, JSON-safe data (strings, numbers, lists, dicts; a QR code is a `QRCode`
string) so the same dict is both what the template receives and the snapshot stored with the
Document row. The keys each builder returns are exactly the variables its template reads
(checked by tests/documents/test_templates.py against doc_templates/README.md).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select

from config.rules import Department as RulesDepartment
from config.rules import Rules
from webforms.domain.documents.config import documents_config
from webforms.domain.documents.render import QRCode
from webforms.domain.documents.signers import drafting_unit, signer_for, with_unit
from webforms.domain.intake.quorum import in_scope_recommendations, intake_figures
from webforms.domain.intake.screening import screening_reason_label
from webforms.domain.intake.window import intake_closes_at
from webforms.domain.plan import due_after_conference, milestone_due
from webforms.domain.workdays import calendar_for
from webforms.extensions import db
from webforms.formatting import tentative, vn_date_long, vn_date_short, vn_money, vn_number, vn_time_and_day
from webforms.models import (
    AnswerMode,
    Assignment,
    AssignmentRole,
    AssignmentState,
    Conference,
    ConferenceStatus,
    Invitee,
    InviteeCategory,
    Recommendation,
    RecommendationStatus,
    Registration,
)


class DocumentSubjectError(ValueError):
    """The subject a document is about (invitee, recommendation) is missing or unknown."""


# -- shared parts --------------------------------------------------------------------------------


def _common(
    kind: str, conference: Conference, rules: Rules, now: dt.datetime, number: str | int | None,
    *, unit: RulesDepartment | None = None, field_code: str = "",
) -> dict:
    cfg = documents_config(rules)
    agency = rules.plan.agency
    numbering = cfg["numbering"]
    if numbering.get("blank_number", True) or number in (None, ""):
        shown = numbering.get("blank", "      ")
    else:
        # Numbers below 10 take a leading 0 (Decree 30/2020, Appendix I).
        shown = f"{int(number):02d}" if str(number).isdigit() else str(number)
    calendar = calendar_for(rules.holidays)
    date_line = vn_date_long(now, place=agency.place)
    if shown == numbering.get("blank", "      ") and numbering.get("blank_date", True):
        # A draft: the văn thư writes the day and month with the number, at issue (issuing.py prints both).
        blank = numbering.get("blank", "      ")
        date_line = f"{agency.place}, ngày {blank} tháng {blank} năm {now.astimezone(rules.plan.timezone).year}"
    return {
        "agency": {"superior": agency.superior, "name": agency.name, "short_name": agency.short_name},
        "doc_number": f"{shown}/{with_unit(numbering['symbols'][kind], unit)}",
        "date_line": date_line,
        "signer": signer_for(kind, conference, rules, field_code=field_code),
        "recipients": [with_unit(line, unit) for line in cfg["recipients"][kind]],
        "conference": {
            "title": conference.title,
            "host": conference.host_agency,
            "venue": conference.venue,
            "time_and_day": vn_time_and_day(conference.starts_at),
            "date_long": vn_date_long(conference.starts_at),
            "date_short": vn_date_short(conference.starts_at),
            "year": str(conference.starts_at.astimezone(rules.plan.timezone).year),
            "intake_deadline": _milestone_text(conference, "intake_closes", rules, calendar),
            "written_deadline": _milestone_text(conference, "written_reply", rules, calendar),
            "coordinated_deadline": _milestone_text(conference, "coordinated_reply", rules, calendar),
        },
    }


def _milestone_text(conference: Conference, name: str, rules: Rules, calendar) -> str:
    milestone = milestone_due(conference.starts_at, name, rules.plan, calendar)
    due = milestone.due
    # " (dự kiến)" when computed through a year whose days off are not confirmed (holidays.yaml).
    return f"{due:%H} giờ {due:%M}, {vn_date_long(due)}{tentative(milestone)}"


def _recommendations(conference: Conference) -> list[Recommendation]:
    query = (
        select(Recommendation)
        .join(Registration, Recommendation.registration_id == Registration.id)
        .where(Recommendation.conference_id == conference.id)
        .order_by(Recommendation.field_code, Recommendation.received_at, Recommendation.id)
    )
    return list(db.session.scalars(query))


def _owner(recommendation: Recommendation) -> Assignment | None:
    """The assignment that owns the answer now: the latest owner not returned or revoked."""
    live = [
        a
        for a in recommendation.assignments
        if a.role == AssignmentRole.OWNER
        and a.state not in (AssignmentState.RETURNED, AssignmentState.REVOKED)
    ]
    return live[-1] if live else None


def _deadline(recommendation: Recommendation, conference: Conference, rules: Rules) -> dt.datetime:
    owner = _owner(recommendation)
    if owner is not None:
        return owner.due_at
    name = "coordinated_reply" if recommendation.needs_coordination else "written_reply"
    return due_after_conference(
        conference.starts_at, rules.plan.offset(name), rules.plan, calendar_for(rules.holidays)
    )


def _department_name(recommendation: Recommendation) -> str:
    owner = _owner(recommendation)
    return owner.department.name if owner is not None else ""


def _field_name(rules: Rules, code: str) -> str:
    field = rules.field(code)
    return field.name if field is not None else code


def _is_answered(recommendation: Recommendation) -> bool:
    return recommendation.status in (
        RecommendationStatus.ANSWERED_AT_CONFERENCE,
        RecommendationStatus.ANSWERED_IN_WRITING,
    )


# -- one builder per kind ------------------------------------------------------------------------


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


def _metrics(conference: Conference, rules: Rules, now: dt.datetime) -> tuple[dict, list, list]:
    """The results report's figures. Every count is `intake_figures`' (the quorum's); the answer rows
    split its in-scope set, so answered at the conference + in writing on time + overdue + pending =
    in scope, and each Appendix I group adds up to in scope too."""
    calendar = calendar_for(rules.holidays)
    figures = intake_figures(conference, rules, calendar)
    counted = in_scope_recommendations(conference, rules, calendar)
    at_conference = on_time = overdue = pending = 0
    for rec in counted:
        if rec.status == RecommendationStatus.ANSWERED_AT_CONFERENCE:
            at_conference += 1
            continue
        deadline = _deadline(rec, conference, rules)
        if rec.status == RecommendationStatus.ANSWERED_IN_WRITING:
            late = rec.answered_at is not None and rec.answered_at > deadline
            overdue += late
            on_time += not late
        elif now > deadline:
            overdue += 1
        else:
            pending += 1
    metrics = {
        "enterprises_registered": figures.registrations,
        "enterprises_attending": figures.attended,
        "recommendations_received": figures.received,
        "in_scope": figures.in_scope,
        "out_of_scope": figures.out_of_scope,
        "received_late": figures.received_late,
        "answered_at_conference": at_conference,
        "answered_in_writing_on_time": on_time,
        "overdue": overdue,
        "pending": pending,
    }
    # In the order of config/fields.yaml and config/departments.yaml, not by code point.
    field_order = {f.code: i for i, f in enumerate(rules.fields)}
    by_field = Counter(rec.field_code for rec in counted)
    fields = [(_field_name(rules, code), n) for code, n in
              sorted(by_field.items(), key=lambda kv: (field_order.get(kv[0], len(field_order)), kv[0]))]
    department_order = {d.name: i for i, d in enumerate(rules.departments)}
    by_department = Counter(_department_name(r) or "Chưa phân công" for r in counted)
    departments = sorted(by_department.items(),
                         key=lambda kv: (department_order.get(kv[0], len(department_order)), kv[0]))
    return metrics, fields, departments


def _appendix(cfg: dict, metrics: dict, by_field: list, by_department: list) -> dict:
    spec = cfg["appendix_i"]
    columns = spec["columns"]
    groups = {"by_field": by_field, "by_department": by_department}
    rows = []

    def row(no: str, label: str, value: str, unit: str) -> dict:
        values = {"index": no, "label": label, "value": value, "unit": unit}
        return {"cells": [values.get(column["cell"], "") for column in columns]}

    for no, item in enumerate(spec["rows"], start=1):
        if "group" in item:
            entries = groups[item["group"]]
            rows.append(row(str(no), item["label"], vn_number(sum(n for _, n in entries)), "kiến nghị"))
            rows.extend(row("", f"- {name}", vn_number(n), "kiến nghị") for name, n in entries)
        else:
            rows.append(row(str(no), item["label"], vn_number(metrics[item["metric"]]), item.get("unit", "")))
    return {"title": spec["title"], "headings": [column["title"] for column in columns], "rows": rows}


def results_report_context(
    conference: Conference, rules: Rules, now: dt.datetime, *, number=None, **_ignored
) -> dict:
    cfg = documents_config(rules)
    metrics, by_field, by_department = _metrics(conference, rules, now)
    return {
        **_common("results_report", conference, rules, now, number),
        "addressees": list(cfg["addressees"]["results_report"]),
        "metrics": {key: vn_number(value) for key, value in metrics.items()},
        "appendix": _appendix(cfg, metrics, by_field, by_department),
    }


def _count(n: int) -> str:
    """A count in an administrative sentence: below 10 with a leading 0 ("06 kiến nghị")."""
    return f"{n:02d}" if 0 <= n < 10 else vn_number(n)


def _out_of_scope_reasons(figures) -> str:
    """"không liên quan đến giải quyết thủ tục hành chính" or, for several reasons, each with its count."""
    from flask_babel import force_locale

    with force_locale("vi"):
        labels = [(screening_reason_label(code) if code else "", n) for code, n in figures.out_of_scope_reasons]
    labels = [(label[:1].lower() + label[1:], n) for label, n in labels if label]
    if len(labels) == 1 and labels[0][1] == figures.out_of_scope:
        return labels[0][0]
    return "; ".join(f"{_count(n)} kiến nghị {label}" for label, n in labels)


DECISIONS = ("postpone", "stop")


def postponement_report_context(
    conference: Conference,
    rules: Rules,
    now: dt.datetime,
    *,
    decision: str | None = None,
    proposed_date: str | dt.date | None = None,
    number=None,
    **_ignored,
) -> dict:
    """The report proposing to postpone or stop (plan III.1): the quorum's own figures, sentences that
    follow the facts (announced or not, quorum met or not) and the decision. `decision` is postpone
    (with `proposed_date`, ISO) or stop; a cancelled conference is stopped; without one the sentence is a
    marked blank for the Office to complete before signing."""
    cfg = documents_config(rules)
    calendar = calendar_for(rules.holidays)
    figures = intake_figures(conference, rules, calendar)
    if decision is None and conference.status == ConferenceStatus.CANCELLED:
        decision = "stop"
    if decision is not None and decision not in DECISIONS:
        raise DocumentSubjectError(f"decision must be one of {', '.join(DECISIONS)}")
    if isinstance(proposed_date, str) and proposed_date:
        try:
            proposed_date = dt.date.fromisoformat(proposed_date)
        except ValueError:
            raise DocumentSubjectError(f"proposed_date {proposed_date!r} is not YYYY-MM-DD") from None
    if decision == "postpone" and not proposed_date:
        raise DocumentSubjectError("a postponement needs the proposed date")
    closes = intake_closes_at(conference, rules, calendar)
    return {
        **_common("postponement_report", conference, rules, now, number),
        "addressees": list(cfg["addressees"]["postponement_report"]),
        "announced": {
            "yes": conference.announced_at is not None,
            "date": vn_date_short(conference.announced_at) if conference.announced_at else "",
        },
        "intake_date": vn_date_short(closes),
        "counts": {
            "enterprises": _count(figures.registrations),
            "received": _count(figures.received),
            "out_of_scope": _count(figures.out_of_scope),
            "out_of_scope_reasons": _out_of_scope_reasons(figures),
            "in_scope": _count(figures.in_scope),
        },
        "quorum": {
            "enterprises": _count(rules.plan.min_enterprises),
            "recommendations": _count(rules.plan.min_recommendations),
            "met": figures.registrations >= rules.plan.min_enterprises
            and figures.in_scope >= rules.plan.min_recommendations,
        },
        "decision": {
            "kind": decision or "",
            "proposed_date": vn_date_short(proposed_date) if decision == "postpone" else "",
        },
        "answers_by": vn_date_short(
            milestone_due(conference.starts_at, "written_reply", rules.plan, calendar).due
        ),
    }


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
        # Answered at the conference: the letter confirms in writing what was said there (fidelity 3.7).
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


BUILDERS = {
    "announcement": announcement_context,
    "invitation": invitation_context,
    "consolidated_table": consolidated_table_context,
    "conclusion_notice": conclusion_notice_context,
    "results_report": results_report_context,
    "postponement_report": postponement_report_context,
    "conference_notice": conference_notice_context,
    "reply_letter": reply_letter_context,
    "budget_estimate": budget_estimate_context,
}


def build_context(kind: str, conference: Conference, rules: Rules, now: dt.datetime, **subject) -> dict:
    """The data for one document of `kind`. `subject` names what it is about (invitee=…,
    registration=…, recommendation=CODE), plus base_url for links and number for the register."""
    try:
        builder = BUILDERS[kind]
    except KeyError:
        raise KeyError(f"unknown document kind '{kind}'") from None
    if kind not in ("announcement", "invitation"):
        subject.pop("base_url", None)
    return builder(conference, rules, now, **subject)
