"""Screening a recommendation out of the conference's scope, with a reason the enterprise is told."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from flask_babel import force_locale
from flask_babel import gettext as _

from config.rules import Rules
from webforms.domain import events
from webforms.domain.audit import Actor, record
from webforms.domain.mail import sender_domain
from webforms.domain.outbox import queue_template
from webforms.domain.text import clean_text
from webforms.domain.workdays import WorkingCalendar
from webforms.models import (
    Recommendation,
    RecommendationStatus,
    Scope,
)


class ScreeningReason(StrEnum):
    JUDICIAL = "judicial"  # a matter for the courts or prosecutors
    COMPLAINT = "complaint"  # a complaint or denunciation (khiếu nại, tố cáo)
    NOT_ADMINISTRATIVE = "not_administrative"  # not about an administrative procedure
    DUPLICATE = "duplicate"
    OUTSIDE_ZONES = "outside_zones"


def screening_reason_label(code: str) -> str:
    labels = {
        ScreeningReason.JUDICIAL: _("Thuộc thẩm quyền của cơ quan tư pháp"),
        ScreeningReason.COMPLAINT: _("Là đơn thư khiếu nại, tố cáo"),
        ScreeningReason.NOT_ADMINISTRATIVE: _("Không liên quan đến giải quyết thủ tục hành chính"),
        ScreeningReason.DUPLICATE: _("Trùng với kiến nghị đã gửi"),
        ScreeningReason.OUTSIDE_ZONES: _(
            "Doanh nghiệp không hoạt động trong các khu công nghiệp, khu kinh tế"
        ),
    }
    return labels.get(code, code)


class ScreeningError(ValueError):
    pass


def screen_out(
    rec: Recommendation,
    reason_code: str,
    reason: str,
    actor: Actor,
    now: dt.datetime,
    *,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
    duplicate_of: Recommendation | None = None,
) -> bool:
    """Take a recommendation out of the conference's scope and tell the enterprise why.
    False when it was already screened out."""
    if reason_code not in set(ScreeningReason):
        raise ScreeningError(f"unknown reason code {reason_code!r}")
    if rec.status == RecommendationStatus.SCREENED_OUT:
        return False
    if rec.status in (RecommendationStatus.ANSWERED_AT_CONFERENCE, RecommendationStatus.ANSWERED_IN_WRITING):
        raise ScreeningError("an answered recommendation cannot be screened out")
    rec.scope = Scope.OUT_OF_SCOPE
    rec.scope_reason_code = reason_code
    with force_locale("vi"):  # stored and emailed: in Vietnamese whatever language the staff page is in
        label = screening_reason_label(reason_code)
    rec.scope_reason = clean_text(reason, multiline=True) or label
    rec.status = RecommendationStatus.SCREENED_OUT
    if duplicate_of is not None:
        rec.duplicate_of_id = duplicate_of.id
    registration = rec.registration
    queue_template(
        "screened_out_to_enterprise",
        {
            "rec": rec,
            "registration": registration,
            "conference": rec.conference,
            "reason_label": label,
            "reason": rec.scope_reason,
            "scope": rules.plan.scope,
            "duplicate_of": duplicate_of,
        },
        to=[registration.contact_email],
        dedupe_key=f"screened_out:{rec.code}",
        rules=rules,
        message_domain=sender_domain(settings),
    )
    record(
        actor,
        "recommendation.screen_out",
        "recommendation",
        rec.code,
        now=now,
        reason_code=reason_code,
        reason=rec.scope_reason,
    )
    events.recommendation_screened_out.send(rec, now=now, rules=rules, calendar=calendar, settings=settings)
    return True
