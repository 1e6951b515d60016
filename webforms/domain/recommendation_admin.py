"""The back office's recommendation list (filter, sort, search, pages, export) and the staff
operations on one recommendation: conference mode, near-duplicates, private flag.

The list is built from one SELECT with joins for the page plus one for the owners of the rows on
it, whatever the page size: no query per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, func, or_, select

from webforms.domain.audit import Actor, record
from webforms.domain.dashboard import CLOSED_WITHOUT_OWNER
from webforms.domain.text import clean_text
from webforms.extensions import db
from webforms.models import (
    OPEN_STATES,
    AnswerMode,
    Assignment,
    AssignmentRole,
    AssignmentState,
    AuditEvent,
    Conference,
    Department,
    Enterprise,
    Recommendation,
    RecommendationStatus,
    Registration,
    Scope,
)


class RecommendationError(ValueError):
    pass


SORTS = {
    "received": Recommendation.received_at,
    "code": Recommendation.code,
    "field": Recommendation.field_code,
    "status": Recommendation.status,
    "title": Recommendation.title,
}


@dataclass(frozen=True)
class RecommendationFilter:
    conference_id: int | None = None
    field: str = ""
    department: str = ""  # department code
    zone: str = ""
    status: str = ""
    overdue: bool = False
    text: str = ""
    sort: str = "received"
    descending: bool = True

    @classmethod
    def from_args(cls, args, conference_id: int | None = None) -> RecommendationFilter:
        """From request arguments; anything unknown is ignored rather than an error."""
        sort = args.get("sort", "received")
        return cls(
            conference_id=conference_id,
            field=clean_text(args.get("field", ""))[:40],
            department=clean_text(args.get("department", ""))[:40],
            zone=clean_text(args.get("zone", ""))[:40],
            status=clean_text(args.get("status", ""))[:40],
            overdue=args.get("overdue") in ("1", "on", "true"),
            text=clean_text(args.get("q", ""))[:200],
            sort=sort if sort in SORTS else "received",
            descending=args.get("order", "desc") != "asc",
        )


@dataclass(frozen=True)
class ListRow:
    id: int
    code: str
    title: str
    field_code: str
    status: str
    scope: str
    received_at: dt.datetime
    late: bool
    enterprise: str
    zone: str
    conference_slug: str
    duplicate_of_id: int | None
    answer_mode: str
    departments: tuple[str, ...] = ()
    overdue: bool = False


@dataclass
class Page:
    rows: list[ListRow]
    total: int
    page: int
    per_page: int
    extra: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _conditions(flt: RecommendationFilter, now: dt.datetime) -> list:
    conditions = []
    if flt.conference_id is not None:
        conditions.append(Recommendation.conference_id == flt.conference_id)
    if flt.field:
        conditions.append(Recommendation.field_code == flt.field)
    if flt.status:
        conditions.append(Recommendation.status == flt.status)
    if flt.zone:
        conditions.append(Enterprise.zone_code == flt.zone)
    if flt.department:
        conditions.append(exists().where(
            Assignment.recommendation_id == Recommendation.id, Assignment.department_id == Department.id,
            Department.code == flt.department, Assignment.state.not_in(CLOSED_WITHOUT_OWNER)))
    if flt.overdue:
        conditions.append(exists().where(
            Assignment.recommendation_id == Recommendation.id, Assignment.state.in_(OPEN_STATES),
            Assignment.due_at < now))
    if flt.text:
        like = "%" + flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(Recommendation.title.ilike(like, escape="\\"),
                              Recommendation.content.ilike(like, escape="\\"),
                              Recommendation.code.ilike(like, escape="\\"),
                              Enterprise.name.ilike(like, escape="\\"),
                              Enterprise.tax_code.ilike(like, escape="\\")))
    return conditions


def _base(columns, flt: RecommendationFilter, now: dt.datetime):
    return (select(*columns)
            .join(Registration, Recommendation.registration_id == Registration.id)
            .join(Enterprise, Registration.enterprise_id == Enterprise.id)
            .join(Conference, Recommendation.conference_id == Conference.id)
            .where(*_conditions(flt, now)))


_COLUMNS = (Recommendation.id, Recommendation.code, Recommendation.title, Recommendation.field_code,
            Recommendation.status, Recommendation.scope, Recommendation.received_at, Recommendation.late,
            Enterprise.name, Enterprise.zone_code, Conference.slug, Recommendation.duplicate_of_id,
            Recommendation.answer_mode)


def _ordered(query, flt: RecommendationFilter):
    column = SORTS[flt.sort]
    return query.order_by(column.desc() if flt.descending else column.asc(),
                          Recommendation.id.desc() if flt.descending else Recommendation.id.asc())


def _owners_and_overdue(ids: list[int], now: dt.datetime) -> tuple[dict[int, list[str]], set[int]]:
    owners: dict[int, list[str]] = {}
    overdue: set[int] = set()
    if not ids:
        return owners, overdue
    for rec_id, name, state, due_at, role in db.session.execute(
            select(Assignment.recommendation_id, Department.name, Assignment.state, Assignment.due_at,
                   Assignment.role)
            .join(Department, Assignment.department_id == Department.id)
            .where(Assignment.recommendation_id.in_(ids), Assignment.state.not_in(CLOSED_WITHOUT_OWNER))
            .order_by(Assignment.id)):
        if role == AssignmentRole.OWNER:
            owners.setdefault(rec_id, []).append(name)
        if state in OPEN_STATES and due_at < now:
            overdue.add(rec_id)
    return owners, overdue


def list_recommendations(flt: RecommendationFilter, *, now: dt.datetime, page: int = 1,
                         per_page: int = 50) -> Page:
    total = db.session.scalar(_base((func.count(Recommendation.id),), flt, now))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    result = db.session.execute(_ordered(_base(_COLUMNS, flt, now), flt)
                                .limit(per_page).offset((page - 1) * per_page)).all()
    owners, overdue = _owners_and_overdue([r[0] for r in result], now)
    rows = [ListRow(*r, departments=tuple(owners.get(r[0], ())), overdue=r[0] in overdue) for r in result]
    return Page(rows=rows, total=total, page=page, per_page=per_page)


def export_rows(flt: RecommendationFilter, *, now: dt.datetime, rules, limit: int = 50_000
                ) -> tuple[list[str], list[list]]:
    """Every matching row for the spreadsheet; owners fetched in chunks, not per row."""
    from webforms.formatting import local_datetime

    columns = _COLUMNS + (Recommendation.content, Recommendation.agency_concerned, Enterprise.tax_code,
                          Recommendation.answer)
    result = db.session.execute(_ordered(_base(columns, flt, now), flt).limit(limit)).all()
    fields = {f.code: f.name for f in rules.fields}
    header = ["Mã kiến nghị", "Hội nghị", "Doanh nghiệp", "Mã số thuế", "Khu", "Lĩnh vực", "Tiêu đề", "Nội dung",
              "Cơ quan liên quan", "Phòng chủ trì", "Trạng thái", "Phạm vi", "Ngày nhận", "Nộp muộn", "Quá hạn",
              "Trùng với", "Trả lời"]
    rows = []
    codes = {}
    for start in range(0, len(result), 900):
        chunk = result[start:start + 900]
        owners, overdue = _owners_and_overdue([r.id for r in chunk], now)
        dup_ids = [r.duplicate_of_id for r in chunk if r.duplicate_of_id and r.duplicate_of_id not in codes]
        if dup_ids:
            codes.update(db.session.execute(select(Recommendation.id, Recommendation.code)
                                            .where(Recommendation.id.in_(dup_ids))).all())
        for r in chunk:
            rows.append([r.code, r.slug, r.name, r.tax_code, r.zone_code, fields.get(r.field_code, r.field_code),
                         r.title, r.content, r.agency_concerned, "; ".join(owners.get(r.id, ())), r.status, r.scope,
                         local_datetime(r.received_at, "%d/%m/%Y %H:%M"), "có" if r.late else "",
                         "có" if r.id in overdue else "", codes.get(r.duplicate_of_id, ""), r.answer])
    return header, rows


# -- one recommendation ---------------------------------------------------------------------------

def recommendation_timeline(recommendation: Recommendation) -> list[AuditEvent]:
    """Audit events about this recommendation (targeted by id or by code) and about its assignments."""
    assignment_ids = [str(a.id) for a in recommendation.assignments]
    return list(db.session.scalars(
        select(AuditEvent).where(or_(
            and_(AuditEvent.target_kind == "recommendation",
                 AuditEvent.target_id.in_([str(recommendation.id), recommendation.code])),
            and_(AuditEvent.target_kind == "assignment", AuditEvent.target_id.in_(assignment_ids or ["-"])),
        )).order_by(AuditEvent.at, AuditEvent.id)))


def find_by_code(code: str) -> Recommendation | None:
    return db.session.scalar(select(Recommendation).where(Recommendation.code == clean_text(code)))


def duplicates_of(recommendation: Recommendation) -> list[Recommendation]:
    return list(db.session.scalars(select(Recommendation).where(Recommendation.duplicate_of_id == recommendation.id)
                                   .order_by(Recommendation.id)))


def mark_duplicate(recommendation: Recommendation, original: Recommendation, *, now: dt.datetime,
                   actor: Actor) -> Recommendation:
    """Mark a near-duplicate so one answer serves both. Chains collapse to their root, and items
    already pointing at this one follow it to the root."""
    root = original
    while root.duplicate_of_id is not None:
        root = db.session.get(Recommendation, root.duplicate_of_id)
    if root.id == recommendation.id:
        raise RecommendationError("a recommendation cannot duplicate itself")
    if root.conference_id != recommendation.conference_id:
        raise RecommendationError("duplicates must belong to the same conference")
    for follower in duplicates_of(recommendation):
        follower.duplicate_of_id = root.id
    recommendation.duplicate_of_id = root.id
    record(actor, "recommendation.mark_duplicate", "recommendation", recommendation.code, now=now,
           duplicate_of=root.code)
    return root


def clear_duplicate(recommendation: Recommendation, *, now: dt.datetime, actor: Actor) -> None:
    if recommendation.duplicate_of_id is None:
        return
    recommendation.duplicate_of_id = None
    record(actor, "recommendation.clear_duplicate", "recommendation", recommendation.code, now=now)


ANSWER_MAX = 20_000
NAME_MAX = 300


def _letter_approved(recommendation: Recommendation) -> bool:
    """An answer in writing approved and waiting for its letter to be issued: answered once issued, so the
    conference cannot record another answer over it."""
    from webforms.domain.routing import owner_assignment

    owner = owner_assignment(recommendation)
    return owner is not None and owner.state == AssignmentState.APPROVED


def _conference_day_answer_time(conference: Conference, now: dt.datetime, tz) -> dt.datetime:
    """When the answer was given: now when typed on the conference day, else the conference's start
    (typed afterwards from the minutes)."""
    if now.astimezone(tz).date() == conference.starts_at.astimezone(tz).date():
        return now
    return conference.starts_at


def record_conference_answer(
    recommendation: Recommendation,
    *,
    answered_by: str,
    answer: str,
    department_code: str = "",
    now: dt.datetime,
    actor: Actor,
    rules,
    calendar,
    settings,
) -> bool:
    """A leader answered the item at the conference: record who (a leader, with the unit concerned) and
    what was said, typed on the day or afterwards. The item and its duplicates are answered; a
    coordinating agency still owing its input is no longer asked (revoked, its link stops working; an
    input already in stays in, and the Board's approval closes it with the owner's) and the owner's
    assignment carries the words to the Board's approval, from which the enterprise gets its written
    confirmation (the reply letter says it was answered at the conference). Nothing is chased any more.
    What the answer changed is kept with it, so `undo_answered_at_conference` can put it back. False
    when already recorded. Refused before the conference starts."""
    from flask_babel import gettext as _

    from webforms.domain.notify import send
    from webforms.domain.routing import assignment_context, create_assignment, owner_assignment
    from webforms.formatting import local_datetime

    conference = recommendation.conference
    if recommendation.scope == Scope.OUT_OF_SCOPE or recommendation.status == RecommendationStatus.SCREENED_OUT:
        raise RecommendationError(_("Kiến nghị không thuộc phạm vi không được ghi nhận trả lời tại Hội nghị."))
    if now < conference.starts_at:
        raise RecommendationError(_(
            "Hội nghị chưa bắt đầu: chỉ ghi nhận trả lời tại Hội nghị từ %(when)s.",
            when=local_datetime(conference.starts_at)))
    if recommendation.status in (RecommendationStatus.ANSWERED_AT_CONFERENCE,
                                 RecommendationStatus.ANSWERED_IN_WRITING) or _letter_approved(recommendation):
        return False
    answered_by = clean_text(answered_by)[:NAME_MAX]
    answer = clean_text(answer, multiline=True)
    if not answered_by:
        raise RecommendationError(_("Vui lòng ghi người trả lời (lãnh đạo, đơn vị)."))
    if not answer:
        raise RecommendationError(_("Vui lòng ghi nội dung trả lời tại Hội nghị."))
    if len(answer) > ANSWER_MAX:
        raise RecommendationError(_("Nội dung trả lời dài quá %(max)s ký tự.", max=ANSWER_MAX))
    if department_code and (rules.department(department_code) is None
                            or not rules.department(department_code).is_internal):
        raise RecommendationError(_("Đơn vị trả lời không hợp lệ."))
    answered_at = _conference_day_answer_time(conference, now, rules.plan.timezone)
    given = {"answered_by": answered_by, "department": department_code, "answered_at": answered_at.isoformat(),
             "recorded_at": now.isoformat(), "recorded_by": actor.name}
    for item in [recommendation, *duplicates_of(recommendation)]:
        if item.status in (RecommendationStatus.ANSWERED_AT_CONFERENCE, RecommendationStatus.ANSWERED_IN_WRITING,
                           RecommendationStatus.SCREENED_OUT) or _letter_approved(item):
            continue
        owner = owner_assignment(item)
        created = owner is None
        if created:
            code = department_code or rules.consolidating_department.code
            owner = create_assignment(item, code, role=AssignmentRole.OWNER, now=now, rules=rules,
                                      calendar=calendar)
            owner.notified_at = now  # nothing for the unit to do: no assignment email
        was = {"state": owner.state, "draft_answer": owner.draft_answer, "answer_mode": owner.answer_mode,
               "submitted_at": owner.submitted_at.isoformat() if owner.submitted_at else None}
        owner.draft_answer = answer
        owner.answer_mode = AnswerMode.AT_CONFERENCE
        owner.state = AssignmentState.SUBMITTED  # to the Board, for the written confirmation
        owner.submitted_at = now
        stopped = _stop_awaited_coordination(item, now)
        owner.extra = {**(owner.extra or {}), "conference_answer": {
            **given, "created_owner": created, "owner_before": was, "stopped_coordination": stopped}}
        item.status = RecommendationStatus.ANSWERED_AT_CONFERENCE
        item.answer_mode = AnswerMode.AT_CONFERENCE
        item.answer = answer
        item.answered_at = answered_at
        record(actor, "recommendation.answered_at_conference", "recommendation", item.code, now=now,
               answered_by=answered_by, department=department_code, length=len(answer))
        send("answer_submitted_to_consolidation", to=list(rules.consolidating_department.emails),
             context=assignment_context(owner, rules, calendar, settings), rules=rules,
             dedupe_key=f"conference-answer:{owner.id}", settings=settings)
    return True


def _stop_awaited_coordination(recommendation: Recommendation, now: dt.datetime) -> list[int]:
    """The agencies still owing their input are no longer asked: revoked, their links stop working.
    Returns their assignment ids (an input already handed in stays as it is: nothing chases it)."""
    from webforms.domain.links import revoke_links

    stopped = []
    for other in recommendation.assignments:
        if other.role == AssignmentRole.COORDINATING and other.state in (AssignmentState.OPEN,
                                                                         AssignmentState.SENT_BACK):
            other.state = AssignmentState.REVOKED
            other.closed_at = now
            revoke_links(other)
            stopped.append(other.id)
    return stopped


def _ask_again(revoked: Assignment, now: dt.datetime) -> Assignment:
    """A coordinating assignment the answer revoked, asked again: a new assignment for the same agency,
    lead unit, holder and deadline, whose link the next sweep sends (`notified_at` is empty); the revoked
    row stays in the history."""
    again = Assignment(
        recommendation=revoked.recommendation, department_id=revoked.department_id,
        role=AssignmentRole.COORDINATING, parent_id=revoked.parent_id, token_version=1,
        state=AssignmentState.OPEN, holder_email=revoked.holder_email, holder_name=revoked.holder_name,
        draft_answer=revoked.draft_answer, due_at=revoked.due_at, created_at=now, updated_at=now,
        extra={**(revoked.extra or {}), "asked_again_after": revoked.id},
    )
    db.session.add(again)
    return again


def _stopped_by(given: dict, item: Recommendation) -> list[Assignment]:
    """The coordinating assignments the recorded answer revoked. An answer recorded before they were
    kept with it: those revoked at the moment it was recorded."""
    if "stopped_coordination" in given:
        ids = set(given["stopped_coordination"])
        return [a for a in item.assignments if a.id in ids and a.state == AssignmentState.REVOKED]
    recorded = dt.datetime.fromisoformat(given["recorded_at"])
    return [a for a in item.assignments
            if a.role == AssignmentRole.COORDINATING and a.state == AssignmentState.REVOKED
            and a.closed_at is not None and abs((a.closed_at - recorded).total_seconds()) < 1]


def undo_answered_at_conference(recommendation: Recommendation, *, now: dt.datetime, actor: Actor) -> bool:
    """Take back an answer recorded by mistake, while its written confirmation still waits for the
    Board (once approved, the letter has gone: refused). Everything the answer changed is as it was:
    the owner's state and draft, and each agency it stopped asking is asked again with its deadline
    (a new link; the next sweep sends it). So reminders and escalations resume by the deadlines."""
    if recommendation.status != RecommendationStatus.ANSWERED_AT_CONFERENCE:
        return False
    items = [item for item in [recommendation, *duplicates_of(recommendation)]
             if item.status == RecommendationStatus.ANSWERED_AT_CONFERENCE]
    for item in items:
        if any(a.role == AssignmentRole.OWNER and a.state == AssignmentState.APPROVED for a in item.assignments):
            from flask_babel import gettext as _

            raise RecommendationError(_("Trả lời đã được duyệt và gửi doanh nghiệp: không bỏ ghi nhận được."))
    for item in items:
        for owner in list(item.assignments):
            given = (owner.extra or {}).get("conference_answer")
            if not (owner.role == AssignmentRole.OWNER and owner.state == AssignmentState.SUBMITTED and given):
                continue
            for revoked in _stopped_by(given, item):
                _ask_again(revoked, now)
            if given.get("created_owner"):  # made only to carry this answer: it goes
                owner.state = AssignmentState.REVOKED
                owner.closed_at = now
                owner.answer_mode = ""
            else:  # the unit's work as it was before the answer
                was = given.get("owner_before") or {"state": AssignmentState.OPEN, "draft_answer": "",
                                                     "answer_mode": "", "submitted_at": None}
                owner.state = was["state"]
                owner.draft_answer = was["draft_answer"]
                owner.answer_mode = was["answer_mode"]
                owner.submitted_at = dt.datetime.fromisoformat(was["submitted_at"]) if was["submitted_at"] else None
                owner.closed_at = None
            owner.extra = {k: v for k, v in owner.extra.items() if k != "conference_answer"}
        db.session.flush()
        has_owner = db.session.scalar(select(func.count(Assignment.id)).where(
            Assignment.recommendation_id == item.id, Assignment.state.not_in(CLOSED_WITHOUT_OWNER)))
        item.status = RecommendationStatus.ASSIGNED if has_owner else RecommendationStatus.RECEIVED
        item.answer_mode = ""
        item.answer = ""
        item.answered_at = None
        record(actor, "recommendation.answered_at_conference_undone", "recommendation", item.code, now=now)
    return True


def conference_answer(recommendation: Recommendation) -> dict | None:
    """Who answered at the conference and when, as recorded (None when not answered there)."""
    for assignment in recommendation.assignments:
        given = (assignment.extra or {}).get("conference_answer")
        if assignment.role == AssignmentRole.OWNER and given:
            return given
    return None


def set_private(recommendation: Recommendation, private: bool, *, now: dt.datetime, actor: Actor) -> None:
    """Private keeps an answer out of the public folder, the feed and the API, even once published."""
    if recommendation.private == private:
        return
    recommendation.private = private
    record(actor, "recommendation.private" if private else "recommendation.public", "recommendation",
           recommendation.code, now=now)


def conference_mode_items(conference: Conference) -> list:
    """Everything the conference may answer on the day, by field then code, in one query."""
    return db.session.execute(
        select(Recommendation.id, Recommendation.code, Recommendation.title, Recommendation.field_code,
               Recommendation.status, Enterprise.name.label("enterprise"), Recommendation.duplicate_of_id)
        .join(Registration, Recommendation.registration_id == Registration.id)
        .join(Enterprise, Registration.enterprise_id == Enterprise.id)
        .where(Recommendation.conference_id == conference.id, Recommendation.scope != Scope.OUT_OF_SCOPE,
               Recommendation.status != RecommendationStatus.SCREENED_OUT)
        .order_by(Recommendation.field_code, Recommendation.code)).all()
