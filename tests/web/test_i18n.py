"""English through `?lang=en` on the public pages (intake, folder, reply, errors); Vietnamese stays the
default; and the English catalogue has no untranslated or fuzzy entry."""

import datetime as dt
from pathlib import Path

from babel.messages.pofile import read_po

from tests.factories import create_conference
from tests.intake_helpers import fetch_form, form_fields, registration_payload
from tests.jobs import run_jobs
from tests.web.test_reply import future_recommendation, link_from_mail
from webforms.extensions import db
from webforms.models import ConferenceStatus, Registration
from webforms.timeutil import utcnow

PO = Path(__file__).resolve().parents[2] / "webforms" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def announced_conference(rules, calendar):
    """An announced conference whose intake is open now (the views read the real clock)."""
    today = utcnow().astimezone(rules.plan.timezone).date()
    day = calendar.add_working_days(today, 20)
    conference = create_conference(
        starts_at=dt.datetime.combine(day, dt.time(8, 30), tzinfo=rules.plan.timezone),
        status=ConferenceStatus.ANNOUNCED,
        announced_at=utcnow() - dt.timedelta(days=1),
    )
    db.session.commit()
    return conference


def text(response) -> str:
    return response.get_data(as_text=True)


def assert_english(page: str, present: list[str], absent: list[str]) -> None:
    for phrase in present:
        assert phrase in page, f"missing English: {phrase!r}"
    for phrase in absent:
        assert phrase not in page, f"Vietnamese left: {phrase!r}"


def test_conference_page_in_english(client, app_ctx, rules, calendar):
    conference = announced_conference(rules, calendar)
    page = text(client.get(f"/hoi-nghi/{conference.slug}?lang=en"))
    assert_english(
        page,
        ["Deadline for registrations and recommendations:", "Scope of the conference", "Published documents"],
        ["Hạn cuối nhận đăng ký và kiến nghị", "Phạm vi của Hội nghị", "Văn bản đã công bố"],
    )
    starts = conference.starts_at.astimezone(rules.plan.timezone)
    assert starts.strftime("08:30, %d %b %Y") in page  # the month spelled out, no "ngày"
    assert starts.strftime("ngày %d/%m/%Y") not in page


def test_registration_form_in_english(client, app_ctx, rules, calendar):
    conference = announced_conference(rules, calendar)
    page = text(client.get(f"/hoi-nghi/{conference.slug}/dang-ky?lang=en"))
    assert_english(
        page,
        ['<label for="enterprise-tax_code">Tax code', "Phone number", "Submit registration", "Add a recommendation"],
        ["Mã số thuế", "Số điện thoại", "Gửi đăng ký", "Thêm kiến nghị"],
    )


def test_public_folder_in_english(client, app_ctx, rules, calendar):
    announced_conference(rules, calendar)
    page = text(client.get("/doi-thoai-doanh-nghiep/?lang=en"))
    assert_english(
        page,
        ["Business dialogue folder", "Follow with Atom", "All years"],
        ["Chuyên mục Đối thoại doanh nghiệp", "Theo dõi qua Atom", "Tất cả các năm"],
    )


def test_not_found_page_in_english(client):
    response = client.get("/hoi-nghi/khong-co?lang=en")
    assert response.status_code == 404
    assert_english(
        text(response),
        ["Page not found", "Please check the address.", "Home page"],
        ["Không tìm thấy trang", "Vui lòng kiểm tra lại đường dẫn", "Về trang chủ"],
    )


def test_reply_pages_in_english(app, client, rules, calendar, settings, mailbox):
    future_recommendation(app, rules, calendar, settings)
    run_jobs(app)
    path = link_from_mail(mailbox, "qldt@heza.example.vn")
    page = text(client.get(path + "?lang=en"))
    assert_english(
        page,
        ["Draft answer (state the legal basis clearly)", "Save draft", "Processing history", "Day 0:",
         "Files attached to the draft", "at most 5 files, 10 MB each"],
        ["Lưu dự thảo", "Lịch sử xử lý", "Ngày 0:", "Giao cho đồng nghiệp", "Tài liệu đính kèm dự thảo"],
    )
    broken = text(client.get("/tra-loi/khong-dung?lang=en"))
    assert_english(broken, ["This link can no longer be used"], ["Đường dẫn không còn dùng được"])


def test_vietnamese_stays_the_default(client, app_ctx, rules, calendar):
    conference = announced_conference(rules, calendar)
    page = text(client.get(f"/hoi-nghi/{conference.slug}"))
    assert "Hạn cuối nhận đăng ký và kiến nghị" in page
    assert "Deadline for registrations" not in page
    assert conference.starts_at.astimezone(rules.plan.timezone).strftime("08:30 ngày %d/%m/%Y") in page
    form = text(client.get(f"/hoi-nghi/{conference.slug}/dang-ky"))
    assert "Mã số thuế" in form
    assert "Tax code" not in form
    missing = client.get("/hoi-nghi/khong-co")
    assert "Không tìm thấy trang" in text(missing)
    assert "Page not found" not in text(missing)


def test_validation_errors_in_english(client, app_ctx, rules, calendar):
    conference = announced_conference(rules, calendar)
    url = f"/hoi-nghi/{conference.slug}/dang-ky?lang=en"
    payload = registration_payload(**{"enterprise.tax_code": "0100047517", "contact.phone": "12345"})
    data = {**form_fields(payload), **fetch_form(client, url)}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert_english(
        text(response),
        [
            "The tax code is incorrect (wrong check digit).",
            "Invalid phone number:",
            "Please check the highlighted items",
        ],
        ["sai chữ số kiểm tra", "Số điện thoại không hợp lệ", "Vui lòng kiểm tra lại các mục được đánh dấu"],
    )
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 0


def test_english_catalogue_is_complete():
    with PO.open("rb") as f:
        catalog = read_po(f)
    assert len(catalog) > 0
    untranslated = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"


def test_every_translatable_string_is_in_the_catalogue():
    """A string added to a view or template without `python scripts/translations.py` fails here."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("translations", PO.parents[4] / "scripts" / "translations.py")
    translations = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(translations)
    with PO.open("rb") as f:
        catalog = read_po(f)
    extracted = translations.extract()
    assert len(extracted) > 600
    assert [m.id for m in extracted if m.id not in catalog] == []


def test_emails_stay_vietnamese_when_the_form_was_read_in_english(client, app, app_ctx, rules, calendar, mailbox):
    conference = announced_conference(rules, calendar)
    url = f"/hoi-nghi/{conference.slug}/dang-ky?lang=en"
    data = {**form_fields(registration_payload()), **fetch_form(client, url)}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    run_jobs(app)
    [mail] = mailbox.messages
    assert "Hạn cuối nhận đăng ký và kiến nghị:" in mail.text
    assert " ngày " in mail.text.split("Hạn cuối nhận đăng ký và kiến nghị:")[1].splitlines()[0]
