"""The plan's rules, loaded from the YAML files in config/ into typed, validated objects.

Nothing here knows about Flask or the database: the domain modules take a `Rules` object.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml


class RulesError(ValueError):
    """A rules file is missing something or contradicts itself."""


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


@dataclass(frozen=True)
class Rules:
    plan: Plan
    departments: tuple[Department, ...]
    zones: tuple[Zone, ...]
    outside_zone: Zone
    fields: tuple[Field, ...]
    holidays: HolidayOverrides
    source_dir: Path

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


def read_yaml(path: Path) -> dict:
    """A rules file's mapping, or RulesError saying what is wrong with it."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesError(f"{path} is missing") from exc
    if not isinstance(data, dict):
        raise RulesError(f"{path} must hold a mapping")
    return data


def _read(directory: Path, name: str) -> dict:
    return read_yaml(directory / name)


def _require(mapping: dict, key: str, where: str):
    if key not in mapping:
        raise RulesError(f"{where}: '{key}' is required")
    return mapping[key]


def _parse_plan(data: dict) -> Plan:
    where = "plan.yaml"
    milestones = []
    for item in _require(data, "milestones", where):
        milestones.append(
            Milestone(
                name=_require(item, "name", where),
                offset=int(_require(item, "offset", where)),
                owner=_require(item, "owner", where),
                label=_require(item, "label", where),
                description=item.get("description", ""),
            )
        )
    names = [m.name for m in milestones]
    if len(set(names)) != len(names):
        raise RulesError(f"{where}: milestone names must be unique")
    for required in ("announce_by", "intake_closes", "conference", "written_reply", "coordinated_reply"):
        if required not in names:
            raise RulesError(f"{where}: milestone '{required}' is required")
    agency = _require(data, "agency", where)
    signer = _require(agency, "signer", where)
    scope = _require(data, "scope", where)
    return Plan(
        timezone=ZoneInfo(data.get("timezone", "Asia/Ho_Chi_Minh")),
        min_enterprises=int(_require(data, "min_enterprises", where)),
        min_recommendations=int(_require(data, "min_recommendations", where)),
        reminder_lead=int(_require(data, "reminder_lead", where)),
        end_of_day=dt.time.fromisoformat(str(data.get("end_of_day", "23:59:59"))),
        link_grace_days=int(data.get("link_grace_days", 30)),
        milestones=tuple(milestones),
        agency=Agency(
            superior=agency["superior"],
            name=agency["name"],
            short_name=agency["short_name"],
            abbreviation=agency["abbreviation"],
            place=agency["place"],
            signer=Signer(**signer),
        ),
        scope=Scope(**scope),
        permissions={k: tuple(v) for k, v in (data.get("permissions") or {}).items()},
    )


def _entries(items) -> tuple[CalendarEntry, ...]:
    return tuple(
        CalendarEntry(date=dt.date.fromisoformat(str(i["date"])), name=i["name"], source=i.get("source", ""))
        for i in items or ()
    )


def load_rules(directory: Path | str) -> Rules:
    directory = Path(directory)
    plan = _parse_plan(_read(directory, "plan.yaml"))
    fields = tuple(Field(code=f["code"], name=f["name"]) for f in _read(directory, "fields.yaml")["fields"])
    zones_data = _read(directory, "zones.yaml")
    zones = tuple(Zone(code=z["code"], name=z["name"], kind=z["kind"], office=z.get("office", ""))
                  for z in zones_data["zones"])
    outside = zones_data.get("outside", {"code": "NGOAI", "name": "Ngoài khu"})
    departments = tuple(
        Department(
            code=d["code"],
            name=d["name"],
            short=d.get("short", d["code"]),
            kind=d.get("kind", "internal"),
            emails=tuple(d.get("emails") or ()),
            head_email=d.get("head_email") or "",
            fields=tuple(d.get("fields") or ()),
            zones=tuple(d.get("zones") or ()),
            consolidates=bool(d.get("consolidates", False)),
        )
        for d in _read(directory, "departments.yaml")["departments"]
    )
    holidays_data = _read(directory, "holidays.yaml")
    rules = Rules(
        plan=plan,
        departments=departments,
        zones=zones,
        outside_zone=Zone(code=outside["code"], name=outside["name"], kind="outside", office=""),
        fields=fields,
        holidays=HolidayOverrides(
            days_off=_entries(holidays_data.get("days_off")),
            working_days=_entries(holidays_data.get("working_days")),
        ),
        source_dir=directory,
    )
    _check_references(rules)
    return rules


def _check_references(rules: Rules) -> None:
    codes = {d.code for d in rules.departments}
    field_codes = {f.code for f in rules.fields}
    zone_codes = {z.code for z in rules.zones}
    if sum(d.consolidates for d in rules.departments) != 1:
        raise RulesError("departments.yaml: exactly one department must have consolidates: true")
    for milestone in rules.plan.milestones:
        if milestone.owner not in codes:
            raise RulesError(f"plan.yaml: milestone {milestone.name} owner {milestone.owner} is not a department")
    for department in rules.departments:
        if department.kind not in ("internal", "external"):
            raise RulesError(f"departments.yaml: {department.code} kind must be internal or external")
        if not department.emails:
            raise RulesError(f"departments.yaml: {department.code} needs at least one email")
        unknown = set(department.fields) - field_codes
        if unknown:
            raise RulesError(f"departments.yaml: {department.code} names unknown fields {sorted(unknown)}")
        unknown = set(department.zones) - zone_codes
        if unknown:
            raise RulesError(f"departments.yaml: {department.code} names unknown zones {sorted(unknown)}")
    for zone in rules.zones:
        if zone.office and zone.office not in codes:
            raise RulesError(f"zones.yaml: {zone.code} office {zone.office} is not a department")


@cache
def load_rules_cached(directory: str) -> Rules:
    return load_rules(directory)
