from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from webforms.extensions import db
from webforms.models.base import UTCDateTime
from webforms.timeutil import utcnow


class Enterprise(db.Model):
    """One row per tax code (MST), kept across conferences."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised: 10 digits, or 10 + "-" + 3 digits for a branch.
    tax_code: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    zone_code: Mapped[str] = mapped_column(String(40), index=True)
    address: Mapped[str] = mapped_column(String(500), default="")
    sector: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Enterprise {self.tax_code}>"
