"""The schema of every rules file in config/: pydantic models (unknown keys refused, strict types), one per
file (`MODELS`), and the value types they share. The YAML reader that keeps each value's line and the
problems it reports are in config/problems.py; checking a folder, with the cross-checks between files, is
config/check.py (`check_dir`). Nothing here knows Flask or the database; config/rules.py turns the checked
files into the `Rules` object.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator

FILES = ("plan.yaml", "departments.yaml", "zones.yaml", "fields.yaml", "holidays.yaml", "documents.yaml",
         "deadline_engine.yaml", "security.yaml")

EDIT_PERMISSION = "edit_rules_"


def edit_permission(file: str) -> str:
    """The `permissions:` action that lets a role change one rules file in the back office (plan.yaml)."""
    return EDIT_PERMISSION + file.removesuffix(".yaml")


# The milestones the plan cannot do without (the engine and the documents count from them).
REQUIRED_MILESTONES = ("announce_by", "intake_closes", "conference", "written_reply", "coordinated_reply")



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
    mail_rows_per_tick: PositiveInt = 5000  # messages one tick scrubs at most (a backlog waits for the next)


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
