"""Intake rules without HTTP: validation, the window, tracking codes, re-submission, screening, quorum."""

import datetime as dt
import unicodedata

import pytest
from sqlalchemy import func, select

from tests import moments
from tests.factories import create_conference, create_recommendation, create_registration, valid_tax_code
from tests.intake_helpers import registration_payload
from tests.jobs import run_jobs
from webforms.domain import events
from webforms.domain.audit import Actor
from webforms.domain.intake.links import find_registration, read_resubmission_token
from webforms.domain.intake.quorum import quorum
from webforms.domain.intake.resubmit import confirm_resubmission
from webforms.domain.intake.screening import screen_out
from webforms.domain.intake.submit import submit_registration
from webforms.domain.intake.window import IntakeClosed, IntakeState, intake_window
from webforms.domain.validation import (
    ValidationFailed,
    normalize_phone,
    normalize_tax_code,
    validate_registration,
)
from webforms.extensions import db
from webforms.models import (
    AuditEvent,
    ConferenceStatus,
    OutboxMessage,
    Recommendation,
    RecommendationStatus,
    Registration,
    Scope,
)

STAFF = Actor(kind="user", name="canbo@heza.example.vn")


@pytest.fixture
def submit(app_ctx, rules, calendar, settings):
    def _submit(data, *, conference, now=moments.INTAKE_OPEN, **kwargs):
        return submit_registration(
            data, conference=conference, now=now, rules=rules, calendar=calendar, settings=settings, **kwargs
        )

    return _submit


# -- tax codes and phones ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("0100047516", "0100047516"),
        (" 0100 047 516 ", "0100047516"),
        ("0100047516-001", "0100047516-001"),
        ("0100047516001", "0100047516-001"),
        ("01.0004.7516", "0100047516"),
    ],
)
def test_valid_tax_codes_are_normalised(app_ctx, given, stored):
    assert normalize_tax_code(given) == (stored, None)


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("0100047517", "chữ số kiểm tra"),  # wrong check digit
        ("010004751", "10 chữ số"),  # too short
        ("012345678912", "10 chữ số"),  # 12 digits: a personal ID, not an enterprise
        ("0100047516-000", "chi nhánh"),  # branch 000 does not exist
        ("01000475ab", "chỉ gồm chữ số"),
        ("", "Vui lòng nhập"),
    ],
)
def test_invalid_tax_codes_say_why(app_ctx, given, fragment):
    value, message = normalize_tax_code(given)
    assert value is None
    assert fragment in message


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("0912345678", "+84912345678"),
        ("0912 345 678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("+84 0912.345.678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("(0225) 3836 123", "+842253836123"),  # Hai Phong landline, 11 digits
        ("024 3825 1234", "+842438251234"),  # Hanoi landline
        ("0325-111-222", "+84325111222"),  # converted Viettel range
    ],
)
def test_phones_are_stored_as_plus_84(given, stored):
    assert normalize_phone(given) == stored


@pytest.mark.parametrize(
    "given",
    ["091234567", "09123456789", "0112345678", "12345", "+1 202 555 0100", "0912345678\nBcc: x", "abc"],
)
def test_bad_phones_are_refused(given):
    assert normalize_phone(given) is None


# -- validation ----------------------------------------------------------------------


def test_valid_payload_has_no_errors(app_ctx, rules):
    cleaned, errors = validate_registration(registration_payload(), rules)
    assert errors == {}
    assert cleaned.contact.phone == "+84912345678"
    assert len(cleaned.recommendations) == 2


def test_outside_the_zones_is_refused_citing_the_plan(app_ctx, rules):
    _, errors = validate_registration(registration_payload(enterprise__zone=rules.outside_zone.code), rules)
    assert "khu công nghiệp và Khu kinh tế Đình Vũ – Cát Hải" in errors["enterprise.zone"][0]
    assert "phạm vi" in errors["enterprise.zone"][0]


def test_errors_use_dotted_paths(app_ctx, rules):
    data = registration_payload(
        **{
            "enterprise.tax_code": "0100047517",
            "recommendations.1.content": "",
            "recommendations.0.field": "KHONG_CO",
            "contact.email": "khong-phai-email",
            "declaration": False,
        }
    )
    _, errors = validate_registration(data, rules)
    assert set(errors) == {
        "enterprise.tax_code",
        "recommendations.1.content",
        "recommendations.0.field",
        "contact.email",
        "declaration",
    }


def test_attendees_between_one_and_three(app_ctx, rules):
    _, errors = validate_registration(registration_payload(attendees=[]), rules)
    assert "attendees" in errors
    four = [{"name": f"Người {i}", "position": ""} for i in range(4)]
    _, errors = validate_registration(registration_payload(attendees=four), rules)
    assert "tối đa 3" in errors["attendees"][0]


def test_blank_recommendation_blocks_are_ignored(app_ctx, rules):
    data = registration_payload(recommendations=1)
    data["recommendations"].append({"title": " ", "content": "", "field": "", "agency": ""})
    cleaned, errors = validate_registration(data, rules)
    assert errors == {}
    assert len(cleaned.recommendations) == 1


def test_wrong_json_types_give_messages_not_exceptions(app_ctx, rules):
    for data in (
        None,
        [],
        "x",
        {"enterprise": [], "contact": 3, "attendees": {}, "recommendations": "x"},
        registration_payload(**{"enterprise.name": 12, "recommendations.0": None}),
    ):
        cleaned, errors = validate_registration(data, rules)
        assert cleaned is None
        assert errors


def test_ten_thousand_characters_are_refused_with_the_limit(app_ctx, rules):
    _, errors = validate_registration(
        registration_payload(**{"recommendations.0.content": "a" * 10_000}), rules
    )
    assert "5.000" in errors["recommendations.0.content"][0]


# -- the window ----------------------------------------------------------------------


def test_window_before_open_and_after(app_ctx, rules, calendar):
    draft = create_conference(starts_at=moments.CONFERENCE_START, status=ConferenceStatus.DRAFT)
    announced = create_conference(starts_at=moments.CONFERENCE_START)
    assert intake_window(draft, moments.INTAKE_OPEN, rules, calendar).state == IntakeState.NOT_OPEN
    assert (
        intake_window(announced, announced.announced_at - dt.timedelta(seconds=1), rules, calendar).state
        == IntakeState.NOT_OPEN
    )
    assert intake_window(announced, moments.INTAKE_OPEN, rules, calendar).open
    assert intake_window(announced, moments.INTAKE_LAST_SECOND, rules, calendar).open
    closed = intake_window(announced, moments.INTAKE_CLOSED, rules, calendar)
    assert closed.state == IntakeState.CLOSED
    assert closed.closes_at.isoformat() == "2025-08-26T23:59:59+07:00"


def test_submission_outside_the_window_is_refused(submit):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    with pytest.raises(IntakeClosed) as refused:
        submit(registration_payload(), conference=conference, now=moments.INTAKE_CLOSED)
    assert "26/08/2025" in refused.value.message
    draft = create_conference(starts_at=moments.CONFERENCE_START, status=ConferenceStatus.DRAFT)
    with pytest.raises(IntakeClosed):
        submit(registration_payload(), conference=draft)
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_last_second_is_accepted(submit):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    result = submit(registration_payload(), conference=conference, now=moments.INTAKE_LAST_SECOND)
    assert result.created
    assert not result.registration.late


# -- submitting ----------------------------------------------------------------------


def test_submission_creates_codes_token_receipt_and_events(submit, app, mailbox):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    received = []

    def on_received(rec, **kwargs):
        received.append((rec.code, sorted(kwargs)))

    events.recommendation_received.connect(on_received)
    try:
        result = submit(registration_payload(), conference=conference, now=moments.local(2025, 8, 20, 10))
    finally:
        events.recommendation_received.disconnect(on_received)
    registration = result.registration
    assert registration.tracking_code == "KN.20250820.0001"
    assert [r.code for r in registration.recommendations] == ["KN.20250820.0001-1", "KN.20250820.0001-2"]
    assert received == [
        (code, ["calendar", "now", "rules", "settings"])
        for code in ("KN.20250820.0001-1", "KN.20250820.0001-2")
    ]
    assert registration.token_hash != result.token
    assert len(registration.token_hash) == 64
    assert find_registration(registration.tracking_code, result.token) is registration
    assert find_registration(registration.tracking_code, result.token + "x") is None
    assert db.session.scalar(
        select(AuditEvent.target_id).where(AuditEvent.action == "registration.create")
    ) == (registration.tracking_code)
    db.session.commit()
    run_jobs(app)
    [mail] = mailbox.to(registration.contact_email)
    assert mail.subject.startswith("[KN.20250820.0001] ")
    assert mail.rcpt_tos == [registration.contact_email]
    assert "KN.20250820.0001-2" in mail.text
    assert f"http://localhost/theo-doi/KN.20250820.0001?token={result.token}" in mail.text


def test_tracking_codes_count_per_local_day(submit):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    codes = [
        submit(
            registration_payload(), conference=conference, now=moments.local(2025, 8, 20, h)
        ).registration.tracking_code
        for h in (9, 10)
    ]
    # 23:30 UTC on the 20th is already the 21st in Hai Phong
    late_utc = dt.datetime(2025, 8, 20, 23, 30, tzinfo=dt.UTC)
    codes.append(
        submit(registration_payload(), conference=conference, now=late_utc).registration.tracking_code
    )
    assert codes == ["KN.20250820.0001", "KN.20250820.0002", "KN.20250821.0001"]


def test_tracking_code_skips_numbers_already_taken(submit):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    create_registration(conference, tracking_code="KN.20250820.0007")
    db.session.commit()
    result = submit(registration_payload(), conference=conference, now=moments.local(2025, 8, 20))
    assert result.registration.tracking_code == "KN.20250820.0008"


def test_nfd_input_is_stored_nfc(submit):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    name = "Công ty Cổ phần Thép Đình Vũ"
    data = registration_payload(
        **{
            "enterprise.name": unicodedata.normalize("NFD", name),
            "recommendations.0.title": unicodedata.normalize("NFD", "Thủ tục PCCC"),
        }
    )
    result = submit(data, conference=conference)
    assert result.registration.enterprise.name == name
    assert result.registration.recommendations[0].title == "Thủ tục PCCC"


def test_hostile_text_is_stored_literally_without_control_characters(submit):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    data = registration_payload(
        **{
            "enterprise.name": "<script>alert(1)</script>\r\nBcc: x@y.vn\x00",
            "recommendations.0.content": "Dòng 1\r\nDòng 2\x00 <b>&amp;</b>",
        }
    )
    result = submit(data, conference=conference)
    assert result.registration.enterprise.name == "<script>alert(1)</script> Bcc: x@y.vn"
    assert result.registration.recommendations[0].content == "Dòng 1\nDòng 2 <b>&amp;</b>"


def test_same_submission_key_twice_creates_one_record(submit):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    data = registration_payload()
    first = submit(data, conference=conference, submission_key="k" * 32)
    again = submit(data, conference=conference, submission_key="k" * 32)
    assert again.duplicate
    assert again.registration.id == first.registration.id
    assert again.token is None
    assert db.session.scalar(select(func.count(Recommendation.id))) == 2
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_resubmission_is_held_until_confirmed(submit, app, mailbox, rules, calendar, settings):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    tax_code = valid_tax_code(77)
    first = submit(registration_payload(tax_code=tax_code, recommendations=1), conference=conference)
    owner_email = first.registration.contact_email
    db.session.commit()
    run_jobs(app)
    mailbox.clear()

    second_data = registration_payload(
        tax_code=tax_code.replace("0", "0", 1), recommendations=2, **{"contact.email": "nguoikhac@example.vn"}
    )
    second_data["recommendations"][0] = registration_payload(recommendations=1)["recommendations"][0]  # same
    second = submit(second_data, conference=conference, now=moments.INTAKE_OPEN + dt.timedelta(hours=1))
    assert second.pending_confirmation
    assert not second.created
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    assert len(first.registration.recommendations) == 1  # nothing applied yet
    db.session.commit()
    run_jobs(app)
    [mail] = mailbox.to(owner_email)
    assert mail.rcpt_tos == [owner_email]  # the address on file, not the one just typed
    token = mail.text.split("/hoi-nghi/xac-nhan/")[1].split()[0]
    resubmission = read_resubmission_token(token, settings)
    assert resubmission.id == second.resubmission.id
    assert read_resubmission_token(token + "x", settings) is None

    confirmed = confirm_resubmission(
        resubmission,
        now=moments.INTAKE_OPEN + dt.timedelta(hours=2),
        rules=rules,
        calendar=calendar,
        settings=settings,
    )
    registration = confirmed.registration
    assert registration.contact_email == "nguoikhac@example.vn"
    # the identical recommendation was not added twice; the new one got the next number
    assert [r.seq for r in registration.recommendations] == [1, 2]
    assert find_registration(registration.tracking_code, first.token) is None  # fresh link issued
    assert find_registration(registration.tracking_code, confirmed.token) is registration
    again = confirm_resubmission(
        resubmission,
        now=moments.INTAKE_OPEN + dt.timedelta(hours=3),
        rules=rules,
        calendar=calendar,
        settings=settings,
    )
    assert again.duplicate
    assert len(registration.recommendations) == 2


def test_resubmission_cannot_be_confirmed_after_intake_closes(submit, rules, calendar, settings):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    tax_code = valid_tax_code(78)
    submit(registration_payload(tax_code=tax_code), conference=conference)
    held = submit(registration_payload(tax_code=tax_code), conference=conference)
    with pytest.raises(IntakeClosed):
        confirm_resubmission(
            held.resubmission, now=moments.INTAKE_CLOSED, rules=rules, calendar=calendar, settings=settings
        )


def test_staff_entry_after_cutoff_is_late_and_not_counted(submit, rules, calendar):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    submit(registration_payload(), conference=conference)
    late = submit(
        registration_payload(),
        conference=conference,
        now=moments.INTAKE_CLOSED,
        staff_entry=True,
        actor=STAFF,
    )
    assert late.registration.late
    assert all(r.late for r in late.registration.recommendations)
    counts = quorum(conference, rules, calendar)
    assert (counts.enterprises, counts.recommendations) == (1, 2)


# -- screening and quorum ----------------------------------------------------------------------


def test_screen_out_sets_scope_mails_the_reason_and_audits(submit, app, mailbox, rules, calendar, settings):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    rec = submit(registration_payload(recommendations=1), conference=conference).registration.recommendations[
        0
    ]
    seen = []

    def on_screened_out(rec, **kwargs):
        seen.append(rec.code)

    events.recommendation_screened_out.connect(on_screened_out)
    try:
        assert screen_out(
            rec,
            "complaint",
            "Nội dung là đơn tố cáo cá nhân.",
            STAFF,
            moments.INTAKE_OPEN,
            rules=rules,
            calendar=calendar,
            settings=settings,
        )
    finally:
        events.recommendation_screened_out.disconnect(on_screened_out)  # leave the routing receiver alone
    assert seen == [rec.code]
    assert (rec.scope, rec.status, rec.scope_reason_code) == (
        Scope.OUT_OF_SCOPE,
        RecommendationStatus.SCREENED_OUT,
        "complaint",
    )
    assert not screen_out(
        rec, "complaint", "", STAFF, moments.INTAKE_OPEN, rules=rules, calendar=calendar, settings=settings
    )
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "recommendation.screen_out")).actor
        == STAFF.name
    )
    db.session.commit()
    run_jobs(app)
    mail = next(m for m in mailbox.messages if m.subject.startswith(f"[{rec.code}]"))
    assert "Là đơn thư khiếu nại, tố cáo" in mail.text
    assert "Nội dung là đơn tố cáo cá nhân." in mail.text


def test_unknown_screening_reason_is_refused(submit, rules, calendar, settings):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    rec = submit(registration_payload(recommendations=1), conference=conference).registration.recommendations[
        0
    ]
    with pytest.raises(ValueError, match="unknown reason"):
        screen_out(
            rec, "because", "", STAFF, moments.INTAKE_OPEN, rules=rules, calendar=calendar, settings=settings
        )


def test_quorum_counts_only_in_scope_items_before_the_cutoff(app_ctx, rules, calendar):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    for i in range(rules.plan.min_enterprises):
        registration = create_registration(conference, registered_at=moments.INTAKE_OPEN)
        if i < rules.plan.min_recommendations - 1:
            create_recommendation(registration)
    screened = create_registration(conference, registered_at=moments.INTAKE_OPEN)
    create_recommendation(screened, scope=Scope.OUT_OF_SCOPE)
    after = create_registration(conference, registered_at=moments.INTAKE_CLOSED)
    create_recommendation(after, received_at=moments.INTAKE_CLOSED)
    counts = quorum(conference, rules, calendar)
    assert counts.enterprises == rules.plan.min_enterprises + 1
    assert counts.recommendations == rules.plan.min_recommendations - 1
    assert not counts.met
    create_recommendation(screened, received_at=moments.INTAKE_LAST_SECOND, seq=2)
    assert quorum(conference, rules, calendar).met


def test_validation_failure_stores_nothing(submit):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    with pytest.raises(ValidationFailed) as failed:
        submit(registration_payload(**{"enterprise.tax_code": "123"}), conference=conference)
    assert "enterprise.tax_code" in failed.value.errors
    assert db.session.scalar(select(func.count(Registration.id))) == 0


# -- tracking numbers ----------------------------------------------------------------------------


def test_tracking_numbers_follow_the_days_highest_code_and_restart_each_day(app_ctx, rules):
    from webforms.domain.intake.submit import next_tracking_code

    conference = create_conference(starts_at=moments.CONFERENCE_START)
    create_registration(conference, tracking_code="KN.20250820.0041")
    create_registration(conference, tracking_code="KN.20250820.0009")
    create_registration(conference, tracking_code="KN.20250819.0077")
    db.session.commit()
    day = moments.local(2025, 8, 20, 10)
    assert [next_tracking_code(day, rules) for _ in range(3)] == [
        "KN.20250820.0042", "KN.20250820.0043", "KN.20250820.0044"]
    assert next_tracking_code(moments.local(2025, 8, 21, 0, 0, 1), rules) == "KN.20250821.0001"
    # 23:30 UTC on the 20th is already the 21st in Hai Phong.
    assert next_tracking_code(dt.datetime(2025, 8, 20, 23, 30, tzinfo=dt.UTC), rules) == "KN.20250821.0002"


def test_a_tracking_number_never_waits_for_another_open_submission(app, app_ctx, rules, settings):
    """PostgreSQL: the counter is bumped in its own short transaction, so a second submission gets the
    next number while the first one's transaction is still open (it used to wait on the unique index);
    the number of a submission that is rolled back is skipped. SQLite: the session's transaction holds
    the only write lock anyway, so the counter moves inside it and a rollback gives the number back."""
    import threading

    from webforms.domain.intake.submit import next_tracking_code

    day = moments.local(2025, 8, 20, 10)
    first = next_tracking_code(day, rules)  # the session's transaction stays open
    assert first == "KN.20250820.0001"
    if settings.is_sqlite:
        db.session.rollback()
        assert next_tracking_code(day, rules) == "KN.20250820.0001"
        return
    other = {}

    def second_submission():
        with app.app_context():
            other["code"] = next_tracking_code(day, rules)
            db.session.commit()

    thread = threading.Thread(target=second_submission)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the second submission waited for the first one's transaction"
    assert other["code"] == "KN.20250820.0002"
    db.session.rollback()
    assert next_tracking_code(day, rules) == "KN.20250820.0003"


@pytest.mark.parametrize("known_enterprise", [False, True])
def test_two_first_submissions_of_one_tax_code_at_once_make_one_registration(submit, app, rules, calendar,
                                                                            settings, known_enterprise):
    """The second submission for a tax code not registered for this conference yet, sent while the first
    one's transaction is still open, waits for it (PostgreSQL: on the unique index of the enterprise's tax
    code, or of the registration's conference and enterprise when the enterprise registered for another
    conference before; SQLite: for the write lock), then finds the registration and is held for the contact
    on file: one enterprise, one registration here, no error."""
    import threading

    from webforms.models import Conference, Enterprise, Resubmission

    conference = create_conference(starts_at=moments.CONFERENCE_START)
    tax_code = valid_tax_code(31)
    if known_enterprise:
        submit(registration_payload(tax_code=tax_code, recommendations=1),
               conference=create_conference(starts_at=moments.CONFERENCE_START, slug="hoi-nghi-truoc"))
    db.session.commit()
    first = submit(registration_payload(tax_code=tax_code, recommendations=1), conference=conference)
    assert first.created  # its transaction stays open
    second = {}

    def second_submission():
        with app.app_context():
            try:
                second["result"] = submit_registration(
                    registration_payload(tax_code=tax_code, recommendations=2,
                                         **{"contact.email": "nguoikhac@example.vn"}),
                    conference=db.session.get(Conference, conference.id), now=moments.INTAKE_OPEN, rules=rules,
                    calendar=calendar, settings=settings,
                )
                second["held"] = second["result"].pending_confirmation
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                second["error"] = exc
                db.session.rollback()

    thread = threading.Thread(target=second_submission)
    thread.start()
    thread.join(timeout=1)
    assert thread.is_alive(), "the second submission did not wait for the first one"
    db.session.commit()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert "error" not in second, second.get("error")
    assert second["held"] and not second["result"].created
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Enterprise.id)).where(Enterprise.tax_code == tax_code)) == 1
    assert db.session.scalar(select(func.count(Registration.id))
                             .where(Registration.conference_id == conference.id)) == 1
    assert db.session.scalar(select(func.count(Resubmission.id))) == 1


def held_resubmission_with_a_file(submit, n: int):
    """A second submission for a registered tax code, with one PDF, held for confirmation (committed)."""
    import io

    from webforms.domain.attachments import Upload

    pdf = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    tax_code = valid_tax_code(n)
    submit(registration_payload(tax_code=tax_code, recommendations=1), conference=conference)
    held = submit(registration_payload(tax_code=tax_code, recommendations=2), conference=conference,
                  files={1: [Upload(filename="ho-so.pdf", stream=io.BytesIO(pdf))]})
    db.session.commit()
    assert held.pending_confirmation
    return held


def test_files_of_a_resubmission_never_confirmed_are_removed_once_its_link_expires(submit, app, rules, calendar,
                                                                                    settings):
    from webforms.domain.intake.links import RESUBMISSION_LINK_MAX_AGE
    from webforms.domain.tick import tick
    from webforms.models import Attachment

    held = held_resubmission_with_a_file(submit, 79)
    (attachment,) = db.session.scalars(select(Attachment)).all()
    stored = settings.resolved_uploads_dir / attachment.stored_name
    assert stored.is_file()

    still_valid = held.resubmission.submitted_at + dt.timedelta(seconds=RESUBMISSION_LINK_MAX_AGE - 60)
    assert not any(a["action"] == "unconfirmed_files_discarded" for a in tick(still_valid, rules, calendar, settings))
    assert stored.is_file()

    expired = held.resubmission.submitted_at + dt.timedelta(seconds=RESUBMISSION_LINK_MAX_AGE + 60)
    actions = [a for a in tick(expired, rules, calendar, settings) if a["action"] == "unconfirmed_files_discarded"]
    assert actions == [{"conference": None, "milestone": None, "action": "unconfirmed_files_discarded", "files": 1}]
    assert not stored.exists()
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "registration.resubmission_expired")) == "registration.resubmission_expired"
    # Once: the next tick finds nothing more to do.
    later = expired + dt.timedelta(minutes=1)
    assert not any(a["action"] == "unconfirmed_files_discarded" for a in tick(later, rules, calendar, settings))


def test_two_ticks_discarding_the_same_expired_resubmission_act_once(submit, app, rules, calendar, settings):
    import threading

    from webforms.domain.intake.links import RESUBMISSION_LINK_MAX_AGE
    from webforms.domain.intake.resubmit import discard_unconfirmed_files
    from webforms.models import Resubmission

    held = held_resubmission_with_a_file(submit, 80)
    expired = held.resubmission.submitted_at + dt.timedelta(seconds=RESUBMISSION_LINK_MAX_AGE + 60)
    first = discard_unconfirmed_files(expired)  # this transaction stays open for a moment
    assert len(first) == 1
    other = {}

    started = threading.Event()

    def second_tick():
        with app.app_context():
            started.set()
            other["names"] = discard_unconfirmed_files(expired)
            db.session.commit()

    thread = threading.Thread(target=second_tick)
    thread.start()
    assert started.wait(timeout=30)
    thread.join(timeout=1)
    assert thread.is_alive(), "the second tick did not wait for the first one's claim: no race was tested"
    db.session.commit()
    thread.join(timeout=30)
    assert other == {"names": []}
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "registration.resubmission_expired")) == 1
    assert db.session.scalar(select(Resubmission.discarded_at)) is not None
