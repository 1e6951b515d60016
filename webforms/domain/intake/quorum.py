"""What arrived by the intake cutoff, counted once, and whether it makes the quorum."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from config.rules import Rules
from webforms.domain.intake.screening import ScreeningReason
from webforms.domain.intake.window import intake_closes_at
from webforms.domain.plan import conference_rules
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import (
    Conference,
    Recommendation,
    Registration,
    Scope,
)


@dataclass(frozen=True)
class IntakeFigures:
    """What arrived by the intake cutoff (plan I.2), counted once for the quorum, the dashboard, every
    document and the API (`intake_figures`).

    - `registrations`: enterprises registered by the close (late staff entries excluded);
    - `received`: their recommendations received by the close;
    - `out_of_scope`: of those, screened out, with `out_of_scope_reasons` as (reason code, count);
    - `in_scope` = received - out_of_scope. An item not screened yet (`unscreened`) counts as in scope:
      the plan excludes only what is shown to be outside it (I.3), and DN&GSĐT sees how many of the
      in-scope items are still unscreened;
    - `received_late`: recommendations entered after the close (kept and answered, never counted);
    - `attended`: registered enterprises checked in at the conference (`Registration.attended`).
    """

    registrations: int
    received: int
    out_of_scope: int
    out_of_scope_reasons: tuple[tuple[str, int], ...]
    unscreened: int
    received_late: int
    attended: int
    closes_at: dt.datetime

    @property
    def in_scope(self) -> int:
        return self.received - self.out_of_scope

    def as_dict(self) -> dict:
        return {
            "registrations": self.registrations,
            "attended": self.attended,
            "received": self.received,
            "out_of_scope": self.out_of_scope,
            "out_of_scope_reasons": [{"code": code, "count": n} for code, n in self.out_of_scope_reasons],
            "in_scope": self.in_scope,
            "unscreened": self.unscreened,
            "received_late": self.received_late,
            "closes_at": self.closes_at.isoformat(),
        }


def _counted_registrations(conference: Conference, closes_at: dt.datetime) -> list:
    return [
        Registration.conference_id == conference.id,
        Registration.late.is_(False),
        Registration.registered_at <= closes_at,
    ]


def _received_by_close(conference: Conference, closes_at: dt.datetime) -> list:
    """Recommendations received by the close from registrations counted by the close."""
    return [
        Recommendation.conference_id == conference.id,
        Recommendation.late.is_(False),
        Recommendation.received_at <= closes_at,
        *_counted_registrations(conference, closes_at),
    ]


def in_scope_recommendations(conference: Conference, rules: Rules, calendar: WorkingCalendar) -> list:
    """The recommendations `IntakeFigures.in_scope` counts, by field then receipt: what the documents'
    figures and Appendix I are made of."""
    closes_at = intake_closes_at(conference, rules, calendar)
    return list(
        db.session.scalars(
            select(Recommendation)
            .join(Registration, Registration.id == Recommendation.registration_id)
            .where(*_received_by_close(conference, closes_at), Recommendation.scope != Scope.OUT_OF_SCOPE)
            .order_by(Recommendation.field_code, Recommendation.received_at, Recommendation.id)
        )
    )


def attended_count(conference: Conference) -> int:
    """Enterprises checked in at the conference: the one reading of attendance."""
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.conference_id == conference.id, Registration.attended.is_(True)
        )
    ) or 0


def intake_figures(conference: Conference, rules: Rules, calendar: WorkingCalendar) -> IntakeFigures:
    closes_at = intake_closes_at(conference, rules, calendar)
    registrations = db.session.scalar(
        select(func.count(Registration.id)).where(*_counted_registrations(conference, closes_at))
    )
    rows = db.session.execute(
        select(Recommendation.scope, Recommendation.scope_reason_code, func.count(Recommendation.id))
        .join(Registration, Registration.id == Recommendation.registration_id)
        .where(*_received_by_close(conference, closes_at))
        .group_by(Recommendation.scope, Recommendation.scope_reason_code)
    ).all()
    received = sum(n for _, _, n in rows)
    reasons: dict[str, int] = {}
    for scope, code, n in rows:
        if scope == Scope.OUT_OF_SCOPE:
            reasons[code or ""] = reasons.get(code or "", 0) + n
    order = {code: i for i, code in enumerate(ScreeningReason)}
    total = db.session.scalar(
        select(func.count(Recommendation.id)).where(Recommendation.conference_id == conference.id)
    ) or 0
    return IntakeFigures(
        registrations=registrations or 0,
        received=received,
        out_of_scope=sum(reasons.values()),
        out_of_scope_reasons=tuple(sorted(reasons.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))),
        unscreened=sum(n for scope, _, n in rows if scope == Scope.PENDING),
        received_late=total - received,
        attended=attended_count(conference),
        closes_at=closes_at,
    )


@dataclass(frozen=True)
class Quorum:
    enterprises: int
    recommendations: int
    min_enterprises: int
    min_recommendations: int
    closes_at: dt.datetime
    figures: IntakeFigures | None = None

    @property
    def met(self) -> bool:
        return self.enterprises >= self.min_enterprises and self.recommendations >= self.min_recommendations

    def as_dict(self) -> dict:
        out = {
            "enterprises": self.enterprises,
            "recommendations": self.recommendations,
            "min_enterprises": self.min_enterprises,
            "min_recommendations": self.min_recommendations,
            "met": self.met,
            "closes_at": self.closes_at.isoformat(),
        }
        if self.figures is not None:
            out["figures"] = self.figures.as_dict()
        return out


def quorum(conference: Conference, rules: Rules, calendar: WorkingCalendar) -> Quorum:
    """Registered enterprises and their in-scope recommendations received by the intake cutoff (plan I.2),
    as `intake_figures` counts them. Late entries and screened-out items do not count."""
    figures = intake_figures(conference, rules, calendar)
    rules = conference_rules(conference, rules)  # the quorum it was announced with
    return Quorum(
        enterprises=figures.registrations,
        recommendations=figures.in_scope,
        min_enterprises=rules.plan.min_enterprises,
        min_recommendations=rules.plan.min_recommendations,
        closes_at=figures.closes_at,
        figures=figures,
    )
