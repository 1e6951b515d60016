"""What the context builders share: the letterhead, number and date line, the deadlines, names."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from config.rules import Department as RulesDepartment
from config.rules import Rules
from webforms.domain.documents.config import documents_config
from webforms.domain.documents.signers import signer_for, with_unit
from webforms.domain.plan import due_after_conference, milestone_due
from webforms.domain.workdays import calendar_for
from webforms.extensions import db
from webforms.formatting import tentative, vn_date_long, vn_date_short, vn_time_and_day
from webforms.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Conference,
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
