"""One schema for every rules file in config/: pydantic models (unknown keys refused, strict types),
a YAML reader that keeps each value's line, and the cross-checks between files.

`check_dir(directory)` returns the validated files or raises `RulesError` whose lines each say the
file, the line, the key path and what was expected, e.g.
`config/fields.yaml:3: fields[0] → 'giấy chứng nhận đăng ký đầu tư': unknown key …`.
Nothing here knows Flask or the database; config/rules.py turns the result into the `Rules` object.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationError, model_validator

FILES = ("plan.yaml", "departments.yaml", "zones.yaml", "fields.yaml", "holidays.yaml", "documents.yaml",
         "deadline_engine.yaml", "security.yaml")

EDIT_PERMISSION = "edit_rules_"


def edit_permission(file: str) -> str:
    """The `permissions:` action that lets a role change one rules file in the back office (plan.yaml)."""
    return EDIT_PERMISSION + file.removesuffix(".yaml")


# The milestones the plan cannot do without (the engine and the documents count from them).
REQUIRED_MILESTONES = ("announce_by", "intake_closes", "conference", "written_reply", "coordinated_reply")


# -- problems ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class RulesError(ValueError):
    """A rules file is missing something or contradicts itself; `problems` lists each one."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(file="", line=None, path="", message=problems)]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# -- YAML with lines -----------------------------------------------------------------------------

@dataclass
class Located:
    """A file's data and the 1-based line of every key path in it."""

    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)
    flow_nulls: set[tuple] = field(default_factory=set)  # keys with no value inside {…}: a cut name

    def line(self, path: tuple) -> int | None:
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def read_located(path: Path, display: str) -> Located:
    """Parse a YAML file keeping lines; duplicate keys and syntax errors are problems too."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError([Problem(display, None, "", "the file is missing")]) from None
    except UnicodeDecodeError:
        raise RulesError([Problem(display, None, "", "the file is not UTF-8 text")]) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RulesError([Problem(display, line, "", f"not valid YAML: {exc.problem or exc.context}")]) from None
    finally:
        loader.dispose()
    located = Located(data=None)
    problems: list[Problem] = []

    def build(node, path: tuple):
        located.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | bool) and key is not None:
                    problems.append(Problem(display, key_node.start_mark.line + 1, _show(path),
                                            "a key must be a plain word"))
                    continue
                if key in result:
                    problems.append(Problem(display, key_node.start_mark.line + 1, _show(path + (key,)),
                                            "this key is given twice"))
                child = path + (key,)
                located.lines[child] = key_node.start_mark.line + 1
                if node.flow_style and isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(
                        ":null") and value_node.value == "":
                    located.flow_nulls.add(child)
                result[key] = build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [build(item, path + (i,)) for i, item in enumerate(node.value)]
        try:
            return loader.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError) as exc:  # e.g. 2026-02-30, a date that does not exist
            problems.append(Problem(display, node.start_mark.line + 1, _show(path),
                                    f"not a valid value: {node.value!r} ({exc})"))
            return None

    located.data = build(node, ()) if node is not None else None
    if problems:
        raise RulesError(problems)
    return located


def _show(path: tuple) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            shown = text if text.replace("_", "").isalnum() and text.isascii() else repr(text)
            out += f".{shown}" if out else shown
    return out or "(top)"


# -- value types ---------------------------------------------------------------------------------

def _email(value: str) -> str:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not an email address ({exc})") from None
    return value


def _zone_name(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a known time zone (e.g. Asia/Ho_Chi_Minh)") from None
    return value


def _time_of_day(value: str) -> str:
    try:
        dt.time.fromisoformat(value)
    except ValueError:
        raise ValueError("not a time of day HH:MM:SS (quote it: \"23:59:59\")") from None
    return value


Text = Annotated[str, StringConstraints(min_length=1)]
Code = Annotated[str, StringConstraints(min_length=1, pattern=r"^[A-Z0-9_-]+$")]
Email = Annotated[str, AfterValidator(_email)]
OptionalEmail = Annotated[str, AfterValidator(lambda v: _email(v) if v else v)]
PositiveInt = Annotated[int, AfterValidator(lambda v: _positive(v))]
KINDS = ("announcement", "invitation", "consolidated_table", "conclusion_notice", "results_report",
         "postponement_report", "conference_notice", "reply_letter", "budget_estimate")


def _positive(value: int) -> int:
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# -- plan.yaml -----------------------------------------------------------------------------------

class MilestoneModel(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    offset: int
    owner: Code
    label: Text
    description: str = ""


class SignerModel(Strict):
    authority: str  # "KT. TRƯỞNG BAN", "TL. TRƯỞNG BAN", or "" when the head signs
    title: Text
    name: Text


class AgencyModel(Strict):
    superior: Text
    name: Text
    short_name: Text
    abbreviation: Text
    place: Text
    signer: SignerModel


class ScopeModel(Strict):
    applies_to: Text
    covers: Text
    excludes: Text
    declaration: Text


class PlanFile(Strict):
    timezone: Annotated[str, AfterValidator(_zone_name)] = "Asia/Ho_Chi_Minh"
    min_enterprises: PositiveInt
    min_recommendations: PositiveInt
    reminder_lead: PositiveInt
    end_of_day: Annotated[str, AfterValidator(_time_of_day)] = "23:59:59"
    link_grace_days: PositiveInt = 30
    milestones: list[MilestoneModel]
    agency: AgencyModel
    scope: ScopeModel
    permissions: dict[str, list[str]] = {}


# -- departments.yaml ----------------------------------------------------------------------------

class DepartmentModel(Strict):
    code: Code
    name: Text
    short: str = ""
    # The unit's part of a document symbol and archive line ("QHXD" → "/BQL-QHXD", "Lưu: VP, QHXD");
    # empty: the code.
    symbol: str = ""
    kind: Literal["internal", "external"] = "internal"
    consolidates: bool = False
    emails: Annotated[list[Email], AfterValidator(lambda v: _nonempty(v, "at least one email"))]
    head_email: OptionalEmail = ""
    # The consolidating department's phone signs every email with its first address (emails/_closing.*).
    phone: str = ""
    fields: list[Code] = []
    zones: list[Code] = []


def _nonempty(value: list, what: str) -> list:
    if not value:
        raise ValueError(f"needs {what}")
    return value


class NotificationsModel(Strict):
    digest: bool = True
    escalate_overdue: bool = True
    leaders: Annotated[list[Email], AfterValidator(lambda v: _nonempty(v, "at least one email"))]
    weekly_summary_weekday: Annotated[int, AfterValidator(lambda v: _weekday(v))] = 1


def _weekday(value: int) -> int:
    if not 1 <= value <= 7:
        raise ValueError("must be an ISO weekday, 1 (Monday) to 7 (Sunday)")
    return value


class DepartmentsFile(Strict):
    departments: list[DepartmentModel]
    notifications: NotificationsModel


# -- zones.yaml, fields.yaml ---------------------------------------------------------------------

class ZoneModel(Strict):
    code: Code
    name: Text
    kind: Literal["economic_zone", "industrial_zone"]
    office: str = ""


class OutsideZoneModel(Strict):
    code: Code
    name: Text


class ZonesFile(Strict):
    zones: list[ZoneModel]
    outside: OutsideZoneModel = OutsideZoneModel(code="NGOAI", name="Ngoài khu")


class FieldModel(Strict):
    code: Code
    name: Text


class FieldsFile(Strict):
    fields: list[FieldModel]


# -- holidays.yaml -------------------------------------------------------------------------------

class CalendarEntryModel(Strict):
    date: dt.date
    name: Text
    source: str = ""  # the decision or official letter the day comes from


class HolidaysFile(Strict):
    # Years whose days off and make-up days the Government has announced and this file holds in full.
    confirmed_years: list[Annotated[int, AfterValidator(lambda v: _year(v))]] = []
    days_off: list[CalendarEntryModel] = []
    working_days: list[CalendarEntryModel] = []


def _year(value: int) -> int:
    if not 2000 <= value <= 2100:
        raise ValueError("must be a year such as 2026")
    return value


# -- documents.yaml ------------------------------------------------------------------------------

class NumberingModel(Strict):
    blank_number: bool = True
    blank: str = "      "
    symbols: dict[Literal[KINDS], Text]  # type: ignore[valid-type]


class LinksModel(Strict):
    conference_page: Annotated[str, StringConstraints(pattern=r"^/.*\{slug\}")]


class SignerEntry(Strict):
    """Who signs one kind of document: the authority line, the title, the name."""

    authority: str = ""
    title: Text
    name: str = ""  # empty: left for the signer to write (e.g. a table sent as an attachment)


class ReplySigners(Strict):
    default: SignerEntry | None = None
    by_field: dict[Code, SignerEntry] = {}


class SignersModel(Strict):
    announcement: SignerEntry | None = None
    invitation: SignerEntry | None = None
    consolidated_table: SignerEntry | None = None
    conclusion_notice: SignerEntry | None = None
    results_report: SignerEntry | None = None
    postponement_report: SignerEntry | None = None
    conference_notice: SignerEntry | None = None
    reply_letter: ReplySigners | None = None
    budget_estimate: SignerEntry | None = None


class ColumnModel(Strict):
    title: Text
    cell: Literal["index", "label", "value", "unit"]


METRICS = ("enterprises_registered", "enterprises_attending", "recommendations_received", "in_scope",
           "out_of_scope", "answered_at_conference", "answered_in_writing_on_time", "overdue", "pending")


class AppendixRow(Strict):
    label: Text
    metric: Literal[METRICS] | None = None  # type: ignore[valid-type]
    group: Literal["by_field", "by_department"] | None = None
    unit: str = ""

    @model_validator(mode="after")
    def _one_of(self):
        if (self.metric is None) == (self.group is None):
            raise ValueError("a row names either a metric or a group")
        return self


class AppendixModel(Strict):
    title: Text
    columns: Annotated[list[ColumnModel], AfterValidator(lambda v: _four(v))]
    rows: list[AppendixRow]


def _four(value: list) -> list:
    if len(value) != 4:
        raise ValueError("exactly four columns (the template's table has four)")
    return value


class BudgetItem(Strict):
    name: Text
    unit: Text
    quantity: Annotated[int, AfterValidator(lambda v: _positive(v))]
    unit_price: Annotated[int, AfterValidator(lambda v: _positive(v))]


class BudgetModel(Strict):
    source: Text
    items: list[BudgetItem]


class DocumentsFile(Strict):
    numbering: NumberingModel
    links: LinksModel
    chair: Text
    signers: SignersModel = SignersModel()
    recipients: dict[Literal[KINDS], list[Text]]  # type: ignore[valid-type]
    addressees: dict[Literal[KINDS], list[Text]] = {}  # type: ignore[valid-type]
    status_labels: dict[Literal["received", "screened_out", "assigned", "answered_at_conference",
                                "answered_in_writing"], Text]
    answer_mode_labels: dict[Literal["at_conference", "in_writing", ""], Text]
    appendix_i: AppendixModel
    budget: BudgetModel


# -- deadline_engine.yaml, security.yaml ---------------------------------------------------------

class DeadlineEngineFile(Strict):
    office: Code
    event_hours: Annotated[int | float, AfterValidator(lambda v: _hours(v))] = 4


def _hours(value: float) -> float:
    if not 0 < value <= 24:
        raise ValueError("must be between 0 and 24 hours")
    return value


class LoginModel(Strict):
    max_failures: PositiveInt = 5
    lockout_minutes: PositiveInt = 15
    per_address: str = "20 per minute; 200 per hour"  # Flask-Limiter syntax (issue 16, F9)
    per_account: str = "10 per minute; 60 per hour"


class SessionModel(Strict):
    staff_hours: PositiveInt = 8  # issue 16, F5


class IntakeLimitsModel(Strict):
    receipts_per_address_per_day: PositiveInt = 5  # issue 16, F8
    confirmations_per_tax_code_per_day: PositiveInt = 3


class RetentionModel(Strict):
    """Days each kind of personal data is kept (issue 16, item 11); the daily anonymisation acts past them."""

    contacts_days: PositiveInt = 730  # a registration's contact person, counted from the conference date
    attendees_days: PositiveInt = 365  # the people a registration names as attendees, idem
    invitees_days: PositiveInt = 730  # invitees' e-mail addresses, idem
    resubmissions_days: PositiveInt = 90  # held re-submissions (confirmed or expired), from their submission
    mail_days: PositiveInt = 365  # sent e-mails' addresses and bodies in the outbox, from when written


class PasswordModel(Strict):
    min_length: Annotated[int, AfterValidator(lambda v: v if v >= 12 else _fail("must be 12 or more"))] = 12


def _fail(message: str):
    raise ValueError(message)


class SecurityFile(Strict):
    login: LoginModel = LoginModel()
    password: PasswordModel = PasswordModel()
    session: SessionModel = SessionModel()
    intake: IntakeLimitsModel = IntakeLimitsModel()
    retention: RetentionModel = RetentionModel()
    page_size: PositiveInt = 50


MODELS: dict[str, type[Strict]] = {
    "plan.yaml": PlanFile,
    "departments.yaml": DepartmentsFile,
    "zones.yaml": ZonesFile,
    "fields.yaml": FieldsFile,
    "holidays.yaml": HolidaysFile,
    "documents.yaml": DocumentsFile,
    "deadline_engine.yaml": DeadlineEngineFile,
    "security.yaml": SecurityFile,
}


# -- checking a folder ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckedRules:
    directory: Path
    plan: PlanFile
    departments: DepartmentsFile
    zones: ZonesFile
    fields: FieldsFile
    holidays: HolidaysFile
    documents: DocumentsFile
    deadline_engine: DeadlineEngineFile
    security: SecurityFile


def _display(directory: Path, name: str) -> str:
    path = directory / name
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _explain(error: dict, located: Located, key_path: tuple) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        if key_path in located.flow_nulls:
            return ("unknown key: an unquoted comma inside {…} cut the value before it; "
                    "quote the whole value, e.g. name: \"…, …\"")
        close = difflib.get_close_matches(str(key_path[-1]) if key_path else "", _known_keys(), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see the comments in the file for the keys it takes"
        return f"unknown key ({hint})"
    if kind == "missing":
        return "this key is required"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    got = error.get("input")
    if kind not in ("missing",) and not isinstance(got, dict | list):
        message += f" (found {got!r})"
    return message


def _known_keys() -> list[str]:
    keys: set[str] = set()
    seen: set[type] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            keys.add(name)
            for arg in _types_in(info.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    walk(arg)

    for model in MODELS.values():
        walk(model)
    return sorted(keys)


def _types_in(annotation) -> list:
    found = [annotation]
    for arg in getattr(annotation, "__args__", ()) or ():
        found += _types_in(arg)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None:
        found.append(origin)
    return found


def _validate(name: str, located: Located, display: str) -> tuple[Strict | None, list[Problem]]:
    model = MODELS[name]
    data = located.data
    if not isinstance(data, dict):
        return None, [Problem(display, 1, "", "the file must hold a mapping of keys")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems, found = [], []
        for error in exc.errors():
            key_path = _data_path(located.data, error["loc"])
            found.append((error["type"], key_path))
            problems.append(Problem(display, located.line(key_path), _show(key_path),
                                    _explain(error, located, key_path)))
        # A misspelt key is one problem, not two: drop "required" for the key the misspelling stands for.
        suggested = {(path[:-1], close) for kind, path in found if kind == "extra_forbidden" and path
                     for close in difflib.get_close_matches(str(path[-1]), _known_keys(), n=1)}
        kept = [p for (kind, path), p in zip(found, problems, strict=True)
                if not (kind == "missing" and path and (path[:-1], path[-1]) in suggested)]
        return None, sorted(kept, key=lambda p: p.line or 0)


def _data_path(data, loc: tuple) -> tuple:
    """pydantic's error location without its union and key tags: the keys as they are in the file."""
    path, here = [], data
    for i, part in enumerate(loc):
        if isinstance(here, dict) and part in here:
            path.append(part)
            here = here[part]
        elif isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            path.append(part)
            here = here[part]
        elif i == len(loc) - 1 and isinstance(part, str) and not part.startswith("["):
            path.append(part)  # a missing key
    return tuple(path)


def check_dir(directory: Path | str, *, known_milestones: frozenset[str] | None = None,
              known_roles: frozenset[str] | None = None) -> CheckedRules:
    """Every file of the folder against its schema, then the cross-checks; RulesError lists all problems."""
    directory = Path(directory)
    problems: list[Problem] = []
    located: dict[str, Located] = {}
    checked: dict[str, Strict] = {}
    for name in FILES:
        display = _display(directory, name)
        try:
            located[name] = read_located(directory / name, display)
        except RulesError as exc:
            problems += exc.problems
            continue
        model, found = _validate(name, located[name], display)
        problems += found
        if model is not None:
            checked[name] = model
    if problems:
        raise RulesError(problems)
    rules = CheckedRules(directory=directory, **{name.removesuffix(".yaml"): checked[name] for name in FILES})
    problems = _cross_check(rules, located, directory, known_milestones, known_roles)
    if problems:
        raise RulesError(problems)
    return rules


def _cross_check(rules: CheckedRules, located: dict[str, Located], directory: Path,
                 known_milestones: frozenset[str] | None, known_roles: frozenset[str] | None) -> list[Problem]:
    problems: list[Problem] = []

    def problem(name: str, path: tuple, message: str) -> None:
        problems.append(Problem(_display(directory, name), located[name].line(path), _show(path), message))

    def unique(name: str, items, key: str, list_key: str) -> None:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            value = getattr(item, key)
            if value in seen:
                problem(name, (list_key, i, key), f"'{value}' is already used by {list_key}[{seen[value]}]")
            seen.setdefault(value, i)

    plan, deps = rules.plan, rules.departments
    unique("plan.yaml", plan.milestones, "name", "milestones")
    unique("departments.yaml", deps.departments, "code", "departments")
    unique("zones.yaml", rules.zones.zones, "code", "zones")
    unique("fields.yaml", rules.fields.fields, "code", "fields")
    dept_codes = {d.code for d in deps.departments}
    field_codes = {f.code for f in rules.fields.fields}
    zone_codes = {z.code for z in rules.zones.zones}
    if rules.zones.outside.code in zone_codes:
        problem("zones.yaml", ("outside", "code"), "must differ from every zone's code")

    # Milestones: each known to the engine, each owned by a department, the required ones present, in order.
    names = {m.name: i for i, m in enumerate(plan.milestones)}
    for i, milestone in enumerate(plan.milestones):
        if known_milestones is not None and milestone.name not in known_milestones:
            problem("plan.yaml", ("milestones", i, "name"),
                    f"unknown milestone '{milestone.name}': the engine has no handler for it "
                    f"(known: {', '.join(sorted(known_milestones))})")
        if milestone.owner not in dept_codes:
            problem("plan.yaml", ("milestones", i, "owner"), f"'{milestone.owner}' is not a department code "
                                                             "in departments.yaml")
    for required in REQUIRED_MILESTONES:
        if required not in names:
            problem("plan.yaml", ("milestones",), f"milestone '{required}' is required")
    offsets = {m.name: m.offset for m in plan.milestones}
    order = [("announce_by", "intake_closes", "the announcement comes before the intake closes"),
             ("intake_closes", "conference", "the intake closes before the conference day (D)"),
             ("conference", "written_reply", "written replies are due after the conference"),
             ("written_reply", "coordinated_reply", "coordinated replies are due no earlier than written ones")]
    for before, after, why in order:
        if before in offsets and after in offsets:
            strict = (before, after) != ("written_reply", "coordinated_reply")
            bad = offsets[before] >= offsets[after] if strict else offsets[before] > offsets[after]
            if bad:
                problem("plan.yaml", ("milestones", names[after], "offset"),
                        f"offset {offsets[after]} of '{after}' is out of order: {why} "
                        f"('{before}' is {offsets[before]})")
    if "conference" in offsets and offsets["conference"] != 0:
        problem("plan.yaml", ("milestones", names["conference"], "offset"), "the conference day is D: offset 0")

    # Permissions name real roles; a per-file edit permission names a rules file.
    for action in plan.permissions:
        if action.startswith(EDIT_PERMISSION) and action not in {edit_permission(f) for f in FILES}:
            problem("plan.yaml", ("permissions", action),
                    f"'{action}' names no rules file (one of: "
                    f"{', '.join(edit_permission(f) for f in FILES)})")
    for action, roles in plan.permissions.items():
        for j, role in enumerate(roles):
            if known_roles is not None and role not in known_roles:
                problem("plan.yaml", ("permissions", action, j),
                        f"unknown role '{role}' (roles: {', '.join(sorted(known_roles))})")

    # Departments: one consolidates; fields and zones exist; every field is routed to somebody.
    consolidating = [d for d in deps.departments if d.consolidates]
    if len(consolidating) != 1:
        problem("departments.yaml", ("departments",),
                f"exactly one department must have consolidates: true (found {len(consolidating)})")
    for i, dep in enumerate(deps.departments):
        for j, code in enumerate(dep.fields):
            if code not in field_codes:
                problem("departments.yaml", ("departments", i, "fields", j), f"'{code}' is not a field in "
                                                                            "fields.yaml")
        for j, code in enumerate(dep.zones):
            if code not in zone_codes:
                problem("departments.yaml", ("departments", i, "zones", j), f"'{code}' is not a zone in zones.yaml")
        if dep.consolidates and dep.kind != "internal":
            problem("departments.yaml", ("departments", i, "kind"), "the consolidating department is internal")
    routed = {code for d in deps.departments for code in d.fields}
    for i, fld in enumerate(rules.fields.fields):
        if fld.code not in routed:
            problem("fields.yaml", ("fields", i, "code"),
                    f"field '{fld.code}' is named by no department (add it to the fields of the unit that "
                    "answers it, or of the outside agency consulted on it)")
    for i, zone in enumerate(rules.zones.zones):
        if zone.office and zone.office not in dept_codes:
            problem("zones.yaml", ("zones", i, "office"), f"'{zone.office}' is not a department in departments.yaml")

    # Other files' references.
    if rules.deadline_engine.office not in dept_codes:
        problem("deadline_engine.yaml", ("office",), f"'{rules.deadline_engine.office}' is not a department in "
                                                     "departments.yaml")
    docs = rules.documents
    for kind in KINDS:
        if kind not in docs.numbering.symbols:
            problem("documents.yaml", ("numbering", "symbols"), f"the symbol of '{kind}' is required")
        if kind not in docs.recipients:
            problem("documents.yaml", ("recipients",), f"the recipients of '{kind}' are required")
    for kind, symbol in docs.numbering.symbols.items():
        _placeholders(problem, ("numbering", "symbols", kind), symbol, kind)
    for kind, lines in docs.recipients.items():
        for j, line in enumerate(lines):
            _placeholders(problem, ("recipients", kind, j), line, kind)
    if docs.signers.reply_letter is not None:
        for code in docs.signers.reply_letter.by_field:
            if code not in field_codes:
                problem("documents.yaml", ("signers", "reply_letter", "by_field", code),
                        f"'{code}' is not a field in fields.yaml")
    return problems


def _placeholders(problem, path: tuple, text: str, kind: str) -> None:
    rest = text.replace("{unit}", "") if kind == "reply_letter" else text
    if "{" in rest or "}" in rest:
        allowed = "only {unit} (the drafting unit's symbol)" if kind == "reply_letter" else "no {…}"
        problem("documents.yaml", path, f"{allowed} may appear here (found {text!r})")


def engine_milestones() -> frozenset[str]:
    """The milestone names the deadline engine has a handler for (webforms/domain/tick.py)."""
    from webforms.domain.tick import handled_milestones

    return frozenset(handled_milestones())


def staff_roles() -> frozenset[str]:
    from webforms.models.user import Role

    return frozenset(role.value for role in Role)
