"""Conferences in the back office: create, publish, postpone and cancel (with mail), held,
invitee CSV import with a preview and row errors."""

import html
import io
import re

from tests.factories import create_conference, create_registration
from tests.login import csrf, csrf_from
from webforms.extensions import db
from webforms.models import AuditEvent, Conference, ConferenceStatus, Invitee, OutboxMessage


def test_create_edit_and_publish(client, staff, app_ctx):
    staff("secretariat")
    token = csrf(client, "/quan-tri/hoi-nghi/tao-moi")
    response = client.post("/quan-tri/hoi-nghi/tao-moi", data={
        "csrf_token": token, "title": "Hội nghị đối thoại doanh nghiệp năm 2031", "date": "2031-09-04",
        "time": "08:30", "venue": "Trụ sở Ban Quản lý", "format": "hybrid", "host_agency": "",
        "signer_authority": "KT. TRƯỞNG BAN", "signer_title": "PHÓ TRƯỞNG BAN", "signer_name": "Nguyễn Văn B",
        "announcement_text": "Kính mời doanh nghiệp."})
    assert response.status_code == 302
    conference = db.session.query(Conference).one()
    assert conference.format == "hybrid" and conference.signer_name == "Nguyễn Văn B"
    assert conference.starts_at.isoformat() == "2031-09-04T01:30:00+00:00"
    dashboard = client.get(f"/quan-tri/hoi-nghi/{conference.slug}").get_data(as_text=True)
    assert "Hết hạn nhận đăng ký và kiến nghị" in dashboard
    assert "0</strong> / 15" in dashboard
    client.post(f"/quan-tri/hoi-nghi/{conference.slug}/dang-thong-bao", data={"csrf_token": token})
    db.session.expire_all()
    assert conference.status == ConferenceStatus.ANNOUNCED
    assert db.session.query(AuditEvent).filter_by(action="conference.announce").count() == 1


def test_bad_input_gives_form_errors_not_500(client, staff, app_ctx):
    staff("secretariat")
    token = csrf(client, "/quan-tri/hoi-nghi/tao-moi")
    response = client.post("/quan-tri/hoi-nghi/tao-moi", data={"csrf_token": token, "title": "", "date": "04/09",
                                                              "time": "sáng", "venue": "", "format": "x"})
    assert response.status_code == 200
    assert "Vui lòng nhập tên hội nghị." in response.get_data(as_text=True)
    assert client.get("/quan-tri/hoi-nghi/khong-co").status_code == 404
    assert client.get("/quan-tri/kien-nghi?page=abc&sort=%27;drop&overdue=zz").status_code == 200


def test_postpone_emails_everyone_concerned(client, staff, app_ctx):
    conference = create_conference(slug="hn-hoan", status=ConferenceStatus.ANNOUNCED)
    create_registration(conference, contact_email="dn1@example.vn")
    create_registration(conference, contact_email="dn2@example.vn")
    db.session.add(Invitee(conference_id=conference.id, category="press", name="Báo HP", email="bao@example.vn"))
    db.session.add(Invitee(conference_id=conference.id, category="agency", name="Sở KH", email="DN1@example.vn"))
    db.session.commit()
    staff("secretariat")
    token = csrf(client)
    response = client.post("/quan-tri/hoi-nghi/hn-hoan/hoan", data={
        "csrf_token": token, "date": "2099-10-02", "time": "09:00", "reason": "Trùng lịch làm việc của Thành ủy"})
    assert response.status_code == 302
    db.session.expire_all()
    assert conference.starts_at.year == 2099 and conference.status_reason.startswith("Trùng lịch")
    # Besides the participants, the Office is warned once that 2099's days off are not confirmed.
    (warning,) = db.session.query(OutboxMessage).filter(OutboxMessage.dedupe_key.like("unconfirmed-calendar:%")).all()
    assert "2099" in warning.payload["text"]
    rows = db.session.query(OutboxMessage).filter(OutboxMessage.dedupe_key.like("postponed:%")).all()
    assert sorted(r.payload["to"][0] for r in rows) == ["bao@example.vn", "dn1@example.vn", "dn2@example.vn"]
    assert all("hoãn" in r.payload["subject"] for r in rows)
    # The same postponement twice sends nothing more.
    client.post("/quan-tri/hoi-nghi/hn-hoan/hoan", data={
        "csrf_token": token, "date": "2099-10-02", "time": "09:00", "reason": "Trùng lịch"})
    assert db.session.query(OutboxMessage).count() == 4


def test_cancel_requires_a_reason_and_emails(client, staff, app_ctx):
    conference = create_conference(slug="hn-huy")
    create_registration(conference, contact_email="dn@example.vn")
    db.session.commit()
    staff("admin")
    token = csrf(client)
    client.post("/quan-tri/hoi-nghi/hn-huy/huy", data={"csrf_token": token, "reason": ""})
    db.session.expire_all()
    assert conference.status == ConferenceStatus.ANNOUNCED
    client.post("/quan-tri/hoi-nghi/hn-huy/huy", data={"csrf_token": token, "reason": "Không đủ điều kiện"})
    db.session.expire_all()
    assert conference.status == ConferenceStatus.CANCELLED
    assert db.session.query(OutboxMessage).one().payload["to"] == ["dn@example.vn"]


def test_mark_held(client, staff, app_ctx):
    conference = create_conference(slug="hn-hop")
    db.session.commit()
    staff("consolidation")
    client.post("/quan-tri/hoi-nghi/hn-hop/da-to-chuc", data={"csrf_token": csrf(client)})
    db.session.expire_all()
    assert conference.status == ConferenceStatus.HELD and conference.held_at is not None


def _upload(client, slug, content: bytes, token):
    return client.post(f"/quan-tri/hoi-nghi/{slug}/khach-moi/tai-len",
                       data={"csrf_token": token, "file": (io.BytesIO(content), "khach-moi.csv")},
                       content_type="multipart/form-data")


def test_csv_preview_reports_every_row_error_and_stores_nothing(client, staff, app_ctx):
    create_conference(slug="hn-csv")
    db.session.commit()
    staff("secretariat")
    token = csrf(client)
    content = ("nhóm,họ tên,chức vụ,cơ quan,email\n"
               "báo chí,Báo Hải Phòng,,Báo Hải Phòng,toasoan@baohaiphong.example.vn\n"
               "vũ trụ,Người lạ,,,\n"
               "sở ngành,=HYPERLINK(\"http://x\"),,,\n"
               "doanh nghiệp,Công ty A,,,khong-phai-email\n"
               "doanh nghiệp,,,,\n").encode()
    response = _upload(client, "hn-csv", content, token)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Có 4 dòng lỗi" in page
    assert "Nhóm “vũ trụ” không hợp lệ" in page
    assert "bắt đầu bằng ký tự công thức" in page
    assert "Email “khong-phai-email” không hợp lệ." in page
    assert "Thiếu họ tên." in page
    assert "Nhập " not in page.split("</table>")[-1]  # no import button
    assert db.session.query(Invitee).count() == 0


def test_csv_file_level_errors(client, staff, app_ctx):
    create_conference(slug="hn-csv2")
    db.session.commit()
    staff("secretariat")
    token = csrf(client)
    assert "UTF-8" in _upload(client, "hn-csv2", b"nh\xf3m,t\xean\nb\xe1o ch\xed,B\xe1o\n", token) \
        .get_data(as_text=True)
    assert "Thiếu cột bắt buộc: nhóm" in _upload(client, "hn-csv2", b"ten,email\nA,a@b.vn\n", token) \
        .get_data(as_text=True)
    assert "Tệp trống" in _upload(client, "hn-csv2", b"", token).get_data(as_text=True)


def test_csv_preview_then_import(client, staff, app_ctx):
    create_conference(slug="hn-csv3")
    db.session.commit()
    staff("secretariat")
    token = csrf(client)
    content = ("\ufeffNhóm;Họ tên;Chức vụ;Cơ quan;Email\n"
               "lãnh đạo thành phố;Ông Nguyễn Văn C;Phó Chủ tịch;UBND thành phố;\n"
               "portal;Cổng TTĐT thành phố;;;portal@haiphong.example.vn\n").encode()
    preview = _upload(client, "hn-csv3", content, token)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Nhập 2 khách mời" in page
    csv_text = re.search(r'name="csv_text" type="hidden" value="([^"]*)"', page)
    response = client.post("/quan-tri/hoi-nghi/hn-csv3/khach-moi/nhap",
                           data={"csrf_token": csrf_from(page), "csv_text": html.unescape(csv_text.group(1))})
    assert response.status_code == 302
    invitees = {i.name: i.category for i in db.session.query(Invitee)}
    assert invitees == {"Ông Nguyễn Văn C": "city_leader", "Cổng TTĐT thành phố": "portal"}
    # A tampered text with an error is refused at import time too.
    client.post("/quan-tri/hoi-nghi/hn-csv3/khach-moi/nhap",
                data={"csrf_token": token, "csv_text": "nhóm,họ tên\nxyz,A\n"})
    assert db.session.query(Invitee).count() == 2


def test_a_conference_on_a_day_off_is_refused_next_to_the_date(client, staff, app_ctx):
    staff("secretariat")
    token = csrf(client, "/quan-tri/hoi-nghi/tao-moi")
    response = client.post("/quan-tri/hoi-nghi/tao-moi", data={
        "csrf_token": token, "title": "Hội nghị đầu xuân", "date": "2027-02-08", "time": "08:30",
        "venue": "Trụ sở Ban Quản lý", "format": "in_person"})
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "Ngày 08/02/2027 là ngày nghỉ (Mùng ba Tết Nguyên Đán); vui lòng chọn ngày làm việc." in page
    assert db.session.query(Conference).count() == 0


def test_a_late_announcement_asks_for_a_reason_and_shows_it(client, staff, app_ctx, calendar, rules):
    import datetime as dt

    from webforms.timeutil import utcnow

    # Past the plan's notice (D−7 working days) but before the intake closes (D−5), whatever today is.
    today = utcnow().astimezone(rules.plan.timezone).date()
    day = calendar.add_working_days(today, 6)
    conference = create_conference(slug="hn-muon", status=ConferenceStatus.DRAFT,
                                   starts_at=dt.datetime.combine(day, dt.time(8, 30), tzinfo=rules.plan.timezone))
    db.session.commit()
    staff("secretariat")
    dashboard = client.get("/quan-tri/hoi-nghi/hn-muon").get_data(as_text=True)
    assert 'name="late_reason"' in dashboard
    token = csrf_from(dashboard)
    client.post("/quan-tri/hoi-nghi/hn-muon/dang-thong-bao", data={"csrf_token": token})
    db.session.expire_all()
    assert conference.status == ConferenceStatus.DRAFT
    refused = html.unescape(client.get("/quan-tri/hoi-nghi/hn-muon").get_data(as_text=True))
    assert "vui lòng nêu lý do đăng muộn" in refused
    client.post("/quan-tri/hoi-nghi/hn-muon/dang-thong-bao",
                data={"csrf_token": token, "late_reason": "Chờ lãnh đạo Ban cho ý kiến về địa điểm"})
    db.session.expire_all()
    assert conference.status == ConferenceStatus.ANNOUNCED
    shown = html.unescape(client.get("/quan-tri/hoi-nghi/hn-muon").get_data(as_text=True))
    assert "Đăng thông báo muộn so với Kế hoạch. Lý do: Chờ lãnh đạo Ban cho ý kiến về địa điểm" in re.sub(
        r"<[^>]+>", "", shown)
    assert "Bộ phận một cửa lúc" in shown


def test_editing_a_draft_onto_a_day_off_is_refused(client, staff, app_ctx):
    create_conference(slug="hn-sua", status=ConferenceStatus.DRAFT)
    db.session.commit()
    staff("secretariat")
    token = csrf(client, "/quan-tri/hoi-nghi/hn-sua/sua")
    response = client.post("/quan-tri/hoi-nghi/hn-sua/sua", data={
        "csrf_token": token, "title": "Hội nghị", "date": "2025-09-02", "time": "08:30",
        "venue": "Trụ sở Ban Quản lý", "format": "in_person"})
    assert response.status_code == 200
    assert "Ngày 02/09/2025 là ngày nghỉ (Quốc khánh)" in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.query(Conference).one().starts_at.day == 4


def test_the_office_is_told_where_to_confirm_the_days_off_of_a_year_not_confirmed(app, client, staff, app_ctx,
                                                                                 mailbox, settings):
    """The warning the Office gets for a conference in a year whose days off are not confirmed, as its mail
    client reads it: the conference named once, and the back office page where the year is confirmed."""
    from tests.jobs import run_jobs

    staff("secretariat")
    token = csrf(client, "/quan-tri/hoi-nghi/tao-moi")
    assert client.post("/quan-tri/hoi-nghi/tao-moi", data={
        "csrf_token": token, "title": "Hội nghị đối thoại doanh nghiệp năm 2031", "date": "2031-09-04",
        "time": "08:30", "venue": "Trụ sở Ban Quản lý", "format": "in_person", "host_agency": "",
        "signer_authority": "KT. TRƯỞNG BAN", "signer_title": "PHÓ TRƯỞNG BAN", "signer_name": "Nguyễn Văn B",
        "announcement_text": ""}).status_code == 302
    run_jobs(app)
    (warning,) = [m for m in mailbox.messages if m.subject.startswith("[Lưu ý]")]
    assert warning.subject == ("[Lưu ý] Thời hạn của Hội nghị đối thoại doanh nghiệp năm 2031 tính theo lịch nghỉ lễ "
                               "dự kiến")
    text = warning.text.replace("\r\n", "\n")
    assert "\nHội nghị đối thoại doanh nghiệp năm 2031 tổ chức lúc 08:30 ngày 04/09/2031." in text
    assert 'Hội nghị "' not in text and "Hội nghị Hội nghị" not in text
    link = f"{settings.public_base_url.rstrip('/')}/quan-tri/quy-tac/sua?tep=holidays.yaml"
    assert text.count(link) == 1
    assert f"các đơn vị có thời hạn thay đổi):\n{link}\n" in text  # on a line of its own: no "." for a client's link
    assert f'<a href="{html.escape(link)}">trang quản trị</a>' in warning.html
    assert "config/holidays.yaml" not in text
    # The link opens the file where the Office (the secretariat) confirms the year.
    page = client.get(link.removeprefix(settings.public_base_url.rstrip("/")))
    assert page.status_code == 200
    assert "confirmed_years" in page.get_data(as_text=True)
