"""Assignment deadlines follow the conference date and the calendar.

`Assignment.due_at` is stored (the reminder sweep reads it through an index), so whenever the date or
the calendar changes, `recompute_open_deadlines` brings every open assignment of the conference back in
line with the plan engine, in the caller's transaction, and tells each department whose deadline moved
once (one email per department, listing its items).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from sqlalchemy import select

from config.rules import Plan, Rules
from webforms.domain import outbox
from webforms.domain.audit import SYSTEM, Actor, record
from webforms.domain.plan import conference_rules, due_after_conference
from webforms.domain.reminders.selection import still_owed
from webforms.domain.workdays import WorkingCalendar
from webforms.models import Assignment, AssignmentRole, Conference, Recommendation

# The plan's milestones that are deadlines of assignments rather than of the conference.
ASSIGNMENT_DEADLINES = ("written_reply", "coordinated_reply", "coordination_input")


def deadline_name(role: str, needs_coordination: bool, plan: Plan) -> str:
    """Which of the plan's milestones is the deadline of an assignment in `role` on a recommendation:
    a coordinating agency's input (coordination_input, when the plan has it), else the written reply,
    or the coordinated reply once the recommendation needs coordination."""
    names = {m.name for m in plan.milestones}
    if role == AssignmentRole.COORDINATING and "coordination_input" in names:
        return "coordination_input"
    return "coordinated_reply" if needs_coordination else "written_reply"


def assignment_due(assignment: Assignment, rules: Rules, calendar: WorkingCalendar) -> dt.datetime:
    """The deadline the assignment carries under the plan and the calendar now: the same rule that set
    it at creation (routing.due_for_role)."""
    from webforms.domain.routing import due_for_role

    return due_for_role(assignment.recommendation, assignment.role, rules, calendar)


# Why open deadlines move; the email template deadlines_moved_to_department words each one.
CAUSES = ("holidays", "postponed", "plan_applied")


def _plain(details: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, dt.datetime | dt.date) else v for k, v in details.items()}


def recompute_open_deadlines(session, conference: Conference, rules: Rules, calendar: WorkingCalendar,
                             now: dt.datetime, cause: str, *, actor: Actor = SYSTEM,
                             message_domain: str, **details) -> list[dict]:
    """Set every still-owed assignment's due_at from the plan engine (work done is not touched, nor its
    unit told); email each department whose deadline
    moved, once. Returns one dict per department told. Leaves the commit to the caller.

    :param cause: why the deadlines moved, one of `CAUSES`, with its `details` (the new date of a
        postponement, the rules version applied): the email's template words it, the audit keeps it.
    """
    # Only assignments whose deadline is none of the plan's current ones can have moved: in the steady
    # state (every tick) this reads no row at all.
    if cause not in CAUSES:
        raise ValueError(f"unknown cause {cause!r}: one of {CAUSES}")
    rules = conference_rules(conference, rules)  # the plan it was announced under
    current = [due_after_conference(conference.starts_at, rules.plan.offset(name), rules.plan, calendar)
               for name in ASSIGNMENT_DEADLINES if name in {m.name for m in rules.plan.milestones}]
    # Routing gives every new assignment one of these dates, so while they are the ones last checked, none
    # is off them: the steady tick reads no assignment (it walked every open one: 200+ ms at 100,000).
    checked = hashlib.sha256("|".join(sorted(d.isoformat() for d in current)).encode()).hexdigest()[:32]
    if conference.deadlines_checked == checked:
        return []
    conference.deadlines_checked = checked
    rows = session.scalars(
        select(Assignment).join(Recommendation, Assignment.recommendation_id == Recommendation.id)
        .where(Recommendation.conference_id == conference.id, still_owed(),
               Assignment.due_at.not_in(current))
        .order_by(Assignment.department_id, Assignment.id)
    ).all()
    moved: dict[int, list[tuple[Assignment, dt.datetime]]] = defaultdict(list)
    for assignment in rows:
        due = assignment_due(assignment, rules, calendar)
        if assignment.due_at != due:
            moved[assignment.department_id].append((assignment, assignment.due_at))
            assignment.due_at = due
            assignment.updated_at = now
    told = []
    for items in moved.values():
        department = items[0][0].department
        record(actor, "assignment.deadlines_moved", "department", department.code, now=now,
               conference=conference.slug, cause=cause, **_plain(details),
               items=[{"assignment": a.id, "before": before.isoformat(), "after": a.due_at.isoformat()}
                      for a, before in items])
        to = [e for e in (department.emails or []) if e]
        if not to:
            continue
        # One email per department and per set of new deadlines: a second call that moves nothing
        # sends nothing, a later change sends again.
        fingerprint = hashlib.sha256("|".join(f"{a.id}={a.due_at.isoformat()}" for a, _ in items)
                                      .encode()).hexdigest()[:16]
        outbox.queue_template(
            "deadlines_moved_to_department",
            {"conference": conference, "department": department, "cause": cause, **details, "now": now,
             "items": [{"code": a.recommendation.code, "title": a.recommendation.title, "before": before,
                        "after": a.due_at, "tentative": bool(calendar.unconfirmed_between(
                            conference.starts_at.date(), a.due_at.date()))} for a, before in items]},
            to=to, dedupe_key=f"deadlines:{conference.id}:{department.code}:{fingerprint}", rules=rules,
            message_domain=message_domain)
        told.append({"department": department.code, "assignments": len(items), "to": to})
    return told
