from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webforms.extensions import db
from webforms.models.base import UTCDateTime


class RulesVersion(db.Model):
    """One applied version of the rules: every file's text as it was checked (config/schema.py), who applied
    it, when and why. The database is the one source every process loads its rules from
    (webforms/rules_reload.py); the shipped config/ folder is version 1 until the first change."""

    __tablename__ = "rules_versions"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    files: Mapped[dict] = mapped_column(JSON)  # file name -> text, all of config/schema.py FILES
    changed: Mapped[list] = mapped_column(JSON, default=list)  # names of the files that differ from number - 1
    applied_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    applied_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<RulesVersion {self.number}>"
