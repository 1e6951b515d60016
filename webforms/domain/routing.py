"""Routing: which department owns a recommendation, its assignment, and the email that announces it.

The routing table is config/departments.yaml; `route` reads it and nothing else. Receivers for the
intake's signals are connected when this module is imported (webforms.app imports it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from config.rules import Rules
from webforms.domain import events
from webforms.domain.audit import SYSTEM, Actor, record
from webforms.domain.departments import sync_departments
from webforms.domain.links import link_url, revoke_links
from webforms.domain.notify import department_addresses, notifications, send
from webforms.domain.plan import conference_local_start, conference_rules, due_after_conference, end_of_day, kept_plan
from webforms.domain.workdays import Computation, WorkingCalendar
from webforms.extensions import db
from webforms.models import (
    OPEN_STATES,
    Assignment,
    AssignmentRole,
    AssignmentState,
    Department,
    Recommendation,
    RecommendationStatus,
    Scope,
)


def route(field_code: str, zone_code: str, rules: Rules) -> str:
    """The code of the internal department that owns a recommendation in `field_code` from `zone_code`."""
    internal = [d for d in rules.departments if d.is_internal]
    for department in internal:
        if field_code in department.fields and zone_code in department.zones:
            return department.code
    for department in internal:
        if field_code in department.fields and not department.zones:
            return department.code
    return rules.consolidating_department.code


_DEPARTMENT_BY_CODE = select(Department).where(Department.code == bindparam("code"))  # built once


def department_row(code: str, rules: Rules) -> Department:
    # The departments' rows do not depend on what the caller has not flushed yet: no autoflush here, so a new
    # recommendation and its assignment go out in one flush.
    with db.session.no_autoflush:
        row = db.session.scalar(_DEPARTMENT_BY_CODE, {"code": code})
    if row is None:
        try:
            with db.session.begin_nested():
                sync_departments(rules)
        except IntegrityError:
            pass  # a concurrent request wrote the same rows first: theirs stand
        row = db.session.scalar(_DEPARTMENT_BY_CODE, {"code": code})
    if row is None:
        raise KeyError(code)
    return row


# -- deadlines -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    name: str  # answers_prepared_by | written_reply | coordinated_reply
    label: str
    due: dt.datetime
    computation: Computation
    applies: bool  # the one in force for this assignment (or, for D-1, still ahead of the reply)

    @property
    def tentative(self) -> bool:
        """Computed through a year whose days off are not confirmed: shown as "dự kiến"."""
        return self.computation.tentative


def reply_due(
    recommendation: Recommendation, rules: Rules, calendar: WorkingCalendar, *, coordinated: bool
) -> dt.datetime:
    name = "coordinated_reply" if coordinated else "written_reply"
    rules = conference_rules(recommendation.conference, rules)
    return due_after_conference(
        recommendation.conference.starts_at, rules.plan.offset(name), rules.plan, calendar
    )


# A coordinating unit's own deadline, earlier than the lead unit's coordinated reply (plan III.1: the
# lead unit needs time to draft, sign and issue the reply after the input arrives).
COORDINATION_INPUT = "coordination_input"


def due_for_role(
    recommendation: Recommendation, role: str, rules: Rules, calendar: WorkingCalendar
) -> dt.datetime:
    """The deadline an assignment of `role` carries: a coordinating unit's input by `coordination_input`,
    an owner's reply by `written_reply`, or `coordinated_reply` once coordination is declared."""
    if role == AssignmentRole.COORDINATING:
        rules = conference_rules(recommendation.conference, rules)
        return due_after_conference(
            recommendation.conference.starts_at, rules.plan.offset(COORDINATION_INPUT), rules.plan, calendar
        )
    return reply_due(recommendation, rules, calendar, coordinated=recommendation.needs_coordination)


def deadlines_for(assignment: Assignment, rules: Rules, calendar: WorkingCalendar) -> list[Deadline]:
    """The due dates that apply to an assignment, each with how it was computed. A coordinating unit
    has one: its own input deadline (coordination_input), before the lead unit's coordinated reply."""
    plan = kept_plan(assignment.recommendation.conference, rules.plan)
    local_start = conference_local_start(assignment.recommendation.conference.starts_at, plan)
    coordinated = assignment.recommendation.needs_coordination
    result = []
    if assignment.role == AssignmentRole.COORDINATING:
        names = (COORDINATION_INPUT,)
        applying = {COORDINATION_INPUT: True}
    else:
        names = ("answers_prepared_by", "written_reply", "coordinated_reply")
        applying = {"answers_prepared_by": True, "written_reply": not coordinated,
                    "coordinated_reply": coordinated}
    for name in names:
        milestone = plan.milestone(name)
        computation = calendar.explain_add(local_start.date(), milestone.offset)
        applies = applying[name]
        result.append(
            Deadline(
                name=name,
                label=milestone.label,
                due=end_of_day(computation.result, plan),
                computation=computation,
                applies=applies,
            )
        )
    return result


# -- assignments ---------------------------------------------------------------------------------


def owner_assignment(recommendation: Recommendation) -> Assignment | None:
    """The owner's assignment still in play (not returned, not revoked), if any."""
    for assignment in recommendation.assignments:
        if assignment.role == AssignmentRole.OWNER and assignment.state not in (
            AssignmentState.RETURNED,
            AssignmentState.REVOKED,
        ):
            return assignment
    return None


def create_assignment(
    recommendation: Recommendation,
    department_code: str,
    *,
    role: str,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    parent: Assignment | None = None,
) -> Assignment:
    assignment = Assignment(
        recommendation=recommendation,
        department=department_row(department_code, rules),
        role=role,
        parent=parent,
        token_version=1,
        state=AssignmentState.OPEN,
        holder_email="",
        due_at=due_for_role(recommendation, role, rules, calendar),
        created_at=now,
        updated_at=now,
        extra={},
    )
    db.session.add(assignment)
    db.session.flush()
    return assignment


def assignment_context(assignment: Assignment, rules: Rules, calendar: WorkingCalendar, settings) -> dict:
    recommendation = assignment.recommendation
    return {
        "assignment": assignment,
        "recommendation": recommendation,
        "registration": recommendation.registration,
        "enterprise": recommendation.registration.enterprise,
        "conference": recommendation.conference,
        "department": rules.department(assignment.department.code),
        "field": rules.field(recommendation.field_code),
        "zone": rules.zone(recommendation.registration.enterprise.zone_code),
        "deadlines": deadlines_for(assignment, rules, calendar),
        "link": link_url(assignment, settings),
    }


def assignment_recipients(assignment: Assignment, rules: Rules) -> list[str]:
    if assignment.holder_email:
        return [assignment.holder_email]
    return department_addresses(assignment.department.code, rules)


def notify_assignment(
    assignment: Assignment,
    *,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
    reason: str = "new",
    previous: Assignment | None = None,
) -> bool:
    """Email the holder of one assignment its link; marks it notified. `reason`: new | returned."""
    template = (
        "coordination_request_to_agency"
        if assignment.role == AssignmentRole.COORDINATING
        else "assignment_to_department"
    )
    context = assignment_context(assignment, rules, calendar, settings)
    context.update(reason=reason, previous=previous)
    sent = send(
        template,
        to=assignment_recipients(assignment, rules),
        context=context,
        rules=rules,
        dedupe_key=f"assign:{assignment.id}:v{assignment.token_version}",
        settings=settings,
    )
    mark_notified(assignment, now)
    return sent


def mark_notified(assignment: Assignment, now: dt.datetime) -> None:
    """The holder has the link of the current token version (`links.revoke_links` clears this)."""
    assignment.notified_at = now


def is_notified(assignment: Assignment) -> bool:
    return assignment.notified_at is not None


def assign_recommendation(
    recommendation: Recommendation,
    *,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
    actor: Actor = SYSTEM,
) -> Assignment | None:
    """Give an in-scope recommendation to its owning department; None when it is out of scope.
    Calling it again returns the assignment already in play."""
    if (
        recommendation.scope == Scope.OUT_OF_SCOPE
        or recommendation.status == RecommendationStatus.SCREENED_OUT
    ):
        return None
    existing = owner_assignment(recommendation)
    if existing is not None:
        return existing
    code = route(recommendation.field_code, recommendation.registration.enterprise.zone_code, rules)
    if recommendation.status == RecommendationStatus.RECEIVED:
        # Before the assignment's flush: a recommendation not yet written is then inserted as assigned.
        recommendation.status = RecommendationStatus.ASSIGNED
    assignment = create_assignment(
        recommendation, code, role=AssignmentRole.OWNER, now=now, rules=rules, calendar=calendar
    )
    record(
        actor,
        "recommendation.route",
        "recommendation",
        recommendation.code,
        now=now,
        assignment=assignment.id,
        department=code,
    )
    if not notifications(rules).digest:
        notify_assignment(assignment, now=now, rules=rules, calendar=calendar, settings=settings)
    # With the digest on, run_reminders announces it at the next tick.
    return assignment


def close_assignments(
    recommendation: Recommendation, *, now: dt.datetime, actor: Actor = SYSTEM, reason: str = ""
) -> list[Assignment]:
    closed = []
    for assignment in recommendation.assignments:
        if assignment.state in OPEN_STATES:
            assignment.state = AssignmentState.REVOKED
            assignment.closed_at = now
            revoke_links(assignment)
            closed.append(assignment)
    if closed:
        record(
            actor,
            "assignment.close",
            "recommendation",
            recommendation.code,
            now=now,
            assignments=[a.id for a in closed],
            reason=reason,
        )
    return closed


# -- receivers -----------------------------------------------------------------------------------


@events.recommendation_received.connect
def on_recommendation_received(
    recommendation: Recommendation,
    *,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
    **_ignored,
) -> None:
    assign_recommendation(recommendation, now=now, rules=rules, calendar=calendar, settings=settings)


@events.recommendation_screened_out.connect
def on_recommendation_screened_out(recommendation: Recommendation, *, now: dt.datetime, **_ignored) -> None:
    close_assignments(recommendation, now=now, reason="screened_out")
