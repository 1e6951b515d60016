from __future__ import annotations

import datetime as dt
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webforms.extensions import db
from webforms.models.base import UTCDateTime
from webforms.timeutil import utcnow


class Role(StrEnum):
    ADMIN = "admin"
    SECRETARIAT = "secretariat"  # Văn phòng
    CONSOLIDATION = "consolidation"  # Phòng DN&GSĐT
    LEADER = "leader"  # lãnh đạo Ban


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Part of every session's id: raising it (logout, password change or reset, deactivation) ends them all.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.active

    def get_id(self) -> str:  # Flask-Login stores this in the session; the user loader checks both parts
        return f"{self.id}:{self.session_version or 0}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
