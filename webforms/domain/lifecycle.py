"""The lifecycles' states and the transitions allowed between them: one table per lifecycle.

Every caller that changes a conference's status goes through `move_conference`, so the allowed
moves are read here and nowhere else; a move the table does not allow raises TransitionRefused with
the states named. The status columns carry CHECK constraints built from the same enums (models),
so a status outside the table cannot be stored either.

Recommendation and assignment moves are listed the same way (`RECOMMENDATION_MOVES`,
`ASSIGNMENT_MOVES`). `install_guards` (called by the app factory) makes the ORM check every status
assignment of all three against the tables, whichever module makes it.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import event
from sqlalchemy.orm.base import NEVER_SET, NO_VALUE

from webforms.models import AssignmentState, ConferenceStatus, RecommendationStatus

C = ConferenceStatus

# From each status, the statuses a conference may move to. A postponement always goes back to DRAFT:
# the new date starts a new cycle, which needs its own announcement (plan III.3, ≥7 working days).
CONFERENCE_MOVES: Mapping[str, frozenset[str]] = {
    C.DRAFT: frozenset({C.ANNOUNCED, C.DRAFT, C.CANCELLED}),
    C.ANNOUNCED: frozenset({C.INTAKE_CLOSED, C.CONFIRMED, C.POSTPONEMENT_PROPOSED, C.HELD, C.DRAFT,
                            C.CANCELLED}),
    C.INTAKE_CLOSED: frozenset({C.CONFIRMED, C.POSTPONEMENT_PROPOSED, C.HELD, C.DRAFT, C.CANCELLED}),
    C.CONFIRMED: frozenset({C.HELD, C.DRAFT, C.CANCELLED}),
    C.POSTPONEMENT_PROPOSED: frozenset({C.DRAFT, C.CANCELLED}),
    C.HELD: frozenset({C.CONCLUDED}),
    C.CONCLUDED: frozenset({C.REPORTED}),
    C.REPORTED: frozenset(),
    C.CANCELLED: frozenset(),
}

# What each move is called, for the refusal message and the audit trail.
CONFERENCE_MOVE_NAMES = {
    C.ANNOUNCED: "announce",
    C.CONFIRMED: "confirm",
    C.POSTPONEMENT_PROPOSED: "propose postponement",
    C.HELD: "mark held",
    C.DRAFT: "postpone",
    C.CANCELLED: "cancel",
    C.CONCLUDED: "conclude",
    C.REPORTED: "report",
    C.INTAKE_CLOSED: "close intake",
}

R = RecommendationStatus
RECOMMENDATION_MOVES: Mapping[str, frozenset[str]] = {
    R.RECEIVED: frozenset({R.ASSIGNED, R.SCREENED_OUT, R.ANSWERED_AT_CONFERENCE, R.RECEIVED}),
    R.ASSIGNED: frozenset({R.RECEIVED, R.SCREENED_OUT, R.ANSWERED_AT_CONFERENCE, R.ANSWERED_IN_WRITING,
                           R.ASSIGNED}),
    R.SCREENED_OUT: frozenset({R.RECEIVED, R.ASSIGNED}),  # screening undone
    R.ANSWERED_AT_CONFERENCE: frozenset({R.ASSIGNED, R.RECEIVED, R.ANSWERED_IN_WRITING}),
    R.ANSWERED_IN_WRITING: frozenset(),
}

A = AssignmentState
ASSIGNMENT_MOVES: Mapping[str, frozenset[str]] = {
    A.OPEN: frozenset({A.SUBMITTED, A.APPROVED, A.RETURNED, A.REVOKED}),
    # Back to OPEN: a submission taken back before approval (an answer recorded at the conference by
    # mistake is undone, recommendation_admin.undo_answered_at_conference).
    A.SUBMITTED: frozenset({A.APPROVED, A.SENT_BACK, A.REVOKED, A.SUBMITTED, A.OPEN}),
    A.SENT_BACK: frozenset({A.SUBMITTED, A.APPROVED, A.RETURNED, A.REVOKED}),
    A.APPROVED: frozenset(),
    A.RETURNED: frozenset(),
    A.REVOKED: frozenset(),
}

TABLES = {"conference": CONFERENCE_MOVES, "recommendation": RECOMMENDATION_MOVES,
          "assignment": ASSIGNMENT_MOVES}


class TransitionRefused(ValueError):
    """A move the lifecycle's table does not allow."""

    def __init__(self, lifecycle: str, subject: str, current: str, wanted: str):
        allowed = ", ".join(sorted(TABLES[lifecycle].get(current, ()))) or "none"
        super().__init__(f"{lifecycle} {subject}: cannot move from {current} to {wanted} (allowed: {allowed})")
        self.lifecycle, self.current, self.wanted = lifecycle, current, wanted


def allowed(lifecycle: str, current: str, wanted: str) -> bool:
    return wanted in TABLES[lifecycle].get(current, ())


def check_move(lifecycle: str, subject: str, current: str, wanted: str) -> None:
    if not allowed(lifecycle, current, wanted):
        raise TransitionRefused(lifecycle, subject, current, wanted)


def can_move_conference(conference, wanted: str) -> bool:
    return allowed("conference", conference.status, wanted)


def move_conference(conference, wanted: str, *, reason: str | None = None) -> str:
    """Set the conference's status to `wanted` if the table allows it; return the previous status.

    :param reason: stored as `status_reason` when given (a person's sentence, not a machine string).
    """
    check_move("conference", conference.slug, conference.status, wanted)
    previous = conference.status
    conference.status = wanted
    if reason is not None:
        conference.status_reason = reason
    return previous


# -- every caller: the ORM checks each status assignment against the tables -----------------------

def _guard(lifecycle: str, subject):
    def check(target, value, oldvalue, initiator):
        if oldvalue in (None, NO_VALUE, NEVER_SET) or oldvalue == value:
            return value  # a new row takes its first state; setting the same state is no move
        check_move(lifecycle, subject(target), str(oldvalue), str(value))
        return value

    return check


def install_guards() -> None:
    """Make every `x.status = …` / `x.state = …` go through the tables (idempotent)."""
    from webforms.models import Assignment, Conference, Recommendation

    for column, lifecycle, subject in (
        (Conference.status, "conference", lambda c: c.slug),
        (Recommendation.status, "recommendation", lambda r: r.code),
        (Assignment.state, "assignment", lambda a: f"#{a.id}"),
    ):
        listener = _guards.setdefault(lifecycle, _guard(lifecycle, subject))
        if not event.contains(column, "set", listener):
            event.listen(column, "set", listener, retval=True, active_history=True)


_guards: dict = {}
