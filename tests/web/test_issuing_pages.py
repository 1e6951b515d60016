"""Back office: approve, issue (upload a signed PDF), withdraw, the register and its XLSX; the public
verification page; the public folder's issued documents."""

from __future__ import annotations

import hashlib
import io

from openpyxl import load_workbook
from sqlalchemy import select

from tests.factories import create_conference
from tests.login import csrf, login_as
from tests.moments import local
from webforms.domain.documents import generate_document
from webforms.extensions import db
from webforms.models import AuditEvent, Document
from webforms.services import services
from webforms.timeutil import utcnow

NO_TOKEN = {"SIGNING_PKCS11_MODULE": ""}


def _draft(app, year=None) -> int:
    with app.app_context():
        svc = services()
        now = utcnow()
        conference = create_conference(slug="hn-ban-hanh", starts_at=now.replace(month=12, day=20)
                                       if year is None else local(year, 12, 20))
        document = generate_document(conference, "announcement", svc.rules, svc.settings, now, pdf=False)
        db.session.commit()
        return document.id


def _issue_page(document_id: int) -> str:
    return f"/quan-tri/van-ban/{document_id}/ban-hanh"


def test_approve_then_issue_an_uploaded_signed_pdf_and_read_the_register(
    app, client, signing_setup, signed_pdf, plain_pdf, monkeypatch
):
    monkeypatch.setenv("SIGNING_TRUST_ANCHORS", str(signing_setup.ca.pem_path))
    monkeypatch.setenv("SIGNING_PKCS11_MODULE", "")
    document_id = _draft(app)
    with app.app_context():
        login_as(client, "admin")
    page = client.get(_issue_page(document_id)).get_data(as_text=True)
    assert "Dự thảo" in page and "Duyệt nội dung" in page
    token = csrf(client, _issue_page(document_id))
    client.post(f"/quan-tri/van-ban/{document_id}/duyet", data={"csrf_token": token})
    page = client.get(_issue_page(document_id)).get_data(as_text=True)
    assert "Đã duyệt nội dung, chờ ký" in page
    assert "Chưa cấu hình thiết bị ký số trên máy chủ" in page
    # An unsigned PDF is refused with the reason, and takes no number.
    refused = client.post(_issue_page(document_id), data={
        "csrf_token": token, "signed_file": (io.BytesIO(plain_pdf), "chua-ky.pdf")}, follow_redirects=True)
    assert "Tệp PDF không có chữ ký số." in refused.get_data(as_text=True)
    issued = client.post(_issue_page(document_id), data={
        "csrf_token": token, "signed_file": (io.BytesIO(signed_pdf), "da-ky.pdf")}, follow_redirects=True)
    html = issued.get_data(as_text=True)
    year = utcnow().astimezone(app.extensions["doithoai"].rules.plan.timezone).year
    assert "Đã ban hành văn bản số 01/TB-BQL." in html
    assert hashlib.sha256(signed_pdf).hexdigest() in html
    download = client.get(f"/quan-tri/van-ban/{document_id}/ban-chinh-thuc")
    assert download.data == signed_pdf
    assert f"TB-BQL-so-01-{year}.pdf" in download.headers["Content-Disposition"]
    listing = client.get("/quan-tri/van-ban?conference=hn-ban-hanh").get_data(as_text=True)
    assert "Đã ban hành" in listing and "01/TB-BQL" in listing
    register_page = client.get(f"/quan-tri/so-van-ban-di?nam={year}").get_data(as_text=True)
    assert "01/TB-BQL" in register_page and "Bùi Ngọc Hải" in register_page
    sheet = load_workbook(io.BytesIO(client.get(f"/quan-tri/so-van-ban-di.xlsx?nam={year}").data)).active
    assert sheet["A3"].value == "01/TB-BQL"
    assert sheet["C3"].value.startswith("Thông báo tổ chức Hội nghị")
    with app.app_context():
        events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("document.%"))).all()
        assert sorted(events) == ["document.approve", "document.issue"]
    # Withdrawal needs a reason, then the register says so.
    page = client.post(f"/quan-tri/van-ban/{document_id}/thu-hoi", data={"csrf_token": token, "reason": " "},
                       follow_redirects=True)
    assert "Vui lòng nêu lý do thu hồi." in page.get_data(as_text=True)
    client.post(f"/quan-tri/van-ban/{document_id}/thu-hoi", data={"csrf_token": token, "reason": "Ban hành nhầm"})
    assert "Đã thu hồi: Ban hành nhầm" in client.get(f"/quan-tri/so-van-ban-di?nam={year}").get_data(as_text=True)


def test_a_leader_cannot_issue(app, client):
    document_id = _draft(app)
    with app.app_context():
        login_as(client, "leader")
    token = csrf(client, _issue_page(document_id))
    assert client.post(_issue_page(document_id), data={"csrf_token": token}).status_code == 403


def _issued_with_code(app, signing_setup, signed_pdf) -> tuple[int, str]:
    from webforms.domain.documents.issuing import approve_document, issue_document

    with app.app_context():
        svc = services()
        document = db.session.get(Document, _draft(app))
        approve_document(document)
        issue_document(document, svc.rules, svc.settings, local(2027, 1, 5, 10), signed_pdf=signed_pdf,
                       config=signing_setup.config)
        db.session.commit()
        return document.id, document.verify_code


def test_the_verification_page_tells_whether_a_file_is_that_document(app, client, signing_setup, signed_pdf,
                                                                      plain_pdf):
    document_id, code = _issued_with_code(app, signing_setup, signed_pdf)
    page = client.get(f"/xac-thuc/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "01/TB-BQL" in html and "05/01/2027" in html and "Bùi Ngọc Hải" in html
    assert hashlib.sha256(signed_pdf).hexdigest() in html
    assert "đang có hiệu lực" in html
    token = csrf(client, f"/xac-thuc/{code}")
    same = client.post(f"/xac-thuc/{code}", data={"csrf_token": token,
                                                  "file": (io.BytesIO(signed_pdf), "van-ban.pdf")})
    assert "Tệp trùng khớp: đây đúng là văn bản số 01/TB-BQL." in same.get_data(as_text=True)
    other = client.post(f"/xac-thuc/{code}", data={"csrf_token": token, "file": (io.BytesIO(plain_pdf), "x.pdf")})
    assert "Tệp không trùng khớp" in other.get_data(as_text=True)
    by_hash = client.post(f"/xac-thuc/{code}", data={"csrf_token": token,
                                                     "sha256": hashlib.sha256(signed_pdf).hexdigest().upper()})
    assert "Tệp trùng khớp" in by_hash.get_data(as_text=True)
    bad = client.post(f"/xac-thuc/{code}", data={"csrf_token": token, "sha256": "abc"})
    assert "Mã SHA-256 gồm đúng 64 ký tự" in bad.get_data(as_text=True)
    assert client.post(f"/xac-thuc/{code}", data={"sha256": "abc"}).status_code == 400  # no CSRF token
    assert client.get("/xac-thuc/khong-co").status_code == 404
    with app.app_context():
        from webforms.domain.documents.issuing import withdraw_document

        withdraw_document(db.session.get(Document, document_id), "Sai số liệu")
        db.session.commit()
    assert "đã bị thu hồi: Sai số liệu" in client.get(f"/xac-thuc/{code}").get_data(as_text=True)


def test_a_replaced_document_says_by_which(app, client, signing_setup, signed_pdf):
    from webforms.domain.documents.issuing import approve_document, issue_document

    document_id, code = _issued_with_code(app, signing_setup, signed_pdf)
    with app.app_context():
        svc = services()
        first = db.session.get(Document, document_id)
        again = generate_document(first.conference, "announcement", svc.rules, svc.settings, utcnow(), pdf=False)
        approve_document(again)
        issue_document(again, svc.rules, svc.settings, local(2027, 1, 6, 10), signed_pdf=signed_pdf,
                       config=signing_setup.config)
        db.session.commit()
    html = client.get(f"/xac-thuc/{code}").get_data(as_text=True)
    assert "đã được thay thế bởi văn bản số 02/TB-BQL ngày 06/01/2027" in html


def test_the_public_folder_lists_an_issued_document_with_number_and_date(app, client, signing_setup, signed_pdf):
    document_id, code = _issued_with_code(app, signing_setup, signed_pdf)
    with app.app_context():
        db.session.get(Document, document_id).published = True
        db.session.commit()
    html = client.get("/doi-thoai-doanh-nghiep/hn-ban-hanh").get_data(as_text=True)
    assert "số 01/TB-BQL ngày 05/01/2027" in html
    assert f"/xac-thuc/{code}" in html
    download = client.get(f"/doi-thoai-doanh-nghiep/hn-ban-hanh/van-ban/{document_id}")
    assert download.data == signed_pdf
