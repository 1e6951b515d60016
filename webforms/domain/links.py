"""Signed links for departments: the link in the email is the credential.

A token names one assignment and the version it was signed for. It stops working when
- it was tampered with (bad signature),
- the assignment's token_version moved on (reassigned, delegated, closed), or
- `now` is past the coordinated-reply deadline plus `link_grace_days` working days (plan.yaml).
The expiry is derived from the conference and checked against the `now` given, not the clock, so
moving the conference moves it too and tests can travel in time.
"""

from __future__ import annotations

import datetime as dt

from itsdangerous import BadSignature, URLSafeTimedSerializer

from config.rules import Rules
from webforms.domain.plan import conference_local_start, end_of_day, kept_plan
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import OPEN_STATES, Assignment, AssignmentState

SALT = "doithoai.assignment-link.v1"
# The reply blueprint's URL prefix; links are written into emails outside any request.
REPLY_PATH = "/tra-loi/"


class LinkError(Exception):
    """Why a link is refused: `invalid`, `expired` or `revoked` (and the assignment when known)."""

    def __init__(self, reason: str, assignment: Assignment | None = None):
        super().__init__(reason)
        self.reason = reason
        self.assignment = assignment


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def sign_link(assignment: Assignment, secret_key: str) -> str:
    return _serializer(secret_key).dumps({"a": assignment.id, "v": assignment.token_version})


def link_url(assignment: Assignment, settings) -> str:
    return settings.public_base_url.rstrip("/") + REPLY_PATH + sign_link(assignment, settings.secret_key)


def link_expires_at(assignment: Assignment, rules: Rules, calendar: WorkingCalendar) -> dt.datetime:
    plan = kept_plan(assignment.recommendation.conference, rules.plan)
    conference_day = conference_local_start(assignment.recommendation.conference.starts_at, plan).date()
    last = calendar.add_working_days(conference_day, plan.offset("coordinated_reply") + plan.link_grace_days)
    return end_of_day(last, plan)


def read_link(
    token: str, *, secret_key: str, now: dt.datetime, rules: Rules, calendar: WorkingCalendar
) -> Assignment:
    """The assignment a token opens, or LinkError."""
    serializer = _serializer(secret_key)
    try:
        data = serializer.loads(token)
    except BadSignature as exc:
        raise LinkError("invalid") from exc
    if not isinstance(data, dict) or not isinstance(data.get("a"), int) or not isinstance(data.get("v"), int):
        raise LinkError("invalid")
    assignment = db.session.get(Assignment, data["a"])
    if assignment is None:
        raise LinkError("invalid")
    expires_at = link_expires_at(assignment, rules, calendar)
    if now > expires_at:
        raise LinkError("expired", assignment)
    if data["v"] != assignment.token_version or assignment.state in (
        AssignmentState.REVOKED,
        AssignmentState.RETURNED,
    ):
        raise LinkError("revoked", assignment)
    return assignment


def revoke_links(assignment: Assignment) -> None:
    """Every link signed so far stops working. An assignment still in play then owes its holder a
    notice with the new link (the sweep finds it by `notified_at IS NULL`); a closed one owes none."""
    assignment.token_version = (assignment.token_version or 1) + 1
    if assignment.state in OPEN_STATES:
        assignment.notified_at = None
