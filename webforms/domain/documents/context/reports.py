"""The builders of the reports with figures: the results report (Appendix I) and the postponement report."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from config.rules import Rules
from webforms.domain.documents.config import documents_config
from webforms.domain.documents.context.shared import (
    DocumentSubjectError,
    _common,
    _deadline,
    _department_name,
    _field_name,
)
from webforms.domain.intake.quorum import in_scope_recommendations, intake_figures
from webforms.domain.intake.screening import screening_reason_label
from webforms.domain.intake.window import intake_closes_at
from webforms.domain.plan import milestone_due
from webforms.domain.workdays import calendar_for
from webforms.formatting import vn_date_short, vn_number
from webforms.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Conference,
    ConferenceStatus,
    Recommendation,
    RecommendationStatus,
)

AT_CONFERENCE, ON_TIME, OVERDUE, PENDING = ("answered_at_conference", "answered_in_writing_on_time", "overdue",
                                            "pending")


def _outcome(rec: Recommendation, conference: Conference, rules: Rules, now: dt.datetime) -> tuple[str, dt.datetime]:
    """Where an in-scope recommendation stands for the report, and the deadline it is measured by."""
    deadline = _deadline(rec, conference, rules)
    if rec.status == RecommendationStatus.ANSWERED_AT_CONFERENCE:
        return AT_CONFERENCE, deadline
    if rec.status == RecommendationStatus.ANSWERED_IN_WRITING:
        late = rec.answered_at is not None and rec.answered_at > deadline
        return (OVERDUE if late else ON_TIME), deadline
    return (OVERDUE if now > deadline else PENDING), deadline


def _consulted(rec: Recommendation) -> str:
    """The units asked to coordinate (outside agencies included), in the order asked, each once: the one
    asked again after a revocation counts; "(chưa có ý kiến)" when its input never came."""
    kept: dict[int, Assignment] = {}
    for a in sorted(rec.assignments, key=lambda a: a.id):
        if a.role != AssignmentRole.COORDINATING:
            continue
        earlier = kept.get(a.department_id)
        if earlier is None or a.state != AssignmentState.REVOKED or earlier.state == AssignmentState.REVOKED:
            kept[a.department_id] = a
    given = (AssignmentState.SUBMITTED, AssignmentState.APPROVED)
    return "; ".join(a.department.name + ("" if a.state in given else " (chưa có ý kiến)") for a in kept.values())


def _result(rec: Recommendation, outcome: str, deadline: dt.datetime, letter) -> str:
    if outcome == AT_CONFERENCE:
        return "Đã trả lời tại Hội nghị"
    if rec.status == RecommendationStatus.ANSWERED_IN_WRITING:
        text = "Đã trả lời bằng văn bản"
        if letter is not None:
            text += f" số {letter.number_text} ngày {vn_date_short(letter.issued_at)}"
        return text + (" (quá hạn)" if outcome == OVERDUE else "")
    return f"{'Quá hạn' if outcome == OVERDUE else 'Đang xử lý'} (hạn {vn_date_short(deadline)})"


def _metrics(conference: Conference, rules: Rules, now: dt.datetime) -> tuple[dict, list, list, list]:
    """The results report's figures. Every count is `intake_figures`' (the quorum's); the answer rows
    split its in-scope set, so answered at the conference + in writing on time + overdue + pending =
    in scope, and each Appendix I group adds up to in scope too, as does the list of recommendations
    (one row each, with the agencies consulted and the result)."""
    from webforms.domain.documents.issuing import issued_reply_letters

    calendar = calendar_for(rules.holidays)
    figures = intake_figures(conference, rules, calendar)
    counted = in_scope_recommendations(conference, rules, calendar)
    outcomes = {rec.id: _outcome(rec, conference, rules, now) for rec in counted}
    tally = Counter(outcome for outcome, _deadline_at in outcomes.values())
    metrics = {
        "enterprises_registered": figures.registrations,
        "enterprises_attending": figures.attended,
        "recommendations_received": figures.received,
        "in_scope": figures.in_scope,
        "out_of_scope": figures.out_of_scope,
        "received_late": figures.received_late,
        **{name: tally[name] for name in (AT_CONFERENCE, ON_TIME, OVERDUE, PENDING)},
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
    letters = issued_reply_letters([rec.code for rec in counted])
    ordered = sorted(counted, key=lambda r: (field_order.get(r.field_code, len(field_order)), r.code))
    items = [
        {
            "no": str(no),
            "code": rec.code,
            "title": rec.title,
            "enterprise": rec.registration.enterprise.name,
            "field": _field_name(rules, rec.field_code),
            "lead_unit": _department_name(rec) or "Chưa phân công",
            "agencies": _consulted(rec),
            "result": _result(rec, *outcomes[rec.id], letters.get(rec.code)),
        }
        for no, rec in enumerate(ordered, start=1)
    ]
    return metrics, fields, departments, items


def _appendix(cfg: dict, metrics: dict, by_field: list, by_department: list, items: list) -> dict:
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
    return {"title": spec["title"], "headings": [column["title"] for column in columns], "rows": rows,
            "recommendations": items}


def results_report_context(
    conference: Conference, rules: Rules, now: dt.datetime, *, number=None, **_ignored
) -> dict:
    cfg = documents_config(rules)
    metrics, by_field, by_department, items = _metrics(conference, rules, now)
    return {
        **_common("results_report", conference, rules, now, number),
        "addressees": list(cfg["addressees"]["results_report"]),
        "metrics": {key: vn_number(value) for key, value in metrics.items()},
        "appendix": _appendix(cfg, metrics, by_field, by_department, items),
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
