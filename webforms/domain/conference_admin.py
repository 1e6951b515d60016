"""The Office's operations on a conference: edit, invitee lists (CSV import), publish, postpone,
cancel, mark held. Each takes `now` and an actor, writes an audit event and leaves the commit to
the caller; emails go through the outbox in the same transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import select, update

from config.rules import Rules
from webforms.domain.audit import Actor, record
from webforms.domain.conferences import (
    ConferenceError,
    announce_conference,
    refuse_day_off,
    warn_unconfirmed_window,
)
from webforms.domain.deadlines import recompute_open_deadlines
from webforms.domain.documents.notices import draft_conference_notice
from webforms.domain.lifecycle import can_move_conference, move_conference
from webforms.domain.mail import AddressError, checked_address, sender_domain
from webforms.domain.outbox import queue_template
from webforms.domain.plan import milestone_due
from webforms.domain.text import clean_text
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import (
    Conference,
    ConferenceStatus,
    Enterprise,
    Invitee,
    InviteeCategory,
    Recommendation,
    Registration,
)

FORMATS = ("in_person", "online", "hybrid")
# Statuses from which the conference can still be moved or called off.
OPEN_FOR_CHANGE = (ConferenceStatus.DRAFT, ConferenceStatus.ANNOUNCED, ConferenceStatus.INTAKE_CLOSED,
                   ConferenceStatus.CONFIRMED, ConferenceStatus.POSTPONEMENT_PROPOSED)
CAN_BE_HELD = (ConferenceStatus.ANNOUNCED, ConferenceStatus.INTAKE_CLOSED, ConferenceStatus.CONFIRMED)
# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_IMPORT_ROWS = 2000


def update_conference(conference: Conference, *, title: str, starts_at: dt.datetime, venue: str,
                      format: str, host_agency: str, signer_authority: str, signer_title: str,  # noqa: A002
                      signer_name: str, announcement_text: str, now: dt.datetime, actor: Actor,
                      rules: Rules | None = None, calendar: WorkingCalendar | None = None) -> None:
    if starts_at.tzinfo is None:
        raise ConferenceError("starts_at must carry a time zone")
    if conference.status == ConferenceStatus.CANCELLED:
        raise ConferenceError("a cancelled conference cannot be edited")
    if format not in FORMATS:
        raise ConferenceError(f"unknown format {format}")
    title, venue = clean_text(title), clean_text(venue)
    if not title or not venue:
        raise ConferenceError("title and venue are required")
    changed_date = conference.starts_at != starts_at
    if changed_date and conference.status not in (ConferenceStatus.DRAFT,):
        raise ConferenceError("the date of an announced conference changes only by postponing it")
    if changed_date and rules is not None:
        refuse_day_off(starts_at, rules, calendar)
    conference.title = title
    conference.starts_at = starts_at
    conference.venue = venue
    conference.format = format
    conference.host_agency = clean_text(host_agency) or conference.host_agency
    conference.signer_authority = clean_text(signer_authority)
    conference.signer_title = clean_text(signer_title)
    conference.signer_name = clean_text(signer_name)
    conference.announcement_text = clean_text(announcement_text, multiline=True)
    conference.updated_at = now
    record(actor, "conference.update", "conference", conference.slug, now=now)


def publish_announcement(conference: Conference, *, now: dt.datetime, rules: Rules, calendar: WorkingCalendar,
                         actor: Actor, late_reason: str = "") -> bool:
    return announce_conference(conference, now=now, rules=rules, calendar=calendar, actor=actor,
                               late_reason=late_reason)


def mark_held(conference: Conference, *, now: dt.datetime, actor: Actor) -> None:
    if conference.status not in CAN_BE_HELD:
        raise ConferenceError(f"a conference in status {conference.status} cannot be marked held")
    move_conference(conference, ConferenceStatus.HELD)
    conference.held_at = now
    record(actor, "conference.held", "conference", conference.slug, now=now)


# -- postpone and cancel: status, reason, everyone concerned emailed -----------------------------

class Concerned(NamedTuple):
    """Someone a postponement or cancellation is mailed to. `name` is empty for an enterprise's contact whose
    address is not confirmed (issue 16, F8): the mail then greets the contact of the tax code instead."""

    name: str
    email: str
    tax_code: str = ""


def people_concerned(conference: Conference) -> list[Concerned]:
    """Every registration's contact and every invitee with an email, once each (by address)."""
    seen: dict[str, Concerned] = {}
    rows = [
        Concerned(name if confirmed else "", email, tax_code)
        for name, email, confirmed, tax_code in db.session.execute(
            select(Registration.contact_name, Registration.contact_email, Registration.contact_confirmed_at,
                   Enterprise.tax_code)
            .join(Enterprise, Enterprise.id == Registration.enterprise_id)
            .where(Registration.conference_id == conference.id).order_by(Registration.id)
        )
    ]
    rows += [  # typed by staff
        Concerned(name, email) for name, email in db.session.execute(
            select(Invitee.name, Invitee.email).where(Invitee.conference_id == conference.id, Invitee.email != "")
            .order_by(Invitee.id)
        )
    ]
    for person in rows:
        key = (person.email or "").strip().lower()
        if key and key not in seen:
            seen[key] = person
    return list(seen.values())


def _notify(conference: Conference, template: str, key: str, context: dict, attachments: list = (), *,
            rules: Rules, settings) -> int:
    sent = 0
    for person in people_concerned(conference):
        try:
            address = checked_address(person.email)
        except AddressError:
            continue  # an invitee typed by hand with a bad address: skipped, the rest still go out
        queue_template(template, {**context, "conference": conference, "recipient_name": person.name,
                                  "recipient_tax_code": person.tax_code}, to=[address],
                       dedupe_key=f"{key}:{address.lower()}"[:200], attachments=attachments, rules=rules,
                       message_domain=sender_domain(settings))
        sent += 1
    return sent


def postpone_conference(conference: Conference, *, new_starts_at: dt.datetime, reason: str, now: dt.datetime,
                        actor: Actor, rules: Rules, settings, calendar: WorkingCalendar | None = None) -> int:
    """Move the conference to a new date: a new cycle of the plan's milestones begins (the old cycle's
    runs stay as history), the conference goes back to draft until it is announced for the new date
    (plan III.3: the notice applies again), and every open assignment deadline follows the new date
    in this transaction, each department whose deadline moved told once."""
    reason = clean_text(reason, multiline=True)
    if not reason:
        raise ConferenceError("a reason is required")
    if new_starts_at.tzinfo is None:
        raise ConferenceError("starts_at must carry a time zone")
    if conference.status not in OPEN_FOR_CHANGE or not can_move_conference(conference, ConferenceStatus.DRAFT):
        raise ConferenceError(f"a conference in status {conference.status} cannot be postponed")
    if new_starts_at <= now:
        raise ConferenceError("the new date must be in the future")
    if new_starts_at == conference.starts_at:
        if conference.cycle > 1 and conference.status == ConferenceStatus.DRAFT:
            return 0  # postponed to this date already (a double submit): nothing more to do or send
        raise ConferenceError("the new date is the current date")
    refuse_day_off(new_starts_at, rules, calendar)
    old, old_status, old_cycle = conference.starts_at, conference.status, conference.cycle
    announced = conference.announced_at is not None
    move_conference(conference, ConferenceStatus.DRAFT, reason=reason)
    conference.starts_at = new_starts_at
    conference.cycle = (conference.cycle or 1) + 1
    # The announcement was for the old date; its times stay in the audit trail of the old cycle.
    conference.announced_at = conference.posted_portal_at = conference.posted_one_stop_at = None
    conference.late_announcement_reason = ""
    # A draft again: the plan in force applies until it is announced for the new date (domain.plan.kept_plan).
    conference.rules_version = conference.plan_terms = None
    conference.updated_at = now
    record(actor, "conference.postpone", "conference", conference.slug, now=now,
           old=old.isoformat(), new=new_starts_at.isoformat(), reason=reason, old_status=old_status,
           old_cycle=old_cycle, cycle=conference.cycle)
    if calendar is not None:
        warn_unconfirmed_window(conference, rules, calendar, now, settings=settings)
        # What came in after the old date's intake closed is in time for the new date's.
        closes_at = milestone_due(new_starts_at, "intake_closes", rules.plan, calendar).due
        db.session.execute(update(Registration).where(Registration.conference_id == conference.id,
                                                      Registration.registered_at <= closes_at)
                           .values(late=False))
        db.session.execute(update(Recommendation).where(Recommendation.conference_id == conference.id,
                                                        Recommendation.received_at <= closes_at)
                           .values(late=False))
        recompute_open_deadlines(db.session, conference, rules, calendar, now,
                                 "postponed", new_starts_at=new_starts_at, actor=actor,
                                 message_domain=sender_domain(settings))
    # Told at once; the notice itself goes out when it is issued (no draft attached).
    draft_conference_notice(conference, "postponed", now=now, reason=reason, announced=announced, old_starts_at=old,
                            rules=rules, settings=settings)
    return _notify(conference, "conference_postponed_to_participant",
                   f"postponed:{conference.slug}:{new_starts_at.isoformat()}",
                   {"old_starts_at": old, "reason": reason}, rules=rules, settings=settings)


def cancel_conference(conference: Conference, *, reason: str, now: dt.datetime, actor: Actor, rules: Rules,
                      settings) -> int:
    reason = clean_text(reason, multiline=True)
    if not reason:
        raise ConferenceError("a reason is required")
    if conference.status not in OPEN_FOR_CHANGE:
        raise ConferenceError(f"a conference in status {conference.status} cannot be cancelled")
    move_conference(conference, ConferenceStatus.CANCELLED, reason=reason)
    record(actor, "conference.cancel", "conference", conference.slug, now=now, reason=reason)
    draft_conference_notice(conference, "cancelled", now=now, reason=reason,
                            announced=conference.announced_at is not None, rules=rules, settings=settings)
    return _notify(conference, "conference_cancelled_to_participant", f"cancelled:{conference.slug}",
                   {"reason": reason}, rules=rules, settings=settings)


# -- invitees -------------------------------------------------------------------------------------

# Header words accepted for each column, Vietnamese and English, compared without case.
COLUMN_NAMES = {
    "category": ("category", "nhóm", "nhom", "loại", "loai", "nhóm khách mời"),
    "name": ("name", "họ tên", "ho ten", "tên", "ten", "họ và tên"),
    "position": ("position", "chức vụ", "chuc vu"),
    "organisation": ("organisation", "organization", "cơ quan", "co quan", "đơn vị", "don vi"),
    "email": ("email", "e-mail", "thư điện tử"),
}
# Values accepted in the category column besides the codes themselves.
CATEGORY_WORDS = {
    "lãnh đạo thành phố": InviteeCategory.CITY_LEADER,
    "lãnh đạo": InviteeCategory.CITY_LEADER,
    "sở, ngành": InviteeCategory.AGENCY,
    "sở ngành": InviteeCategory.AGENCY,
    "cơ quan": InviteeCategory.AGENCY,
    "doanh nghiệp": InviteeCategory.ENTERPRISE,
    "báo chí": InviteeCategory.PRESS,
    "cổng thông tin": InviteeCategory.PORTAL,
    "cổng thông tin điện tử": InviteeCategory.PORTAL,
}


@dataclass
class InviteeRow:
    line: int
    values: dict
    errors: list[str] = field(default_factory=list)


@dataclass
class InviteeImport:
    rows: list[InviteeRow]
    file_errors: list[str]

    @property
    def valid_rows(self) -> list[InviteeRow]:
        return [r for r in self.rows if not r.errors]

    @property
    def error_rows(self) -> list[InviteeRow]:
        return [r for r in self.rows if r.errors]

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.error_rows and bool(self.rows)


def decode_csv(data: bytes) -> str | None:
    """UTF-8 (with or without Excel's BOM); None for anything else."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _category(value: str) -> str | None:
    value = value.strip().lower()
    codes = {c.value for c in InviteeCategory}
    if value in codes:
        return value
    return CATEGORY_WORDS.get(value)


def parse_invitees_csv(text: str, existing_emails: set[str] = frozenset()) -> InviteeImport:
    """Read an invitee list; every problem is reported with its line number and nothing is stored.

    Error messages are Vietnamese sentences, shown as they are on the preview page.
    """
    if "\x00" in text:
        return InviteeImport([], ["Tệp không phải là tệp văn bản CSV."])
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return InviteeImport([], ["Tệp trống: cần một dòng tiêu đề và ít nhất một dòng dữ liệu."])
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        word = clean_text(title).lower()
        for key, words in COLUMN_NAMES.items():
            if word in words and key not in columns:
                columns[key] = index
    missing = [k for k in ("category", "name") if k not in columns]
    if missing:
        names = {"category": "nhóm", "name": "họ tên"}
        return InviteeImport([], ["Thiếu cột bắt buộc: " + ", ".join(names[m] for m in missing)
                                  + ". Dòng đầu tiên phải là tiêu đề cột (nhóm, họ tên, chức vụ, cơ quan, email)."])
    rows: list[InviteeRow] = []
    seen_emails = {e.lower() for e in existing_emails}
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                return InviteeImport(rows, [f"Tệp có quá {MAX_IMPORT_ROWS} dòng; vui lòng chia nhỏ."])
            row = InviteeRow(line=reader.line_num, values={})
            for key, index in columns.items():
                raw = cells[index] if index < len(cells) else ""
                if raw[:1] in FORMULA_TRIGGERS and raw.strip():
                    row.errors.append(f"Cột “{header[index]}” bắt đầu bằng ký tự công thức (= + - @); "
                                      "vui lòng bỏ ký tự đó.")
                row.values[key] = clean_text(raw)
            category = _category(row.values.get("category", ""))
            if category is None:
                row.errors.append(f"Nhóm “{row.values.get('category', '')}” không hợp lệ; dùng một trong: "
                                  "lãnh đạo thành phố, sở ngành, doanh nghiệp, báo chí, cổng thông tin.")
            else:
                row.values["category"] = category
            if not row.values.get("name"):
                row.errors.append("Thiếu họ tên.")
            elif len(row.values["name"]) > 300:
                row.errors.append("Họ tên dài quá 300 ký tự.")
            for key in ("position", "organisation"):
                if len(row.values.get(key, "")) > 300:
                    row.errors.append("Chức vụ hoặc cơ quan dài quá 300 ký tự.")
            email = row.values.get("email", "")
            if email:
                try:
                    row.values["email"] = checked_address(email)
                except AddressError:
                    row.errors.append(f"Email “{email}” không hợp lệ.")
                else:
                    if row.values["email"].lower() in seen_emails:
                        row.errors.append(f"Email “{email}” đã có trong danh sách.")
                    seen_emails.add(row.values["email"].lower())
            rows.append(row)
    except csv.Error as exc:
        return InviteeImport(rows, [f"Tệp CSV bị lỗi ở dòng {reader.line_num}: {exc}"])
    if not rows:
        return InviteeImport([], ["Tệp không có dòng dữ liệu nào."])
    return InviteeImport(rows, [])


def existing_invitee_emails(conference: Conference) -> set[str]:
    return {e.lower() for e in db.session.scalars(
        select(Invitee.email).where(Invitee.conference_id == conference.id, Invitee.email != ""))}


def import_invitees(conference: Conference, text: str, *, now: dt.datetime, actor: Actor) -> int:
    """Store every row of a CSV that parses without a single error; otherwise store nothing."""
    parsed = parse_invitees_csv(text, existing_invitee_emails(conference))
    if not parsed.ok:
        raise ConferenceError("the invitee list has errors")
    for row in parsed.rows:
        db.session.add(Invitee(conference_id=conference.id, **{k: row.values.get(k, "") for k in
                                                               ("category", "name", "position", "organisation",
                                                                "email")}))
    record(actor, "conference.invitees_import", "conference", conference.slug, now=now, rows=len(parsed.rows))
    return len(parsed.rows)


def add_invitee(conference: Conference, *, category: str, name: str, position: str, organisation: str,
                email: str, now: dt.datetime, actor: Actor) -> Invitee:
    if category not in {c.value for c in InviteeCategory}:
        raise ConferenceError("unknown category")
    name = clean_text(name)
    if not name:
        raise ConferenceError("name is required")
    address = checked_address(email) if clean_text(email) else ""
    invitee = Invitee(conference_id=conference.id, category=category, name=name, position=clean_text(position),
                      organisation=clean_text(organisation), email=address)
    db.session.add(invitee)
    record(actor, "conference.invitee_add", "conference", conference.slug, now=now, name=name)
    return invitee


def remove_invitee(invitee: Invitee, *, now: dt.datetime, actor: Actor) -> None:
    record(actor, "conference.invitee_remove", "conference", invitee.conference.slug, now=now, name=invitee.name)
    db.session.delete(invitee)


def invitees_by_category(conference: Conference) -> dict[str, list[Invitee]]:
    grouped: dict[str, list[Invitee]] = {c.value: [] for c in InviteeCategory}
    for invitee in db.session.scalars(select(Invitee).where(Invitee.conference_id == conference.id)
                                      .order_by(Invitee.category, Invitee.id)):
        grouped.setdefault(invitee.category, []).append(invitee)
    return grouped


def list_conferences() -> list[Conference]:
    return list(db.session.scalars(select(Conference).order_by(Conference.starts_at.desc())))
