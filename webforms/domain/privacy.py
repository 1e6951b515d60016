"""Personal data of one enterprise: export everything held, erase what the law allows (issue 16, item 11;
Law on Personal Data Protection 2025, Decree 13/2023/NĐ-CP). Both are audited.

Erasing removes the personal data of people (the contact person's name, position, e-mail and phone, the
attendees) from the enterprise's registrations and from held re-submissions. The enterprise's own business
data, its recommendations and the answers stay: they are records of a public administrative procedure,
and issued documents are kept as archives.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from webforms.domain.audit import Actor, record
from webforms.extensions import db
from webforms.models import (
    Attachment,
    AuditEvent,
    Enterprise,
    Recommendation,
    Registration,
    Resubmission,
)

ERASED = "[đã xóa]"
ERASED_EMAIL = "da-xoa@invalid"


class NotFound(LookupError):
    pass


def _enterprise(tax_code: str) -> Enterprise:
    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.tax_code == tax_code.strip()))
    if enterprise is None:
        raise NotFound(tax_code)
    return enterprise


def export_enterprise(tax_code: str, *, actor: Actor, now: dt.datetime) -> dict:
    """Everything held about the enterprise and the people it named, as plain data (JSON-ready)."""
    enterprise = _enterprise(tax_code)
    registrations = list(db.session.scalars(
        select(Registration).where(Registration.enterprise_id == enterprise.id).order_by(Registration.id)))
    codes = [r.tracking_code for r in registrations]
    rec_codes = []
    out_regs = []
    for reg in registrations:
        recs = list(db.session.scalars(
            select(Recommendation).where(Recommendation.registration_id == reg.id).order_by(Recommendation.seq)))
        rec_codes += [r.code for r in recs]
        out_regs.append({
            "conference": reg.conference.slug,
            "tracking_code": reg.tracking_code,
            "registered_at": reg.registered_at.isoformat(),
            "contact": {"name": reg.contact_name, "position": reg.contact_position, "email": reg.contact_email,
                        "phone": reg.contact_phone},
            "attendees": list(reg.attendees or []),
            "public_consent": reg.public_consent,
            "recommendations": [{
                "code": r.code, "title": r.title, "content": r.content, "field": r.field_code,
                "status": r.status, "answer": r.answer,
                "attachments": [{"name": a.original_name, "size": a.size, "sha256": a.sha256}
                                for a in db.session.scalars(select(Attachment).where(
                                    Attachment.recommendation_id == r.id))],
            } for r in recs],
            "resubmissions": [{"submitted_at": s.submitted_at.isoformat(), "payload": s.payload}
                              for s in db.session.scalars(select(Resubmission).where(
                                  Resubmission.registration_id == reg.id))],
        })
    events = db.session.scalars(select(AuditEvent).where(or_(
        (AuditEvent.target_kind == "enterprise") & (AuditEvent.target_id == enterprise.tax_code),
        (AuditEvent.target_kind == "registration") & AuditEvent.target_id.in_(codes or [""]),
        (AuditEvent.target_kind == "recommendation") & AuditEvent.target_id.in_(rec_codes or [""]),
    )).order_by(AuditEvent.id))
    data = {
        "enterprise": {"tax_code": enterprise.tax_code, "name": enterprise.name, "zone": enterprise.zone_code,
                       "address": enterprise.address, "sector": enterprise.sector},
        "registrations": out_regs,
        "history": [{"at": e.at.isoformat(), "action": e.action, "target": f"{e.target_kind}:{e.target_id}"}
                    for e in events],
    }
    record(actor, "privacy.export", "enterprise", enterprise.tax_code, now=now)
    return data


def erase_enterprise(tax_code: str, *, actor: Actor, now: dt.datetime) -> int:
    """Remove the people's data from the enterprise's registrations; the number of registrations changed."""
    enterprise = _enterprise(tax_code)
    changed = 0
    for reg in db.session.scalars(select(Registration).where(Registration.enterprise_id == enterprise.id)):
        reg.contact_name = ERASED
        reg.contact_position = ""
        reg.contact_email = ERASED_EMAIL
        reg.contact_phone = ""
        reg.attendees = []
        for held in db.session.scalars(select(Resubmission).where(Resubmission.registration_id == reg.id)):
            held.payload = {k: v for k, v in (held.payload or {}).items() if k not in ("contact", "attendees")}
        changed += 1
    record(actor, "privacy.erase", "enterprise", enterprise.tax_code, now=now, registrations=changed)
    return changed
