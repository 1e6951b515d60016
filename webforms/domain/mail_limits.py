"""How many intake mails one address or one tax code may receive a day (issue 16, F8).

The public form mails the address a submitter types (a receipt) and, for a tax code already registered,
the contact on file (a confirmation request). Without a limit anyone could make the agency's sender mail
any address again and again. The counts are read from the rows those mails come from (registrations,
re-submissions) over the last 24 hours, in the submission's own transaction: no other service is needed,
so a Redis outage does not stop the intake. The numbers are in config/security.yaml (`intake`). Staff
entries are not limited.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, select

from webforms.extensions import db
from webforms.models import Registration, Resubmission

WINDOW = dt.timedelta(days=1)


# Built once: every public registration runs it (a reused statement keeps its memoized cache key).
_RECEIPTS_TO_ADDRESS = select(func.count(Registration.id)).where(
    Registration.receipt_sent_at > bindparam("since", type_=Registration.receipt_sent_at.type),
    func.lower(Registration.contact_email) == bindparam("address"),
)


def receipts_allowed(address: str, limit: int, *, now: dt.datetime) -> bool:
    """Whether one more receipt may go to `address` now: fewer than `limit` went to it in the last 24 hours
    (Registration.receipt_sent_at, set when a receipt is queued). One that may not is held, not dropped
    (intake.receipts)."""
    count = db.session.scalar(_RECEIPTS_TO_ADDRESS, {"since": now - WINDOW, "address": address.strip().lower()})
    return count < limit


def confirmation_allowed(enterprise_id: int, limit: int, *, now: dt.datetime) -> bool:
    """Whether one more re-submission of the enterprise's (not yet added) may be held and mailed."""
    count = db.session.scalar(
        select(func.count(Resubmission.id))
        .join(Registration, Registration.id == Resubmission.registration_id)
        .where(Registration.enterprise_id == enterprise_id, Resubmission.submitted_at > now - WINDOW)
    )
    return count < limit
