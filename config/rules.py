"""The plan's rules, loaded from the YAML files in config/ into typed, validated objects.

Nothing here knows about Flask or the database: the domain modules take a `Rules` object. The one
schema and its cross-checks are in config/schema.py; `check_rules` gives them the milestones the deadline
engine handles and the staff roles, imported when the check runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from config.check import CheckedRules, check_dir, engine_milestones, staff_roles
from config.problems import RulesError

__all__ = ["Rules", "RulesError", "check_rules", "load_rules"]


@dataclass(frozen=True)
class Milestone:
    name: str
    offset: int  # working days from the conference date; negative = before
    owner: str  # department code
    label: str
    description: str


@dataclass(frozen=True)
class Signer:
    authority: str
    title: str
    name: str


@dataclass(frozen=True)
class Agency:
    superior: str
    name: str
    short_name: str
    abbreviation: str
    place: str
    signer: Signer


@dataclass(frozen=True)
class Scope:
    applies_to: str
    covers: str
    excludes: str
    declaration: str


@dataclass(frozen=True)
class Plan:
    timezone: ZoneInfo
    min_enterprises: int
    min_recommendations: int
    reminder_lead: int
    end_of_day: dt.time
    link_grace_days: int
    milestones: tuple[Milestone, ...]
    agency: Agency
    scope: Scope
    permissions: dict[str, tuple[str, ...]]

    def may(self, role: str, action: str) -> bool:
        return role in self.permissions.get(action, ())

    def milestone(self, name: str) -> Milestone:
        for milestone in self.milestones:
            if milestone.name == name:
                return milestone
        raise KeyError(name)

    def offset(self, name: str) -> int:
        return self.milestone(name).offset


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    short: str
    kind: str  # internal | external
    emails: tuple[str, ...]
    head_email: str
    fields: tuple[str, ...]
    zones: tuple[str, ...]
    consolidates: bool = False
    symbol: str = ""  # the unit's part of a document symbol and archive line ("QHXD")
    phone: str = ""  # shown in the sender block of every email (the consolidating department's)

    @property
    def is_internal(self) -> bool:
        return self.kind == "internal"


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    kind: str
    office: str


@dataclass(frozen=True)
class Field:
    code: str
    name: str


@dataclass(frozen=True)
class CalendarEntry:
    date: dt.date
    name: str
    source: str


@dataclass(frozen=True)
class HolidayOverrides:
    days_off: tuple[CalendarEntry, ...]
    working_days: tuple[CalendarEntry, ...]
    confirmed_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class Rules:
    plan: Plan
    departments: tuple[Department, ...]
    zones: tuple[Zone, ...]
    outside_zone: Zone
    fields: tuple[Field, ...]
    holidays: HolidayOverrides
    source_dir: Path
    # Every file as the schema validated it (config/schema.py): documents, security, deadline_engine, …
    checked: CheckedRules | None = None
    # The number of the version these rules are (webforms/domain/rules_versions.py); 1: the shipped folder.
    version: int = 1

    def department(self, code: str) -> Department:
        for department in self.departments:
            if department.code == code:
                return department
        raise KeyError(code)

    @property
    def consolidating_department(self) -> Department:
        return next(d for d in self.departments if d.consolidates)

    def zone(self, code: str) -> Zone | None:
        return next((z for z in self.zones if z.code == code), None)

    def field(self, code: str) -> Field | None:
        return next((f for f in self.fields if f.code == code), None)


def check_rules(directory: Path | str) -> CheckedRules:
    """Every file in the folder against the one schema and the cross-checks, with the engine's milestones
    and the staff roles; RulesError names the file, the line, the key path and what was expected."""
    return check_dir(directory, known_milestones=engine_milestones(), known_roles=staff_roles())


def _signer(model) -> Signer:
    return Signer(authority=model.authority, title=model.title, name=model.name)


def _entries(items) -> tuple[CalendarEntry, ...]:
    return tuple(CalendarEntry(date=i.date, name=i.name, source=i.source) for i in items)


def load_rules(directory: Path | str) -> Rules:
    directory = Path(directory)
    checked = check_rules(directory)
    plan_file, agency = checked.plan, checked.plan.agency
    plan = Plan(
        timezone=ZoneInfo(plan_file.timezone),
        min_enterprises=plan_file.min_enterprises,
        min_recommendations=plan_file.min_recommendations,
        reminder_lead=plan_file.reminder_lead,
        end_of_day=dt.time.fromisoformat(plan_file.end_of_day),
        link_grace_days=plan_file.link_grace_days,
        milestones=tuple(Milestone(name=m.name, offset=m.offset, owner=m.owner, label=m.label,
                                   description=m.description) for m in plan_file.milestones),
        agency=Agency(superior=agency.superior, name=agency.name, short_name=agency.short_name,
                      abbreviation=agency.abbreviation, place=agency.place, signer=_signer(agency.signer)),
        scope=Scope(**checked.plan.scope.model_dump()),
        permissions={k: tuple(v) for k, v in plan_file.permissions.items()},
    )
    outside = checked.zones.outside
    return Rules(
        plan=plan,
        departments=tuple(
            Department(code=d.code, name=d.name, short=d.short or d.code, kind=d.kind, emails=tuple(d.emails),
                       head_email=d.head_email, fields=tuple(d.fields), zones=tuple(d.zones),
                       consolidates=d.consolidates, symbol=d.symbol or d.code, phone=d.phone)
            for d in checked.departments.departments
        ),
        zones=tuple(Zone(code=z.code, name=z.name, kind=z.kind, office=z.office) for z in checked.zones.zones),
        outside_zone=Zone(code=outside.code, name=outside.name, kind="outside", office=""),
        fields=tuple(Field(code=f.code, name=f.name) for f in checked.fields.fields),
        holidays=HolidayOverrides(
            days_off=_entries(checked.holidays.days_off),
            working_days=_entries(checked.holidays.working_days),
            confirmed_years=tuple(checked.holidays.confirmed_years),
        ),
        source_dir=directory,
        checked=checked,
    )
