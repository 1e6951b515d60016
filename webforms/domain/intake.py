"""Enterprise intake: the window, submissions (form, API, staff entry), re-submissions, screening, quorum.

No Flask request state here: callers pass `now`, the rules, the calendar and the settings. Side
effects (receipt emails, events for routing) happen in the caller's transaction; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote

from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Integer, cast, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from config.rules import Rules
from webforms.domain import events, mail_limits
from webforms.domain.attachments import (
    MAX_FILES_PER_RECOMMENDATION,
    AttachmentRefused,
    BudgetSpent,
    Upload,
    UploadBudget,
    discard_files,
    store_upload,
)
from webforms.domain.audit import SYSTEM, Actor, record
from webforms.domain.outbox import queue_template
from webforms.domain.plan import milestone_due
from webforms.domain.sql import dialect_insert
from webforms.domain.text import clean_text, has_control_characters
from webforms.domain.validation import RegistrationInput, ValidationFailed, validate_registration
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import (
    Attachment,
    Conference,
    ConferenceStatus,
    Enterprise,
    Recommendation,
    RecommendationStatus,
    Registration,
    Resubmission,
    Scope,
    SubmissionKey,
    TrackingCounter,
)

TRACKING_PREFIX = "KN"  # KN.YYYYMMDD.NNNN, after the national PAKN code (domain.md §6)
# Attempts at a tracking code before giving up: each failure means another submission took the number.
TRACKING_ATTEMPTS = 50
# How long the emailed link confirming a re-submission works (intake closing also ends it).
RESUBMISSION_LINK_MAX_AGE = 14 * 86400
_RESUBMISSION_SALT = "doithoai.resubmission"
ENTERPRISE = Actor(kind="enterprise_link", name="enterprise")

# URL paths the emails point at; webforms/intake/routes.py serves them.
STATUS_PATH = "/theo-doi/{code}"
CONFIRM_PATH = "/hoi-nghi/xac-nhan/{token}"


# -- the window ---------------------------------------------------------------------------------------


class IntakeState(StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class IntakeWindow:
    opens_at: dt.datetime | None  # when the announcement was published; None before
    closes_at: dt.datetime  # end of the intake_closes milestone's day, local time
    state: IntakeState

    @property
    def open(self) -> bool:
        return self.state == IntakeState.OPEN


def intake_closes_at(conference: Conference, rules: Rules, calendar: WorkingCalendar) -> dt.datetime:
    return milestone_due(conference.starts_at, "intake_closes", rules.plan, calendar).due


def intake_window(
    conference: Conference, now: dt.datetime, rules: Rules, calendar: WorkingCalendar
) -> IntakeWindow:
    """Open from the announcement until the intake_closes milestone (inclusive of its last second)."""
    closes_at = intake_closes_at(conference, rules, calendar)
    opens_at = conference.announced_at
    if conference.status == ConferenceStatus.DRAFT or opens_at is None or now < opens_at:
        state = IntakeState.NOT_OPEN
    elif now > closes_at or conference.status != ConferenceStatus.ANNOUNCED:
        state = IntakeState.CLOSED
    else:
        state = IntakeState.OPEN
    return IntakeWindow(opens_at=opens_at, closes_at=closes_at, state=state)


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


class IntakeClosed(Exception):
    def __init__(self, window: IntakeWindow):
        super().__init__(window.state)
        self.window = window

    @property
    def message(self) -> str:
        if self.window.state == IntakeState.NOT_OPEN:
            return _("Hội nghị chưa mở nhận đăng ký và kiến nghị.")
        closes = self.window.closes_at.strftime("%H:%M ngày %d/%m/%Y")
        return _("Đã hết hạn nhận đăng ký và kiến nghị (hạn cuối: %(closes)s).", closes=closes)


# -- tokens and links ---------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def status_url(settings, tracking_code: str, token: str) -> str:
    return settings.public_base_url + STATUS_PATH.format(code=quote(tracking_code)) + "?token=" + quote(token)


def find_registration(tracking_code: str, token: str | None) -> Registration | None:
    """The registration when the private token matches; None otherwise (no hint which part was wrong)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    if not _plausible_key(tracking_code, 48):
        return None
    registration = db.session.scalar(select(Registration).where(Registration.tracking_code == tracking_code))
    if registration is None or not hmac.compare_digest(registration.token_hash, hash_token(token)):
        return None
    return registration


def _serializer(settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_RESUBMISSION_SALT)


def resubmission_link_token(resubmission: Resubmission, settings) -> str:
    return _serializer(settings).dumps({"r": resubmission.id})


def read_resubmission_token(token: str, settings) -> Resubmission | None:
    try:
        data = _serializer(settings).loads(token, max_age=RESUBMISSION_LINK_MAX_AGE)
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int):
        return None
    return db.session.get(Resubmission, data["r"])


def mask_email(address: str) -> str:
    local, _sep, domain = address.partition("@")
    return (local[:2] + "•••@" + domain) if domain else "•••"


# -- submissions --------------------------------------------------------------------------------------


@dataclass
class Submission:
    """What a submission did. `token` is the private token, known only to the call that issued it."""

    registration: Registration
    token: str | None = None
    created: bool = False
    duplicate: bool = False  # the same submission key seen again: nothing new was done
    resubmission: Resubmission | None = None  # held until the enterprise confirms it
    new_recommendations: list[Recommendation] = field(default_factory=list)

    @property
    def pending_confirmation(self) -> bool:
        return self.resubmission is not None and self.resubmission.confirmed_at is None


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
    try:
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
    except BaseException:
        discard_files([a for atts in stored.values() for a in atts], settings.resolved_uploads_dir)
        raise


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
        discard_files([a for atts in stored.values() for a in atts], settings.resolved_uploads_dir)
        raise ValidationFailed(errors)
    return stored


def _plausible_key(value, max_length: int) -> bool:
    """A lookup key worth sending to the database: PostgreSQL refuses NUL in text outright (a 500)."""
    return isinstance(value, str) and 0 < len(value) <= max_length and not has_control_characters(value)


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
    enterprise = _enterprise_for(cleaned, now)
    for _attempt in range(TRACKING_ATTEMPTS):
        existing = db.session.scalar(
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
                    settings=settings,
                    actor=actor,
                )
            break
        _update_enterprise_if_allowed(enterprise, cleaned, staff_entry=staff_entry, now=now, actor=actor)
        token = new_token()
        registration = Registration(
            conference_id=conference.id,
            enterprise_id=enterprise.id,
            tracking_code=next_tracking_code(now, rules),
            token_hash=hash_token(token),
            registered_at=now,
            late=late,
            recommendations=[],  # new: known empty, no query to find out
        )
        _copy_contact(registration, cleaned)
        try:
            with db.session.begin_nested():
                db.session.add(registration)
                db.session.flush()
        except IntegrityError:
            continue  # the number was taken, or the same enterprise registered meanwhile: look again
        new = _add_recommendations(
            registration, cleaned, stored, now=now, late=late, uploads_dir=settings.resolved_uploads_dir
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

    On PostgreSQL the counter is bumped in a short transaction of its own, so concurrent submissions do
    not wait for each other's open transaction on one row or one code; a number whose submission then
    fails is skipped, never reused. On SQLite the session's transaction already holds the database's only
    write lock (BEGIN IMMEDIATE), so the counter is bumped inside it and nothing is skipped. The unique
    constraint on the code has the last word: the caller tries again with a fresh number.
    """
    day = now.astimezone(rules.plan.timezone).date()
    prefix = f"{TRACKING_PREFIX}.{day:%Y%m%d}."
    highest = (
        select(func.coalesce(func.max(cast(func.substr(Registration.tracking_code, len(prefix) + 1), Integer)), 0))
        .where(Registration.tracking_code.like(prefix + "%"))
        .scalar_subquery()
    )
    bump = (
        update(TrackingCounter).where(TrackingCounter.day == day)
        .values(last=TrackingCounter.last + 1).returning(TrackingCounter.last)
    )
    first_of_the_day = (  # the subquery runs only when the day has no counter yet
        dialect_insert(db.session)(TrackingCounter)
        .values(day=day, last=highest + 1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": TrackingCounter.last + 1})
        .returning(TrackingCounter.last)
    )

    def allocate(executor) -> int:
        number = executor.execute(bump).scalar()
        return number if number is not None else executor.execute(first_of_the_day).scalar_one()

    if db.session.get_bind().dialect.name == "sqlite":
        return f"{prefix}{allocate(db.session):04d}"
    with db.engine.begin() as connection:
        return f"{prefix}{allocate(connection):04d}"


def _enterprise_for(cleaned: RegistrationInput, now: dt.datetime) -> Enterprise:
    tax_code = cleaned.enterprise.tax_code
    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.tax_code == tax_code))
    if enterprise is not None:
        return enterprise
    enterprise = Enterprise(
        tax_code=tax_code,
        name=cleaned.enterprise.name,
        zone_code=cleaned.enterprise.zone,
        address=cleaned.enterprise.address,
        sector=cleaned.enterprise.sector,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(enterprise)
            db.session.flush()
    except IntegrityError:  # registered by another submission a moment ago
        enterprise = db.session.scalar(select(Enterprise).where(Enterprise.tax_code == tax_code))
    return enterprise


def _intake_policy(settings):
    from webforms.domain.accounts import security_policy

    return security_policy(settings.rules_dir)


def _update_enterprise_if_allowed(enterprise: Enterprise, cleaned: RegistrationInput, *, staff_entry: bool,
                                  now: dt.datetime, actor: Actor) -> None:
    """A first registration of the tax code sets the shared record; a registration for another conference
    does not change it (tax codes are public: anyone could rename an enterprise; F7). Its data then
    waits in the audit log for staff; the registered contact changes it by confirming a re-submission."""
    registered = db.session.scalar(
        select(Registration.id).where(Registration.enterprise_id == enterprise.id).limit(1)
    ) is not None
    if staff_entry or not registered:
        _update_enterprise(enterprise, cleaned)
        return
    submitted = {"name": cleaned.enterprise.name, "zone_code": cleaned.enterprise.zone,
                 "address": cleaned.enterprise.address, "sector": cleaned.enterprise.sector}
    changed = {k: v for k, v in submitted.items() if getattr(enterprise, k) != v}
    if changed:
        record(actor, "enterprise.change_not_applied", "enterprise", enterprise.tax_code, now=now, **changed)


def _update_enterprise(enterprise: Enterprise, cleaned: RegistrationInput) -> None:
    enterprise.name = cleaned.enterprise.name
    enterprise.zone_code = cleaned.enterprise.zone
    enterprise.address = cleaned.enterprise.address
    enterprise.sector = cleaned.enterprise.sector


def _copy_contact(registration: Registration, cleaned: RegistrationInput) -> None:
    registration.contact_name = cleaned.contact.name
    registration.contact_position = cleaned.contact.position
    registration.contact_email = cleaned.contact.email
    registration.contact_phone = cleaned.contact.phone
    registration.attendees = [dict(a) for a in cleaned.attendees]
    registration.public_consent = cleaned.public_consent


def _add_recommendations(
    registration: Registration,
    cleaned: RegistrationInput,
    stored: dict[int, list[Attachment]],
    *,
    now: dt.datetime,
    late: bool,
    uploads_dir,
) -> list[Recommendation]:
    """Append the new recommendations; one identical to an existing one (same title and content) is not
    added twice."""
    existing = {(r.title, r.content) for r in registration.recommendations}
    seq = max((r.seq for r in registration.recommendations), default=0)
    added = []
    for item in cleaned.recommendations:
        attachments = stored.get(item.index, [])
        if (item.title, item.content) in existing:
            discard_files(attachments, uploads_dir)
            for attachment in attachments:
                if attachment in db.session:
                    db.session.delete(attachment)
            continue
        existing.add((item.title, item.content))
        seq += 1
        rec = Recommendation(
            registration=registration,
            conference_id=registration.conference_id,
            seq=seq,
            code=f"{registration.tracking_code}-{seq}",
            title=item.title,
            content=item.content,
            field_code=item.field,
            agency_concerned=item.agency,
            received_at=now,
            late=late,
            scope=Scope.PENDING,
            status=RecommendationStatus.RECEIVED,
            created_at=now,
            attachments=[],
            assignments=[],
        )
        db.session.add(rec)
        for attachment in attachments:
            attachment.recommendation = rec
            db.session.add(attachment)
        added.append(rec)
    db.session.flush()
    return added


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
    if key and result.created and not staff_entry and not mail_limits.receipts_allowed(
        registration.contact_email, _intake_policy(settings).receipts_per_address_per_day, now=now
    ):
        record(actor, "mail.suppressed", "registration", registration.tracking_code, now=now, kind="receipt")
        key = None
    if key:
        link = status_url(settings, registration.tracking_code, result.token) if result.token else None
        queue_template(
            "receipt_to_enterprise",
            {
                "registration": registration,
                "enterprise": registration.enterprise,
                "conference": conference,
                "recommendations": new,
                "all_recommendations": list(registration.recommendations),
                "status_url": link,
                "created": result.created,
                "closes_at": intake_closes_at(conference, rules, calendar),
                "fields": {f.code: f.name for f in rules.fields},
            },
            to=[registration.contact_email],
            dedupe_key=key,
        )
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


def _update_registration(
    registration: Registration, cleaned: RegistrationInput, stored, *, now, late, uploads_dir
) -> Submission:
    _update_enterprise(registration.enterprise, cleaned)
    _copy_contact(registration, cleaned)
    new = _add_recommendations(registration, cleaned, stored, now=now, late=late, uploads_dir=uploads_dir)
    return Submission(registration=registration, new_recommendations=new)


def _hold_resubmission(
    registration: Registration, cleaned: RegistrationInput, stored, *, submission_key, now, settings, actor
) -> Submission:
    """Keep the second submission aside and ask the address on file to confirm it.

    Past the day's limit for the tax code nothing is kept or mailed, and the answer is the same: an
    unsaved Resubmission (F8).
    """
    limit = _intake_policy(settings).confirmations_per_tax_code_per_day
    if not mail_limits.confirmation_allowed(registration.enterprise_id, limit, now=now):
        discard_files([a for atts in stored.values() for a in atts], settings.resolved_uploads_dir)
        record(actor, "mail.suppressed", "registration", registration.tracking_code, now=now,
               kind="resubmission_confirm")
        return Submission(registration=registration,
                          resubmission=Resubmission(registration_id=registration.id, payload={}, submitted_at=now))
    for attachments in stored.values():
        for attachment in attachments:
            db.session.add(attachment)
    db.session.flush()
    payload = cleaned.as_payload()
    payload["attachments"] = {str(i): [a.id for a in atts] for i, atts in stored.items()}
    payload["submission_key"] = submission_key
    resubmission = Resubmission(registration_id=registration.id, payload=payload, submitted_at=now)
    db.session.add(resubmission)
    db.session.flush()
    link = settings.public_base_url + CONFIRM_PATH.format(
        token=resubmission_link_token(resubmission, settings)
    )
    queue_template(
        "resubmission_confirm_to_enterprise",
        {
            "registration": registration,
            "conference": registration.conference,
            "cleaned": cleaned,
            "confirm_url": link,
            "submitted_at": now,
        },
        to=[registration.contact_email],
        dedupe_key=f"resubmission:{resubmission.id}",
    )
    record(
        actor,
        "registration.resubmit",
        "registration",
        registration.tracking_code,
        now=now,
        resubmission=resubmission.id,
    )
    return Submission(registration=registration, resubmission=resubmission)


def discard_unconfirmed_files(now: dt.datetime) -> list[str]:
    """Remove the attachment rows of re-submissions whose confirmation link has expired unused; return the
    stored names of their files for the caller to remove once its transaction has committed.

    Each re-submission is claimed first (discarded_at set where it is still unconfirmed and undiscarded),
    so two ticks at once act once, and a confirmation that wins the race keeps its files: a claimed
    re-submission can no longer be confirmed, and only rows no recommendation took are deleted."""
    cutoff = now - dt.timedelta(seconds=RESUBMISSION_LINK_MAX_AGE)
    expired = db.session.scalars(
        select(Resubmission.id).where(
            Resubmission.confirmed_at.is_(None), Resubmission.discarded_at.is_(None),
            Resubmission.submitted_at < cutoff,
        )
    ).all()
    names: list[str] = []
    for resubmission_id in expired:
        claimed = db.session.scalar(
            update(Resubmission)
            .where(Resubmission.id == resubmission_id, Resubmission.confirmed_at.is_(None),
                   Resubmission.discarded_at.is_(None))
            .values(discarded_at=now)
            .returning(Resubmission.payload)
        )
        if claimed is None:
            continue  # confirmed or discarded by someone else meanwhile
        ids = [i for group in (claimed.get("attachments") or {}).values() for i in group]
        removed = db.session.scalars(
            delete(Attachment)
            .where(Attachment.id.in_(ids), Attachment.recommendation_id.is_(None), Attachment.assignment_id.is_(None))
            .returning(Attachment.stored_name),
            execution_options={"synchronize_session": "fetch"},
        ).all() if ids else []
        names.extend(removed)
        code = db.session.scalar(
            select(Registration.tracking_code).join(Resubmission, Resubmission.registration_id == Registration.id)
            .where(Resubmission.id == resubmission_id)
        )
        record(SYSTEM, "registration.resubmission_expired", "registration", code, now=now,
               resubmission=resubmission_id, files=len(removed))
    return names


def confirm_resubmission(
    resubmission: Resubmission,
    *,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
    actor: Actor = ENTERPRISE,
) -> Submission:
    """Apply a held re-submission: contact and attendees updated, new recommendations added, a fresh
    private link issued (sent in the receipt). Confirming twice does nothing the second time."""
    registration = resubmission.registration
    conference = registration.conference
    if resubmission.confirmed_at is not None:
        return Submission(registration=registration, duplicate=True, resubmission=resubmission)
    window = intake_window(conference, now, rules, calendar)
    if not window.open:
        raise IntakeClosed(window)
    taken = db.session.execute(
        update(Resubmission)
        .where(Resubmission.id == resubmission.id, Resubmission.confirmed_at.is_(None),
               Resubmission.discarded_at.is_(None))
        .values(confirmed_at=now)
    ).rowcount
    db.session.refresh(resubmission)
    if not taken:
        return Submission(registration=registration, duplicate=True, resubmission=resubmission)
    cleaned = RegistrationInput.from_payload(resubmission.payload)
    stored = {
        int(i): [a for a in (db.session.get(Attachment, aid) for aid in ids) if a is not None]
        for i, ids in (resubmission.payload.get("attachments") or {}).items()
    }
    result = _update_registration(
        registration, cleaned, stored, now=now, late=False, uploads_dir=settings.resolved_uploads_dir
    )
    token = new_token()
    registration.token_hash = hash_token(token)
    result.token = token
    result.resubmission = resubmission
    db.session.flush()
    key = f"receipt:{registration.tracking_code}:r{resubmission.id}"
    queue_template(
        "receipt_to_enterprise",
        {
            "registration": registration,
            "enterprise": registration.enterprise,
            "conference": conference,
            "recommendations": result.new_recommendations,
            "all_recommendations": list(registration.recommendations),
            "status_url": status_url(settings, registration.tracking_code, token),
            "created": False,
            "updated": True,
            "closes_at": window.closes_at,
            "fields": {f.code: f.name for f in rules.fields},
        },
        to=[registration.contact_email],
        dedupe_key=key,
    )
    record(
        actor,
        "registration.resubmission_confirmed",
        "registration",
        registration.tracking_code,
        now=now,
        resubmission=resubmission.id,
        recommendations=[r.code for r in result.new_recommendations],
    )
    for rec in result.new_recommendations:
        events.recommendation_received.send(rec, now=now, rules=rules, calendar=calendar, settings=settings)
    return result


# -- screening ----------------------------------------------------------------------------------------


class ScreeningReason(StrEnum):
    JUDICIAL = "judicial"  # a matter for the courts or prosecutors
    COMPLAINT = "complaint"  # a complaint or denunciation (khiếu nại, tố cáo)
    NOT_ADMINISTRATIVE = "not_administrative"  # not about an administrative procedure
    DUPLICATE = "duplicate"
    OUTSIDE_ZONES = "outside_zones"


def screening_reason_label(code: str) -> str:
    labels = {
        ScreeningReason.JUDICIAL: _("Thuộc thẩm quyền của cơ quan tư pháp"),
        ScreeningReason.COMPLAINT: _("Là đơn thư khiếu nại, tố cáo"),
        ScreeningReason.NOT_ADMINISTRATIVE: _("Không liên quan đến giải quyết thủ tục hành chính"),
        ScreeningReason.DUPLICATE: _("Trùng với kiến nghị đã gửi"),
        ScreeningReason.OUTSIDE_ZONES: _(
            "Doanh nghiệp không hoạt động trong các khu công nghiệp, khu kinh tế"
        ),
    }
    return labels.get(code, code)


class ScreeningError(ValueError):
    pass


def screen_out(
    rec: Recommendation,
    reason_code: str,
    reason: str,
    actor: Actor,
    now: dt.datetime,
    *,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
    duplicate_of: Recommendation | None = None,
) -> bool:
    """Take a recommendation out of the conference's scope and tell the enterprise why.
    False when it was already screened out."""
    if reason_code not in set(ScreeningReason):
        raise ScreeningError(f"unknown reason code {reason_code!r}")
    if rec.status == RecommendationStatus.SCREENED_OUT:
        return False
    if rec.status in (RecommendationStatus.ANSWERED_AT_CONFERENCE, RecommendationStatus.ANSWERED_IN_WRITING):
        raise ScreeningError("an answered recommendation cannot be screened out")
    rec.scope = Scope.OUT_OF_SCOPE
    rec.scope_reason_code = reason_code
    with force_locale("vi"):  # stored and emailed: in Vietnamese whatever language the staff page is in
        label = screening_reason_label(reason_code)
    rec.scope_reason = clean_text(reason, multiline=True) or label
    rec.status = RecommendationStatus.SCREENED_OUT
    if duplicate_of is not None:
        rec.duplicate_of_id = duplicate_of.id
    registration = rec.registration
    queue_template(
        "screened_out_to_enterprise",
        {
            "rec": rec,
            "registration": registration,
            "conference": rec.conference,
            "reason_label": label,
            "reason": rec.scope_reason,
            "scope": rules.plan.scope,
            "duplicate_of": duplicate_of,
        },
        to=[registration.contact_email],
        dedupe_key=f"screened_out:{rec.code}",
    )
    record(
        actor,
        "recommendation.screen_out",
        "recommendation",
        rec.code,
        now=now,
        reason_code=reason_code,
        reason=rec.scope_reason,
    )
    events.recommendation_screened_out.send(rec, now=now, rules=rules, calendar=calendar, settings=settings)
    return True


# -- quorum -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeFigures:
    """What arrived by the intake cutoff (plan I.2), counted once for the quorum, the dashboard, every
    document and the API (`intake_figures`).

    - `registrations`: enterprises registered by the close (late staff entries excluded);
    - `received`: their recommendations received by the close;
    - `out_of_scope`: of those, screened out, with `out_of_scope_reasons` as (reason code, count);
    - `in_scope` = received - out_of_scope. An item not screened yet (`unscreened`) counts as in scope:
      the plan excludes only what is shown to be outside it (I.3), and DN&GSĐT sees how many of the
      in-scope items are still unscreened;
    - `received_late`: recommendations entered after the close (kept and answered, never counted);
    - `attended`: registered enterprises checked in at the conference (`Registration.attended`).
    """

    registrations: int
    received: int
    out_of_scope: int
    out_of_scope_reasons: tuple[tuple[str, int], ...]
    unscreened: int
    received_late: int
    attended: int
    closes_at: dt.datetime

    @property
    def in_scope(self) -> int:
        return self.received - self.out_of_scope

    def as_dict(self) -> dict:
        return {
            "registrations": self.registrations,
            "attended": self.attended,
            "received": self.received,
            "out_of_scope": self.out_of_scope,
            "out_of_scope_reasons": [{"code": code, "count": n} for code, n in self.out_of_scope_reasons],
            "in_scope": self.in_scope,
            "unscreened": self.unscreened,
            "received_late": self.received_late,
            "closes_at": self.closes_at.isoformat(),
        }


def _counted_registrations(conference: Conference, closes_at: dt.datetime) -> list:
    return [
        Registration.conference_id == conference.id,
        Registration.late.is_(False),
        Registration.registered_at <= closes_at,
    ]


def _received_by_close(conference: Conference, closes_at: dt.datetime) -> list:
    """Recommendations received by the close from registrations counted by the close."""
    return [
        Recommendation.conference_id == conference.id,
        Recommendation.late.is_(False),
        Recommendation.received_at <= closes_at,
        *_counted_registrations(conference, closes_at),
    ]


def in_scope_recommendations(conference: Conference, rules: Rules, calendar: WorkingCalendar) -> list:
    """The recommendations `IntakeFigures.in_scope` counts, by field then receipt: what the documents'
    figures and Appendix I are made of."""
    closes_at = intake_closes_at(conference, rules, calendar)
    return list(
        db.session.scalars(
            select(Recommendation)
            .join(Registration, Registration.id == Recommendation.registration_id)
            .where(*_received_by_close(conference, closes_at), Recommendation.scope != Scope.OUT_OF_SCOPE)
            .order_by(Recommendation.field_code, Recommendation.received_at, Recommendation.id)
        )
    )


def attended_count(conference: Conference) -> int:
    """Enterprises checked in at the conference: the one reading of attendance."""
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.conference_id == conference.id, Registration.attended.is_(True)
        )
    ) or 0


def intake_figures(conference: Conference, rules: Rules, calendar: WorkingCalendar) -> IntakeFigures:
    closes_at = intake_closes_at(conference, rules, calendar)
    registrations = db.session.scalar(
        select(func.count(Registration.id)).where(*_counted_registrations(conference, closes_at))
    )
    rows = db.session.execute(
        select(Recommendation.scope, Recommendation.scope_reason_code, func.count(Recommendation.id))
        .join(Registration, Registration.id == Recommendation.registration_id)
        .where(*_received_by_close(conference, closes_at))
        .group_by(Recommendation.scope, Recommendation.scope_reason_code)
    ).all()
    received = sum(n for _, _, n in rows)
    reasons: dict[str, int] = {}
    for scope, code, n in rows:
        if scope == Scope.OUT_OF_SCOPE:
            reasons[code or ""] = reasons.get(code or "", 0) + n
    order = {code: i for i, code in enumerate(ScreeningReason)}
    total = db.session.scalar(
        select(func.count(Recommendation.id)).where(Recommendation.conference_id == conference.id)
    ) or 0
    return IntakeFigures(
        registrations=registrations or 0,
        received=received,
        out_of_scope=sum(reasons.values()),
        out_of_scope_reasons=tuple(sorted(reasons.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))),
        unscreened=sum(n for scope, _, n in rows if scope == Scope.PENDING),
        received_late=total - received,
        attended=attended_count(conference),
        closes_at=closes_at,
    )


@dataclass(frozen=True)
class Quorum:
    enterprises: int
    recommendations: int
    min_enterprises: int
    min_recommendations: int
    closes_at: dt.datetime
    figures: IntakeFigures | None = None

    @property
    def met(self) -> bool:
        return self.enterprises >= self.min_enterprises and self.recommendations >= self.min_recommendations

    def as_dict(self) -> dict:
        out = {
            "enterprises": self.enterprises,
            "recommendations": self.recommendations,
            "min_enterprises": self.min_enterprises,
            "min_recommendations": self.min_recommendations,
            "met": self.met,
            "closes_at": self.closes_at.isoformat(),
        }
        if self.figures is not None:
            out["figures"] = self.figures.as_dict()
        return out


def quorum(conference: Conference, rules: Rules, calendar: WorkingCalendar) -> Quorum:
    """Registered enterprises and their in-scope recommendations received by the intake cutoff (plan I.2),
    as `intake_figures` counts them. Late entries and screened-out items do not count."""
    figures = intake_figures(conference, rules, calendar)
    return Quorum(
        enterprises=figures.registrations,
        recommendations=figures.in_scope,
        min_enterprises=rules.plan.min_enterprises,
        min_recommendations=rules.plan.min_recommendations,
        closes_at=figures.closes_at,
        figures=figures,
    )


# -- reading, for the status page and the API ------------------------------------------------------------


def recommendation_status_label(rec: Recommendation) -> str:
    labels = {
        RecommendationStatus.RECEIVED: _("Đã tiếp nhận"),
        RecommendationStatus.SCREENED_OUT: _("Không thuộc phạm vi Hội nghị"),
        RecommendationStatus.ASSIGNED: _("Đã chuyển đơn vị chuyên môn xử lý"),
        RecommendationStatus.ANSWERED_AT_CONFERENCE: _("Đã trả lời tại Hội nghị"),
        RecommendationStatus.ANSWERED_IN_WRITING: _("Đã trả lời bằng văn bản"),
    }
    return labels.get(rec.status, rec.status)


def approved_answer(rec: Recommendation) -> str | None:
    if rec.status in (RecommendationStatus.ANSWERED_AT_CONFERENCE, RecommendationStatus.ANSWERED_IN_WRITING):
        return rec.answer or None
    return None
