"""All models, imported here so Alembic sees every table."""

from webforms.models.audit import AuditEvent
from webforms.models.checkin import Conclusion, ConclusionItem, InviteeAttendance
from webforms.models.conference import ACTIVE_STATUSES, Conference, ConferenceStatus, Invitee, InviteeCategory
from webforms.models.department import (
    OPEN_STATES,
    Assignment,
    AssignmentRole,
    AssignmentState,
    Department,
)
from webforms.models.document import (
    TRANSITIONS,
    Document,
    DocumentState,
    RegisterCounter,
    RegisterEntry,
    TransitionRefused,
)
from webforms.models.enterprise import Enterprise
from webforms.models.milestone_run import DailyRun, MilestoneRun
from webforms.models.outbox import OutboxMessage, OutboxStatus
from webforms.models.recommendation import (
    AnswerMode,
    Attachment,
    Recommendation,
    RecommendationStatus,
    Scope,
)
from webforms.models.registration import Registration, Resubmission, SubmissionKey, TrackingCounter
from webforms.models.rules_version import RulesVersion
from webforms.models.user import Role, User

__all__ = [
    "ACTIVE_STATUSES",
    "OPEN_STATES",
    "AnswerMode",
    "Assignment",
    "AssignmentRole",
    "AssignmentState",
    "Attachment",
    "AuditEvent",
    "Conclusion",
    "ConclusionItem",
    "Conference",
    "ConferenceStatus",
    "DailyRun",
    "Department",
    "Document",
    "DocumentState",
    "Enterprise",
    "Invitee",
    "InviteeAttendance",
    "InviteeCategory",
    "MilestoneRun",
    "OutboxMessage",
    "OutboxStatus",
    "Recommendation",
    "RegisterCounter",
    "RegisterEntry",
    "RecommendationStatus",
    "Registration",
    "Resubmission",
    "Role",
    "RulesVersion",
    "Scope",
    "SubmissionKey",
    "TRANSITIONS",
    "TrackingCounter",
    "TransitionRefused",
    "User",
]
