"""Department rows mirror config/departments.yaml: the YAML is the source of truth."""

from __future__ import annotations

from sqlalchemy import select

from config.rules import Rules
from webforms.extensions import db
from webforms.models import Department


def sync_departments(rules: Rules) -> list[Department]:
    """Insert or update one row per department in the YAML; deactivate rows no longer there."""
    existing = {d.code: d for d in db.session.scalars(select(Department))}
    for spec in rules.departments:
        row = existing.pop(spec.code, None) or Department(code=spec.code)
        row.name = spec.name
        row.kind = spec.kind
        row.emails = list(spec.emails)
        row.head_email = spec.head_email
        row.fields = list(spec.fields)
        row.zones = list(spec.zones)
        row.consolidates = spec.consolidates
        row.active = True
        db.session.add(row)
    for gone in existing.values():
        gone.active = False
    db.session.flush()
    return list(db.session.scalars(select(Department).where(Department.active.is_(True))))


def department_by_code(code: str) -> Department | None:
    return db.session.scalar(select(Department).where(Department.code == code))
