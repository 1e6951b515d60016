"""The chair's conclusions at the conference, recorded by staff after it starts; the conclusion notice
(THÔNG BÁO Kết luận của đồng chí …) is built from them, never from the answers table.

One Conclusion per conference: the chair, who attended, a general assessment, then one item per
in-scope recommendation saying which unit leads (an outside agency is "asked", a unit of the agency
is "assigned"), with whom, what it does and by when it answers the enterprise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from config.rules import Rules
from webforms.domain.audit import Actor, record
from webforms.domain.text import clean_text
from webforms.extensions import db
from webforms.models import (
    AssignmentRole,
    AssignmentState,
    Conclusion,
    ConclusionItem,
    Conference,
    ConferenceStatus,
    Recommendation,
    RecommendationStatus,
)

# Statuses in which there is no conference to conclude.
NOT_HELD = (ConferenceStatus.DRAFT, ConferenceStatus.POSTPONEMENT_PROPOSED, ConferenceStatus.CANCELLED)


class ConclusionError(ValueError):
    """Refused input; `errors` maps a form field name ("chair_name", "items-0-due_on") to a Vietnamese
    message shown beside that field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class ItemInput:
    recommendation_id: int
    lead_unit: str
    coordinating_units: list[str] = field(default_factory=list)
    task: str = ""
    due_on: dt.date | None = None


@dataclass
class ConclusionInput:
    chair_name: str
    chair_title: str
    general: str
    attending_leaders: str = ""
    attending_agencies: str = ""
    closing: str = ""
    items: list[ItemInput] = field(default_factory=list)


@dataclass(frozen=True)
class Subject:
    """A recommendation the conclusions speak about, with what the form suggests for it."""

    recommendation: Recommendation
    answered_here: bool
    lead_unit: str
    coordinating_units: tuple[str, ...]
    due_on: dt.date | None


def conclusion_for(conference: Conference) -> Conclusion | None:
    return db.session.scalar(select(Conclusion).where(Conclusion.conference_id == conference.id))


def subjects(conference: Conference, rules: Rules) -> list[Subject]:
    """The in-scope recommendations (intake.in_scope_recommendations, the one in-scope set; duplicates go
    with their original), in its order, with the owner unit and deadline of their assignments."""
    from webforms.domain.documents.context.shared import _deadline  # the documents' one deadline rule
    from webforms.domain.intake.quorum import in_scope_recommendations
    from webforms.domain.workdays import calendar_for

    in_scope = [rec for rec in in_scope_recommendations(conference, rules, calendar_for(rules.holidays))
                if rec.duplicate_of_id is None and rec.status != RecommendationStatus.SCREENED_OUT]
    result = []
    tz = rules.plan.timezone
    for rec in in_scope:
        live = [a for a in rec.assignments if a.state not in (AssignmentState.RETURNED, AssignmentState.REVOKED)]
        owners = [a for a in live if a.role == AssignmentRole.OWNER]
        lead = owners[-1].department.code if owners else rules.consolidating_department.code
        coordinating = tuple(dict.fromkeys(a.department.code for a in live if a.role != AssignmentRole.OWNER))
        answered = rec.status == RecommendationStatus.ANSWERED_AT_CONFERENCE
        due = None if answered else _deadline(rec, conference, rules).astimezone(tz).date()
        result.append(Subject(rec, answered, lead, coordinating, due))
    return result


def ensure_can_conclude(conference: Conference, *, now: dt.datetime) -> None:
    if conference.status in NOT_HELD or now < conference.starts_at:
        raise ConclusionError({"": _("Chỉ nhập kết luận của chủ trì sau khi Hội nghị bắt đầu.")})


def _validate(conference: Conference, data: ConclusionInput, rules: Rules, by_id: dict[int, Subject]) -> dict:
    errors: dict[str, str] = {}
    for name, message in (("chair_name", _("Vui lòng nhập họ tên đồng chí chủ trì.")),
                          ("chair_title", _("Vui lòng nhập chức vụ của đồng chí chủ trì.")),
                          ("general", _("Vui lòng nhập phần đánh giá chung."))):
        if not getattr(data, name):
            errors[name] = message
    codes = {d.code for d in rules.departments}
    day = conference.starts_at.astimezone(rules.plan.timezone).date()
    for i, item in enumerate(data.items):
        subject = by_id.get(item.recommendation_id)
        prefix = f"items-{i}-"
        if subject is None:
            errors[prefix + "lead_unit"] = _("Kiến nghị này không thuộc phạm vi Hội nghị.")
            continue
        if item.lead_unit not in codes:
            errors[prefix + "lead_unit"] = _("Vui lòng chọn đơn vị chủ trì.")
        unknown = [c for c in item.coordinating_units if c not in codes or c == item.lead_unit]
        if unknown:
            errors[prefix + "coordinating_units"] = _("Đơn vị phối hợp phải khác đơn vị chủ trì.")
        if item.due_on is None and not subject.answered_here:
            errors[prefix + "due_on"] = _("Vui lòng nhập hạn trả lời doanh nghiệp (năm-tháng-ngày).")
        elif item.due_on is not None and item.due_on < day:
            errors[prefix + "due_on"] = _("Hạn trả lời không được trước ngày tổ chức Hội nghị.")
    return errors


def _cleaned(data: ConclusionInput) -> ConclusionInput:
    return ConclusionInput(
        chair_name=clean_text(data.chair_name), chair_title=clean_text(data.chair_title),
        general=clean_text(data.general, multiline=True),
        attending_leaders=clean_text(data.attending_leaders, multiline=True),
        attending_agencies=clean_text(data.attending_agencies, multiline=True),
        closing=clean_text(data.closing, multiline=True),
        items=[ItemInput(i.recommendation_id, i.lead_unit, list(i.coordinating_units),
                         clean_text(i.task, multiline=True), i.due_on) for i in data.items])


def conclusion_errors(conference: Conference, data: ConclusionInput, rules: Rules) -> dict[str, str]:
    """Every field error of `data` (the form shows them all at once, with its own)."""
    by_id = {s.recommendation.id: s for s in subjects(conference, rules)}
    return _validate(conference, _cleaned(data), rules, by_id)


def save_conclusion(conference: Conference, data: ConclusionInput, *, now: dt.datetime, rules: Rules,
                    actor: Actor) -> Conclusion:
    """Create or replace the conclusions; raises ConclusionError with every field error at once."""
    ensure_can_conclude(conference, now=now)
    data = _cleaned(data)
    errors = conclusion_errors(conference, data, rules)
    if errors:
        raise ConclusionError(errors)
    conclusion = conclusion_for(conference)
    if conclusion is None:
        conclusion = Conclusion(conference_id=conference.id, chair_name="", chair_title="", general="")
        db.session.add(conclusion)
    for name in ("chair_name", "chair_title", "general", "attending_leaders", "attending_agencies", "closing"):
        setattr(conclusion, name, getattr(data, name))
    conclusion.recorded_by = actor.name[:320]
    conclusion.updated_at = now
    existing = {item.recommendation_id: item for item in conclusion.items}
    keep = set()
    for item in data.items:
        row = existing.get(item.recommendation_id)
        if row is None:
            row = ConclusionItem(recommendation_id=item.recommendation_id, lead_unit=item.lead_unit)
            conclusion.items.append(row)
        row.lead_unit = item.lead_unit
        row.coordinating_units = list(item.coordinating_units)
        row.task = item.task
        row.due_on = item.due_on
        keep.add(item.recommendation_id)
    for rec_id, row in existing.items():
        if rec_id not in keep:
            conclusion.items.remove(row)
    db.session.flush()
    record(actor, "conclusion.save", "conference", conference.slug, now=now, items=len(data.items))
    return conclusion
