"""The public intake through the test client: conference page, form, CSRF, confirmation, status page."""

import datetime as dt
import io
import re
import unicodedata
import zipfile
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.factories import create_conference, valid_tax_code
from tests.intake_helpers import fetch_form, form_fields, registration_payload
from tests.jobs import run_jobs
from webforms.extensions import db
from webforms.models import Attachment, ConferenceStatus, Recommendation, RecommendationStatus, Registration
from webforms.timeutil import utcnow


def open_conference(rules, calendar, **kwargs):
    """A conference whose intake is open right now (the views read the real clock)."""
    today = utcnow().astimezone(rules.plan.timezone).date()
    day = calendar.add_working_days(today, 20)
    starts_at = dt.datetime.combine(day, dt.time(8, 30), tzinfo=rules.plan.timezone)
    conference = create_conference(
        starts_at=starts_at, announced_at=utcnow() - dt.timedelta(days=1), **kwargs
    )
    db.session.commit()
    return conference


def drain(app):
    """Run the queued jobs. The test's own session first ends its transaction: SQLite takes the write
    lock at BEGIN, and the worker writes from another session."""
    db.session.rollback()
    run_jobs(app)


def form_url(conference):
    return f"/hoi-nghi/{conference.slug}/dang-ky"


def post_form(client, conference, payload, *, files=None, extra=None, hidden=None):
    hidden = hidden or fetch_form(client, form_url(conference))
    data = {**form_fields(payload), **hidden, **(extra or {})}
    for key, value in (files or {}).items():
        data[key] = value
    return client.post(form_url(conference), data=data, content_type="multipart/form-data")


def mailed_status_link(app, mailbox) -> str:
    """The private link in the receipt of the latest registration: the page after a submission shows none,
    the same page whatever the tax code found (F16, F17)."""
    from tests.intake_helpers import private_link

    email = db.session.scalar(select(Registration.contact_email).order_by(Registration.id.desc()).limit(1))
    code, token = private_link(app, mailbox, email)
    return f"/theo-doi/{code}?token={token}"


def count(model):
    return db.session.scalar(select(func.count(model.id)))


# -- the conference page ---------------------------------------------------------------------------------


def test_conference_page_shows_the_exact_closing_time(client, app_ctx, rules):
    conference = create_conference(
        starts_at=dt.datetime(2025, 9, 4, 8, 30, tzinfo=rules.plan.timezone),
        status=ConferenceStatus.ANNOUNCED,
    )
    db.session.commit()
    page = client.get(f"/hoi-nghi/{conference.slug}").get_data(as_text=True)
    assert "Hạn cuối nhận đăng ký và kiến nghị: 23:59 ngày 26/08/2025" in page
    assert "Đã hết hạn nhận đăng ký và kiến nghị" in page  # 2025 is in the past for the real clock
    assert rules.plan.scope.excludes in page
    assert "Đăng ký và gửi kiến nghị</a>" not in page


def test_conference_page_open_and_not_yet_open(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar, announcement_text="Kính mời <b>doanh nghiệp</b>")
    page = client.get(f"/hoi-nghi/{conference.slug}").get_data(as_text=True)
    assert f'href="/hoi-nghi/{conference.slug}/dang-ky"' in page
    assert "Kính mời &lt;b&gt;doanh nghiệp&lt;/b&gt;" in page
    conference.status = ConferenceStatus.DRAFT
    db.session.commit()
    # A draft is not public at all (issue 16, F15), like the API and the folder.
    assert client.get(f"/hoi-nghi/{conference.slug}").status_code == 404
    assert client.get(form_url(conference)).status_code == 404


def test_unknown_conference_is_404(client):
    assert client.get("/hoi-nghi/khong-co").status_code == 404


# -- the form ----------------------------------------------------------------------------------------------


def test_form_labels_declaration_and_honeypot(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    page = client.get(form_url(conference)).get_data(as_text=True)
    assert rules.plan.scope.declaration in page
    assert '<label for="enterprise-tax_code">Mã số thuế' in page
    assert 'name="website"' in page
    assert 'class="hp"' in page
    assert rules.outside_zone.name in page
    assert 'src="/static/intake.js"' in page


def test_submit_confirm_receipt_and_status(client, app, app_ctx, rules, calendar, mailbox):
    conference = open_conference(rules, calendar)
    payload = registration_payload()
    response = post_form(client, conference, payload)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    registration = db.session.scalar(select(Registration))
    assert "Đã tiếp nhận nội dung gửi" in page
    assert registration.tracking_code not in page and "/theo-doi/" not in page  # in the mailbox only
    email = registration.contact_email
    status_link = mailed_status_link(app, mailbox)
    [mail] = mailbox.to(email)  # departments get their routing emails too
    assert mail.subject.startswith(f"[{registration.tracking_code}]")
    assert "http://localhost" + status_link in mail.text
    status = client.get(status_link)
    assert status.status_code == 200
    assert status.headers["Cache-Control"] == "no-store"
    # received, or already with a department when the routing receiver assigned it
    assert re.search(r"Đã tiếp nhận|Đã chuyển đơn vị chuyên môn xử lý", status.get_data(as_text=True))
    assert client.get(status_link[:-3] + "xyz").status_code == 404
    assert client.get(f"/theo-doi/{registration.tracking_code}").status_code == 404


def test_status_page_shows_the_approved_answer_and_screening(client, app, app_ctx, rules, calendar, mailbox):
    conference = open_conference(rules, calendar)
    assert post_form(client, conference, registration_payload()).status_code == 303
    link = mailed_status_link(app, mailbox)
    first, second = db.session.scalars(select(Recommendation).order_by(Recommendation.seq)).all()
    first.status = RecommendationStatus.ANSWERED_IN_WRITING
    first.answer = "Doanh nghiệp nộp hồ sơ tại Bộ phận một cửa <trong 05 ngày>."
    second.status = RecommendationStatus.SCREENED_OUT
    second.scope_reason_code = "judicial"
    db.session.commit()
    page = client.get(link).get_data(as_text=True)
    assert "Đã trả lời bằng văn bản" in page
    assert "&lt;trong 05 ngày&gt;" in page
    assert "Thuộc thẩm quyền của cơ quan tư pháp" in page


def test_validation_errors_keep_input_and_stand_next_to_fields(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    payload = registration_payload(
        **{
            "enterprise.tax_code": "0100047517",
            "contact.phone": "12345",
            "enterprise.name": "Công ty <Ánh Dương>",
        }
    )
    response = post_form(client, conference, payload)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="enterprise-tax_code" name="enterprise-tax_code" aria-invalid="true"' in page or re.search(
        r'<input[^>]*aria-invalid="true"[^>]*id="enterprise-tax_code"', page
    )
    assert 'value="0100047517"' in page
    assert 'value="Công ty &lt;Ánh Dương&gt;"' in page
    assert "sai chữ số kiểm tra" in page
    assert "Số điện thoại không hợp lệ" in page
    assert count(Registration) == 0


def test_zone_outside_is_refused_citing_the_scope(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    page = post_form(
        client, conference, registration_payload(enterprise__zone=rules.outside_zone.code)
    ).get_data(as_text=True)
    assert "Khu kinh tế Đình Vũ – Cát Hải" in page
    assert "không thuộc phạm vi" in page
    assert count(Registration) == 0


def test_csrf_is_enforced(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    response = client.post(form_url(conference), data=form_fields(registration_payload()))
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    response = post_form(client, conference, registration_payload(), hidden={"csrf_token": "gia-mao"})
    assert response.status_code == 400
    assert count(Registration) == 0


def test_honeypot_stores_nothing(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    response = post_form(client, conference, registration_payload(), extra={"website": "http://spam.example"})
    assert response.status_code == 422
    assert count(Registration) == 0


def test_add_recommendation_without_javascript(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    payload = registration_payload(recommendations=1)
    response = post_form(client, conference, payload, extra={"add_recommendation": "Thêm kiến nghị"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="recommendations-1-title"' in page
    assert payload["recommendations"][0]["title"] in page  # what was typed is kept
    assert count(Registration) == 0


def test_double_submit_creates_one_record(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    payload = registration_payload()
    hidden = fetch_form(client, form_url(conference))
    first = post_form(client, conference, payload, hidden=hidden)
    second = post_form(client, conference, payload, hidden=hidden)
    assert first.status_code == second.status_code == 303
    assert count(Registration) == 1
    assert count(Recommendation) == 2
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "Đã tiếp nhận nội dung gửi" in page


def test_second_submission_with_same_tax_code_waits_for_email_confirmation(
    client, app, app_ctx, rules, calendar, mailbox
):
    conference = SimpleNamespace(slug=open_conference(rules, calendar).slug)  # no lazy loads later
    tax_code = valid_tax_code(4242)
    post_form(client, conference, registration_payload(tax_code=tax_code, recommendations=1))
    drain(app)
    owner = db.session.scalar(select(Registration.contact_email))
    db.session.rollback()
    mailbox.clear()
    other = app.test_client()
    with app.app_context():  # its own `g`, so Flask-WTF does not reuse the first client's CSRF token
        response = post_form(
            other, conference, registration_payload(tax_code=tax_code, **{"contact.email": "la@example.vn"})
        )
        page = other.get(response.headers["Location"]).get_data(as_text=True)
    db.session.rollback()  # end this test's read transaction: the other context wrote meanwhile
    assert "Đã tiếp nhận nội dung gửi" in page  # the same page as for a new registration (F17)
    assert db.session.scalar(select(Registration.tracking_code)) not in page  # a stranger learns nothing
    assert count(Registration) == 1
    assert count(Recommendation) == 1
    drain(app)
    [mail] = mailbox.to(owner)
    assert mail.rcpt_tos == [owner]
    link = re.search(r"http://localhost(/hoi-nghi/xac-nhan/\S+)", mail.text).group(1)
    confirm_page = client.get(link).get_data(as_text=True)
    assert "la@example.vn" in confirm_page
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', confirm_page).group(1)
    done = client.post(link, data={"csrf_token": csrf})
    assert done.status_code == 303
    # the second form repeated the first recommendation word for word: only the new one is added
    assert count(Registration) == 1
    assert count(Recommendation) == 2
    assert db.session.scalar(select(Registration.contact_email)) == "la@example.vn"
    assert client.post(link, data={"csrf_token": csrf}).status_code == 303  # twice: nothing more
    assert count(Recommendation) == 2
    assert client.get(link + "x").status_code == 404


def test_nfd_text_is_shown_nfc(client, app, app_ctx, rules, calendar, mailbox):
    conference = open_conference(rules, calendar)
    name = "Công ty TNHH Điện tử Việt Hưng"
    response = post_form(
        client, conference, registration_payload(**{"enterprise.name": unicodedata.normalize("NFD", name)})
    )
    assert response.status_code == 303
    page = client.get(mailed_status_link(app, mailbox)).get_data(as_text=True)
    assert name in page
    assert unicodedata.normalize("NFD", name) not in page


@pytest.mark.parametrize(
    ("path", "value", "expect"),
    [
        ("recommendations.0.title", "<script>alert('x')</script>", "stored"),
        ("recommendations.0.content", "Dòng một\r\nDòng hai\x00<img src=x onerror=alert(1)>", "stored"),
        ("enterprise.name", "Công ty\r\nBcc: victim@example.com", "stored"),
        ("recommendations.0.content", "x" * 10_000, "refused"),
        ("contact.email", "a@b.vn\r\nBcc: victim@example.com", "refused"),
    ],
)
def test_hostile_text_is_refused_or_shown_literally(
    client, app, app_ctx, rules, calendar, mailbox, path, value, expect
):
    conference = open_conference(rules, calendar)
    response = post_form(client, conference, registration_payload(**{path: value}))
    if expect == "refused":
        assert response.status_code == 422
        assert 'aria-invalid="true"' in response.get_data(as_text=True)
        assert count(Registration) == 0
        return
    assert response.status_code == 303
    page = client.get(mailed_status_link(app, mailbox)).get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page or "&lt;img" in page or "Bcc: victim@example.com" in page
    email = db.session.scalar(select(Registration.contact_email))
    drain(app)
    [mail] = mailbox.to(email)
    assert mail.message["Bcc"] is None
    assert mail.rcpt_tos == [email]


def test_too_large_request_gets_a_friendly_413(settings):
    from webforms.app import create_app

    small = create_app(settings.with_(max_content_length=2048))
    response = small.test_client().post("/hoi-nghi/bat-ky/dang-ky", data={"x": "y" * 5000})
    assert response.status_code == 413
    assert "Dữ liệu gửi lên quá lớn" in response.get_data(as_text=True)


def test_rate_limit_returns_a_vietnamese_429(settings, app, rules, calendar):
    from webforms.app import create_app

    strict = create_app(settings.with_(ratelimit_submit="2 per minute"))
    with strict.app_context():
        conference = open_conference(rules, calendar)
        client = strict.test_client()
        codes = [post_form(client, conference, registration_payload()).status_code for _ in range(3)]
        last = post_form(client, conference, registration_payload())
    assert codes[:2] == [303, 303]
    assert codes[2] == 429
    assert "Quá nhiều yêu cầu" in last.get_data(as_text=True)


# -- attachments -----------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120


def docx_bytes(*, macro=False, huge=False):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", "<w:document/>")
        if macro:
            archive.writestr("word/vbaProject.bin", b"\x00" * 64)
        if huge:
            archive.writestr("word/media/big.bin", b"\x00" * (210 * 1024 * 1024))
    return buffer.getvalue()


def test_attachments_are_sniffed_and_stored_outside_static(client, app, app_ctx, rules, calendar, settings, mailbox):
    conference = open_conference(rules, calendar)
    files = {
        "recommendations-0-attachments": [(io.BytesIO(PDF), "ho-so.pdf"), (io.BytesIO(PNG), "anh.png")],
        "recommendations-1-attachments": [(io.BytesIO(docx_bytes()), "van-ban.docx")],
    }
    response = post_form(client, conference, registration_payload(), files=files)
    assert response.status_code == 303
    stored = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [(a.original_name, a.content_type) for a in stored] == [
        ("ho-so.pdf", "application/pdf"),
        ("anh.png", "image/png"),
        ("van-ban.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ]
    for attachment in stored:
        path = settings.resolved_uploads_dir / attachment.stored_name
        assert path.is_file()
        assert "static" not in path.parts
        assert re.fullmatch(r"[0-9a-f]{32}", attachment.stored_name)
    # Listed on the private status page, served back with the token only.
    status_link = mailed_status_link(app, mailbox)
    status_page = client.get(status_link).get_data(as_text=True)
    assert "ho-so.pdf" in status_page and "van-ban.docx" in status_page
    path, query = status_link.split("?")
    download = client.get(f"{path}/tep/{stored[0].id}?{query}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Cache-Control"] == "no-store"
    assert client.get(f"{path}/tep/{stored[0].id}").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bao-cao.pdf", ELF, "không khớp với định dạng PDF"),
        ("chuong-trinh.exe", ELF, "chỉ nhận các định dạng"),
        ("van-ban.docx", docx_bytes(macro=True), "macro"),
        ("van-ban.docx", PDF, "không phải là tệp DOCX"),
        ("van-ban.doc", PDF, "không phải là tệp DOC"),
        ("rong.png", b"", "rỗng"),
    ],
)
def test_bad_attachments_are_refused(client, app_ctx, rules, calendar, settings, name, content, message):
    conference = open_conference(rules, calendar)
    files = {"recommendations-0-attachments": [(io.BytesIO(content), name)]}
    response = post_form(client, conference, registration_payload(), files=files)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Registration) == 0
    assert count(Attachment) == 0
    assert (
        not any(settings.resolved_uploads_dir.glob("*")) if settings.resolved_uploads_dir.exists() else True
    )


def test_zip_bomb_docx_is_refused(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    files = {"recommendations-0-attachments": [(io.BytesIO(docx_bytes(huge=True)), "bom.docx")]}
    response = post_form(client, conference, registration_payload(), files=files)
    assert response.status_code == 422
    assert "dung lượng giải nén quá lớn" in response.get_data(as_text=True)


def test_more_than_five_files_are_refused(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    files = {"recommendations-0-attachments": [(io.BytesIO(PDF), f"tep-{i}.pdf") for i in range(6)]}
    response = post_form(client, conference, registration_payload(), files=files)
    assert response.status_code == 422
    assert "tối đa 5 tệp" in response.get_data(as_text=True)


def test_file_over_ten_megabytes_is_refused(client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = post_form(
        client,
        conference,
        registration_payload(),
        files={"recommendations-0-attachments": [(io.BytesIO(big), "lon.pdf")]},
    )
    assert response.status_code == 422
    assert "vượt quá 10 MB" in response.get_data(as_text=True)
