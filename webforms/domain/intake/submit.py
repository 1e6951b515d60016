"""A submission (the form, the API, staff entry): idempotent by its key, inside the window, with files.

No Flask request state here: callers pass `now`, the rules, the calendar and the settings. Side
effects (receipt emails, events for routing) happen in the caller's transaction; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json

from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, cast, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from config.rules import Rules
from webforms.domain import events
from webforms.domain.attachments import (
    MAX_FILES_PER_RECOMMENDATION,
    AttachmentRefused,
    BudgetSpent,
    Upload,
    UploadBudget,
    store_upload,
)
from webforms.domain.audit import Actor, record
from webforms.domain.intake.links import _plausible_key, hash_token, new_token
from webforms.domain.intake.receipts import receipt_columns, record_held, send_receipt
from webforms.domain.intake.registrations import (
    ENTERPRISE,
    Submission,
    _add_recommendations,
    _contact_values,
    _enterprise_for,
    _update_enterprise_if_allowed,
    _update_registration,
)
from webforms.domain.intake.resubmit import _hold_resubmission
from webforms.domain.intake.window import IntakeClosed, intake_window
from webforms.domain.sql import insert_new, insert_of
from webforms.domain.validation import RegistrationInput, ValidationFailed, validate_registration
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import (
    Attachment,
    Conference,
    Registration,
    Resubmission,
    SubmissionKey,
    TrackingCounter,
)

TRACKING_PREFIX = "KN"  # KN.YYYYMMDD.NNNN (KN: kiến nghị), modelled on the national PAKN system's codes
# Attempts at a tracking code before giving up: each failure means another submission took the number.
TRACKING_ATTEMPTS = 50


class SubmissionKeyReused(Exception):
    """The same submission key (the form's, or the API's Idempotency-Key) for this conference again, with
    different content: not a retry, and the first submission's answer is not given out (F11)."""


def _scoped_keys(key: str, conference_id: int, data) -> tuple[str, str]:
    """(the key of this exact submission, the key's claim in this conference), both hashed: a key counts
    only together with its conference and its content, so replaying someone's key elsewhere finds nothing."""
    body = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    claim = hashlib.sha256(f"{conference_id}\x1f{key}".encode()).hexdigest()
    exact = hashlib.sha256(f"{conference_id}\x1f{key}\x1f{body}".encode()).hexdigest()
    return exact, "c" + claim[:63]


def submit_registration(
    data,
    *,
    conference: Conference,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
    submission_key: str | None = None,
    files: dict[int, list[Upload]] | None = None,
    actor: Actor = ENTERPRISE,
    staff_entry: bool = False,
) -> Submission:
    """Register an enterprise for a conference with its recommendations (the form, the API, staff entry).

    :param data: the API's nested shape (see validation.validate_registration).
    :param submission_key: the form's one-time key (or the API's Idempotency-Key): the same key again
        returns the first result and does nothing.
    :param files: attachments per recommendation block index.
    :param staff_entry: entered by staff: accepted after the intake closes, flagged `late` (not counted
        toward the quorum), and applied directly to an existing registration.
    :raises IntakeClosed: outside the window (not for staff entry).
    :raises ValidationFailed: with `{dotted.path: [messages]}`.
    """
    claim_key = None
    if submission_key:
        if not _plausible_key(submission_key[:64], 64):
            submission_key = None
        else:
            submission_key, claim_key = _scoped_keys(submission_key[:64], conference.id, data)
            previous = _by_submission_key(submission_key)
            if previous is not None:
                return previous
            if db.session.get(SubmissionKey, claim_key) is not None:
                raise SubmissionKeyReused()
    window = intake_window(conference, now, rules, calendar)
    if not window.open and not staff_entry:
        raise IntakeClosed(window)
    files = {i: [f for f in fs if f is not None] for i, fs in (files or {}).items()}
    cleaned, errors = validate_registration(
        data, rules, files_by_index={i: len(fs) for i, fs in files.items()}
    )
    for index, uploads in files.items():
        if len(uploads) > MAX_FILES_PER_RECOMMENDATION:
            errors.setdefault(f"recommendations.{index}.attachments", []).append(
                _("Mỗi kiến nghị đính kèm tối đa %(n)s tệp.", n=MAX_FILES_PER_RECOMMENDATION)
            )
    if errors:
        raise ValidationFailed(errors)
    kept = {r.index for r in cleaned.recommendations}
    stored = _store_files({i: fs for i, fs in files.items() if i in kept}, settings)
    # The stored files share the fate of the caller's transaction (webforms.unit_of_work).
    return _apply_submission(
        cleaned,
        stored,
        conference=conference,
        now=now,
        rules=rules,
        calendar=calendar,
        settings=settings,
        submission_key=submission_key,
        claim_key=claim_key,
        actor=actor,
        late=now > window.closes_at,
        staff_entry=staff_entry,
    )


def _store_files(files: dict[int, list[Upload]], settings) -> dict[int, list[Attachment]]:
    stored: dict[int, list[Attachment]] = {}
    errors: dict[str, list[str]] = {}
    budget = UploadBudget()
    for index, uploads in sorted(files.items()):
        for upload in uploads:
            try:
                stored.setdefault(index, []).append(store_upload(upload, settings.resolved_uploads_dir, budget))
            except BudgetSpent as exc:
                errors.setdefault(f"recommendations.{index}.attachments", []).append(exc.message)
                break
            except AttachmentRefused as exc:
                errors.setdefault(f"recommendations.{index}.attachments", []).append(exc.message)
        else:
            continue
        break
    if errors:
        raise ValidationFailed(errors)  # the files stored so far go with the caller's rollback
    return stored


def _by_submission_key(key: str) -> Submission | None:
    if not _plausible_key(key[:64], 64):
        return None
    row = db.session.get(SubmissionKey, key[:64])
    if row is None:
        return None
    registration = db.session.get(Registration, row.registration_id)
    resubmission = db.session.scalar(
        select(Resubmission)
        .where(Resubmission.registration_id == registration.id)
        .order_by(Resubmission.id.desc())
    )
    if resubmission is not None and resubmission.payload.get("submission_key") != key:
        resubmission = None
    return Submission(registration=registration, duplicate=True, resubmission=resubmission)


def _apply_submission(
    cleaned: RegistrationInput,
    stored: dict[int, list[Attachment]],
    *,
    conference,
    now,
    rules,
    calendar,
    settings,
    submission_key,
    actor,
    late,
    staff_entry,
    claim_key=None,
) -> Submission:
    enterprise, new_enterprise = _enterprise_for(cleaned, now)
    for _attempt in range(TRACKING_ATTEMPTS):
        # An enterprise this transaction created has no registration, nor can another transaction give it one.
        existing = None if new_enterprise else db.session.scalar(
            select(Registration).where(
                Registration.conference_id == conference.id, Registration.enterprise_id == enterprise.id
            )
        )
        if existing is not None:
            if staff_entry:
                result = _update_registration(
                    existing, cleaned, stored, now=now, late=late, uploads_dir=settings.resolved_uploads_dir
                )
            else:
                result = _hold_resubmission(
                    existing,
                    cleaned,
                    stored,
                    submission_key=submission_key,
                    now=now,
                    rules=rules,
                    settings=settings,
                    actor=actor,
                )
            break
        if not new_enterprise:  # a new one was written from this very submission
            _update_enterprise_if_allowed(enterprise, cleaned, staff_entry=staff_entry, now=now, actor=actor)
        token = new_token()
        registration = insert_new(db.session, Registration, {
            "conference_id": conference.id,
            "enterprise_id": enterprise.id,
            "tracking_code": next_tracking_code(now, rules),
            "token_hash": hash_token(token),
            "registered_at": now,
            "late": late,
            **_contact_values(cleaned),
            **receipt_columns(cleaned.contact.email, settings, now=now, staff_entry=staff_entry),
        })
        if registration is None:
            continue  # the number was taken, or the same enterprise registered meanwhile: look again
        set_committed_value(registration, "recommendations", [])  # new: known empty, no query to find out
        new = _add_recommendations(
            registration, cleaned, stored, now=now, late=late, uploads_dir=settings.resolved_uploads_dir,
            flush=False,
        )
        result = Submission(registration=registration, token=token, created=True, new_recommendations=new)
        break
    else:
        raise RuntimeError("could not allocate a tracking code")
    if submission_key and _plausible_key(submission_key[:64], 64):
        db.session.add(
            SubmissionKey(key=submission_key[:64], registration_id=result.registration.id, created_at=now)
        )
        if claim_key:
            db.session.add(SubmissionKey(key=claim_key, registration_id=result.registration.id, created_at=now))
        db.session.flush()
    if result.resubmission is None:
        _after_recommendations(
            result,
            conference=conference,
            now=now,
            rules=rules,
            calendar=calendar,
            settings=settings,
            actor=actor,
            staff_entry=staff_entry,
        )
    return result


def next_tracking_code(now: dt.datetime, rules: Rules) -> str:
    """The next KN.YYYYMMDD.NNNN of `now`'s local day, from the day's counter (seeded from the day's
    highest existing code the first time).

    On PostgreSQL the counter is bumped by one statement in a transaction of its own (autocommit), so
    concurrent submissions do not wait for each other's open transaction on one row or one code; a number
    whose submission then fails is skipped, never reused. That commit does not wait for its WAL flush
    (synchronous_commit off, for that statement only): the registration's own commit flushes the WAL past
    it, so a number a submitter was told about cannot be lost; a crash before then may hand out again a
    number nobody was told about. On SQLite the session's transaction already holds the database's only
    write lock (BEGIN IMMEDIATE), so the counter is bumped inside it and nothing is skipped. The unique
    constraint on the code has the last word: the caller tries again with a fresh number.
    """
    day = now.astimezone(rules.plan.timezone).date()
    prefix = f"{TRACKING_PREFIX}.{day:%Y%m%d}."
    dialect = db.session.get_bind().dialect.name
    bump, first_of_the_day = _counter_statements(dialect)
    values = {"counter_day": day, "code_start": len(prefix) + 1, "code_pattern": prefix + "%"}

    def allocate(executor) -> int:
        number = executor.execute(bump, values).scalar()
        return number if number is not None else executor.execute(first_of_the_day, values).scalar_one()

    if dialect == "sqlite":
        return f"{prefix}{allocate(db.session):04d}"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return f"{prefix}{allocate(connection):04d}"


@functools.cache
def _counter_statements(dialect: str):
    """(bump the day's counter, write the day's first one), built once per dialect with the day as parameters:
    every registration runs them, and a reused statement keeps its memoized cache key."""
    day = bindparam("counter_day", type_=TrackingCounter.day.type)
    highest = (
        select(func.coalesce(func.max(cast(func.substr(Registration.tracking_code, bindparam("code_start")),
                                           Integer)), 0))
        .where(Registration.tracking_code.like(bindparam("code_pattern")))
        .scalar_subquery()
    )
    bump = (
        update(TrackingCounter).where(TrackingCounter.day == day)
        .values(last=TrackingCounter.last + 1).returning(TrackingCounter.last)
    )
    if dialect == "postgresql":
        # Local to the statement's own transaction; evaluated for the day's one row.
        bump = bump.where(func.set_config("synchronous_commit", "off", True) == "off")
    first_of_the_day = (  # the subquery runs only when the day has no counter yet
        insert_of(dialect)(TrackingCounter)
        .values(day=day, last=highest + 1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": TrackingCounter.last + 1})
        .returning(TrackingCounter.last)
    )
    return bump, first_of_the_day


def _after_recommendations(
    result: Submission, *, conference, now, rules, calendar, settings, actor, staff_entry: bool
) -> None:
    registration = result.registration
    new = result.new_recommendations
    if result.created:
        key = f"receipt:{registration.tracking_code}"
    elif new:
        key = f"receipt:{registration.tracking_code}:{new[0].seq}"
    else:
        key = None
    # What this submission wrote stays unflushed until routing has given each new recommendation its status
    # and its assignment: then each is one INSERT (no UPDATE of its status), and the receipt, the audit events
    # and the assignments go out in the fewest flushes. A new registration's receipt was decided before its
    # INSERT (receipts.receipt_columns): sent now, or held by the address's daily limit for the tick.
    if result.created and registration.receipt_held_at is not None:
        record_held(registration, now=now, actor=actor)
        key = None
    if staff_entry and registration.contact_confirmed_at is None:
        registration.contact_confirmed_at = now  # staff took the address from the enterprise itself
    action = "registration.create" if result.created else "registration.add_recommendations"
    record(
        actor,
        action,
        "registration",
        registration.tracking_code,
        now=now,
        recommendations=[r.code for r in new],
        staff_entry=staff_entry,
        late=registration.late,
    )
    for rec in new:
        events.recommendation_received.send(rec, now=now, rules=rules, calendar=calendar, settings=settings)
    if key:
        send_receipt(registration, token=result.token, key=key, recommendations=new, created=result.created,
                     now=now, rules=rules, calendar=calendar, settings=settings)
