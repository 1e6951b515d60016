"""Hostile values through the department's answer page, the back office's invitee CSV import and
file uploads. Same bar as the intake: never a 5xx; refused with a Vietnamese message, or stored and
shown escaped; every email sent has intact headers; every .docx made from the values opens and shows
them literally."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
from sqlalchemy import select

from tests.factories import create_conference, create_enterprise, create_recommendation, create_registration
from tests.hostile.conftest import assert_headers_intact, assert_literal, assert_no_raw_markup, is_vietnamese
from tests.hostile.test_intake_hostile import docx_text, open_conference, post_form
from tests.hostile.values import VALUES, wire
from tests.intake_helpers import fetch_form, form_fields, registration_payload
from tests.jobs import run_jobs
from tests.login import csrf_from
from webforms.domain import events
from webforms.domain.documents import generate_document
from webforms.domain.documents.render import sanitize_text
from webforms.domain.links import sign_link
from webforms.domain.text import clean_text
from webforms.extensions import db
from webforms.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Attachment,
    Invitee,
    OutboxMessage,
    OutboxStatus,
    Recommendation,
    Registration,
)
from webforms.timeutil import utcnow

pytestmark = pytest.mark.hostile

_FLASH = re.compile(r'class="flash[^"]*error[^"]*"[^>]*>(.*?)<', re.S)


def routed_recommendation(rules, calendar, settings) -> str:
    now = utcnow()
    conference = create_conference(starts_at=now + dt.timedelta(days=21))
    registration = create_registration(conference, create_enterprise(zone_code="KCN-VSIP"),
                                       contact_email="giamdoc@congty.example.vn")
    rec = create_recommendation(registration, field_code="DAU_TU")
    events.recommendation_received.send(rec, now=now, rules=rules, calendar=calendar, settings=settings)
    db.session.commit()
    return rec.code


def owner_link(code: str, settings) -> str:
    db.session.expire_all()
    rec = db.session.scalar(select(Recommendation).where(Recommendation.code == code))
    owner = [a for a in rec.assignments if a.role == AssignmentRole.OWNER
             and a.state in (AssignmentState.OPEN, AssignmentState.SENT_BACK)][-1]
    return "/tra-loi/" + sign_link(owner, settings.secret_key)


def page_csrf(page: str, prefix: str) -> str:
    match = re.search(rf'name="{prefix}-csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, f"no {prefix} form on the page"
    return match.group(1)


def check_all_mail(app, mailbox) -> int:
    run_jobs(app)
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        bad = [(r.status, r.last_error[:200]) for r in rows if r.status != OutboxStatus.SENT]
        assert not bad, bad
    messages = mailbox.wait_for(len(rows))
    assert len(messages) == len(rows)
    assert len({m.message["Message-ID"] for m in messages}) == len(rows)
    for received in messages:
        assert_headers_intact(received)
    return len(rows)


def test_department_page_draft_answer_return_reason_and_delegate(app, client, rules, calendar, settings,
                                                                 mailbox):
    with app.app_context():
        code = routed_recommendation(rules, calendar, settings)
        link = owner_link(code, settings)
    requests = 0
    page = client.get(link).get_data(as_text=True)
    token = page_csrf(page, "draft")
    # Every third value as the draft answer (the page grows with each save's history line); the page
    # after each save shows it escaped in the textarea.
    for value in VALUES[::3]:
        response = post_form(client, link + "/du-thao",
                             [("draft-csrf_token", token), ("draft-answer", value)], follow_redirects=True)
        requests += 2
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert_no_raw_markup(page)
        stored = clean_text(wire(value), multiline=True)
        if len(value) > 20_000:
            assert any(is_vietnamese(m) for m in _FLASH.findall(page)) or "quá dài" in page
        elif stored:
            assert_literal(page, stored, "draft answer")
    with app.app_context():
        rec = db.session.scalar(select(Recommendation).where(Recommendation.code == code))
        conference = rec.conference
        last = next(clean_text(v, multiline=True) for v in reversed(VALUES) if len(v) <= 20_000
                    and clean_text(v, multiline=True))
        rec.assignments[0].draft_answer = "Dự thảo: " + VALUES[0] + " " + VALUES[60] + "\n" + VALUES[100]
        db.session.commit()
        for kind, subject in (("reply_letter", {"recommendation": code}), ("consolidated_table", {})):
            document = generate_document(conference, kind, rules, settings, utcnow(), pdf=False, **subject)
            db.session.commit()
            text = docx_text((settings.resolved_documents_dir / document.path).read_bytes())
            for line in sanitize_text(rec.assignments[0].draft_answer).split("\n"):
                assert line.strip() in text
        assert last is not None

    # Return reasons: a return closes the assignment, so each one goes to the next owner in the chain.
    for i, value in enumerate(VALUES[1::6]):
        with app.app_context():
            link = owner_link(code, settings)
            consolidating = db.session.scalar(
                select(Assignment).where(Assignment.recommendation.has(code=code),
                                         Assignment.state == AssignmentState.OPEN)
            ).department.code == rules.consolidating_department.code
        page = client.get(link).get_data(as_text=True)
        requests += 1
        data = {"return-csrf_token": page_csrf(page, "return"), "return-reason": value,
                "return-suggested": "QLDT" if consolidating else "", "return-suggested_other": VALUES[-1 - i]}
        response = post_form(client, link + "/tra-lai", list(data.items()))
        requests += 1
        assert response.status_code in (302, 303), (value[:40], response.status_code)
        after = client.get(response.headers["Location"])
        requests += 1
        assert after.status_code == 200
        assert_no_raw_markup(after.get_data(as_text=True))

    # Delegation: the email is checked (most values are refused), the name stored and shown escaped.
    for i, value in enumerate(VALUES[3::6]):
        with app.app_context():
            link = owner_link(code, settings)
        page = client.get(link).get_data(as_text=True)
        requests += 1
        data = {"delegate-csrf_token": page_csrf(page, "delegate"), "delegate-name": VALUES[-2 - i],
                "delegate-email": value}
        response = post_form(client, link + "/giao-dong-nghiep", list(data.items()), follow_redirects=True)
        requests += 1
        assert response.status_code == 200, response.status_code
        assert_no_raw_markup(response.get_data(as_text=True))
    with app.app_context():
        holders = [a.holder_email for a in db.session.scalars(select(Assignment)) if a.holder_email]
        for address in holders:
            assert "\n" not in address
            assert "\r" not in address
    sent = check_all_mail(app, mailbox)
    print(f"department page: {requests} requests, {sent} emails")


def test_invitee_csv_import(app, staff_client, rules, settings):
    with app.app_context():
        conference_id = create_conference(slug="hn-csv-hostile").id
        db.session.commit()
    base = "/quan-tri/hoi-nghi/hn-csv-hostile/khach-moi"
    token = csrf_from(staff_client.get(base).get_data(as_text=True))

    def rows_csv(rows) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["nhóm", "họ tên", "chức vụ", "cơ quan", "email"])
        writer.writerows(rows)
        return out.getvalue().encode("utf-8", "surrogatepass")

    # A file that is not UTF-8 (a surrogate's bytes) is refused whole; see the end. Rows: as read.
    values = [wire(v).replace("\x00", "") for v in VALUES]  # a NUL refuses the whole file: below
    rows = [["báo chí", value, values[(i + 50) % len(values)], values[(i + 100) % len(values)],
             values[(i + 150) % len(values)] if i % 4 == 0 else f"khach{i}@example.vn"]
            for i, value in enumerate(values)]
    preview = staff_client.post(base + "/tai-len", data={"csrf_token": token,
                                                         "file": (io.BytesIO(rows_csv(rows)), "khach.csv")})
    assert preview.status_code in (200, 422)
    page = preview.get_data(as_text=True)
    assert_no_raw_markup(page)
    # Keep the rows the parser accepts, import them, and see each name escaped on the invitee page.
    from webforms.domain.conference_admin import decode_csv, parse_invitees_csv

    parsed = parse_invitees_csv(decode_csv(rows_csv(rows)) or "")
    assert parsed.error_rows, "formulas and bad emails are refused row by row"
    for row in parsed.error_rows:
        assert all(is_vietnamese(e) for e in row.errors), row.errors
    assert len(parsed.rows) == len(rows)
    good = [rows[i] for i, row in enumerate(parsed.rows) if not row.errors]
    assert len(good) > 50
    preview = staff_client.post(base + "/tai-len", data={"csrf_token": token,
                                                         "file": (io.BytesIO(rows_csv(good)), "khach.csv")})
    assert preview.status_code == 200, [e for r in parse_invitees_csv(rows_csv(good).decode()).rows
                                       for e in r.errors][:5]
    text = decode_csv(rows_csv(good))
    response = staff_client.post(base + "/nhap", data={"csrf_token": token, "csv_text": text})
    assert response.status_code == 302
    listing = staff_client.get(base).get_data(as_text=True)
    assert_no_raw_markup(listing)
    with app.app_context():
        invitees = db.session.scalars(select(Invitee).where(Invitee.conference_id == conference_id)).all()
        assert len(invitees) == len(good)
        for invitee in invitees:
            assert_literal(listing, invitee.name, "invitee list")
        for invitee in invitees[:8]:
            document = generate_document(invitee.conference, "invitation", rules, settings, utcnow(),
                                         pdf=False, invitee=invitee.id)
            text = docx_text((settings.resolved_documents_dir / document.path).read_bytes())
            assert sanitize_text(invitee.name).strip() in text
        db.session.rollback()
    broken = staff_client.post(base + "/tai-len", data={"csrf_token": token, "file": (
        io.BytesIO(rows_csv([["báo chí", "\ud800", "", "", ""]])), "khach.csv")})
    assert broken.status_code == 422
    assert "UTF-8" in broken.get_data(as_text=True)
    nul = staff_client.post(base + "/tai-len", data={"csrf_token": token, "file": (
        io.BytesIO(rows_csv([["báo chí", "a\x00b", "", "", ""]])), "khach.csv")})
    assert nul.status_code == 422
    assert "không phải là tệp văn bản CSV" in nul.get_data(as_text=True)
    print(f"CSV: {len(rows)} rows, {len(parsed.error_rows)} refused, {len(good)} imported")


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120


def ooxml(main: str = "word/document.xml", *, macro=False, macro_type=False, bomb=False, members=0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        macro_part = '<Override ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>'
        content_types = f"<Types>{macro_part}</Types>" if macro_type else "<Types/>"
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr(main, "<w:document/>")
        if macro:
            archive.writestr("word/vbaProject.bin", b"\x00" * 64)
        if bomb:
            archive.writestr("word/media/big.bin", b"\x00" * (210 * 1024 * 1024))
        for i in range(members):
            archive.writestr(f"word/m{i}.xml", "")
    return buffer.getvalue()


BAD_FILES = [
    ("bao-cao.pdf", ELF, "không khớp"),
    ("anh.png", PDF, "không khớp"),
    ("anh.jpg", ooxml(), "không khớp"),
    ("bang.xlsx", ooxml(), "không phải là tệp XLSX"),
    ("van-ban.docx", ooxml(macro=True), "macro"),
    ("van-ban.docx", ooxml(macro_type=True), "macro"),
    ("van-ban.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "_VBA_PROJECT".encode("utf-16-le"), "macro"),
    ("bom.docx", ooxml(bomb=True), "giải nén quá lớn"),
    ("nhieu.docx", ooxml(members=5001), "giải nén quá lớn"),
    ("rong.pdf", b"", "rỗng"),
    ("../../etc/passwd", b"root:x:0:0", "chỉ nhận các định dạng"),
    ("..\\..\\windows\\win.ini", b"[fonts]", "chỉ nhận các định dạng"),
    ("script.pdf.exe", ELF, "chỉ nhận các định dạng"),
    ("gnp\u202e.exe", ELF, "chỉ nhận các định dạng"),
    ("hong.zip", ooxml(), "chỉ nhận các định dạng"),
]
GOOD_NAMES = [
    "../../etc/passwd.pdf",
    "..\\..\\win.ini.pdf",
    "/etc/shadow.pdf",
    "tệp\x00.pdf",
    "<script>alert(1)</script>.pdf",
    "=HYPERLINK(http://evil.example).pdf",
    "{{ 7*7 }}.pdf",
    "Hồ sơ " + "x" * 5000 + ".pdf",
    "\u202eFDP.pdf",
]


def test_uploads_refused_with_a_message_or_stored_under_a_random_name(app, client, staff_client, rules,
                                                                       calendar, settings):
    with app.app_context():
        conference = open_conference(rules, calendar)
        slug = conference.slug
    url = f"/hoi-nghi/{slug}/dang-ky"
    hidden = fetch_form(client, url)
    for name, content, message in BAD_FILES:
        data = {**form_fields(registration_payload(recommendations=1)), **hidden,
                "recommendations-0-attachments": [(io.BytesIO(content), name)]}
        response = client.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 422, (name, response.status_code)
        page = response.get_data(as_text=True)
        assert message in page, (name, message)
        assert 'id="recommendations-0-attachments-error-1"' in page
    with app.app_context():
        assert db.session.scalar(select(Attachment.id)) is None
        assert db.session.scalar(select(Registration.id)) is None
    uploads = settings.resolved_uploads_dir
    assert not uploads.exists() or not any(uploads.iterdir())

    files = [(io.BytesIO(PDF), name) for name in GOOD_NAMES[:5]]
    more = [(io.BytesIO(PDF if i % 2 else PNG), name if i % 2 else name[:-4] + ".png")
            for i, name in enumerate(GOOD_NAMES[5:])]
    payload = registration_payload(recommendations=2)
    data = {**form_fields(payload), **fetch_form(client, url), "recommendations-0-attachments": files,
            "recommendations-1-attachments": more}
    response = client.post(url, data=data, content_type="multipart/form-data")
    messages = re.findall(r"error-message[^>]*>([^<]*)", response.get_data(as_text=True))
    assert response.status_code == 303, messages
    with app.app_context():
        stored = db.session.scalars(select(Attachment)).all()
        assert len(stored) == len(GOOD_NAMES)
        for attachment in stored:
            assert re.fullmatch(r"[0-9a-f]{32}", attachment.stored_name)
            assert (uploads / attachment.stored_name).is_file()
            assert "/" not in attachment.original_name
            assert "\\" not in attachment.original_name
            assert "\x00" not in attachment.original_name
            assert len(attachment.original_name) <= 255
        rec_ids = [r.id for r in db.session.scalars(select(Recommendation))]
        names = [a.original_name for a in stored]
    assert sorted(p.name for p in uploads.iterdir()) == sorted(a.stored_name for a in stored)
    for rec_id in rec_ids:
        page = staff_client.get(f"/quan-tri/kien-nghi/{rec_id}").get_data(as_text=True)
        assert_no_raw_markup(page)
    pages = "".join(staff_client.get(f"/quan-tri/kien-nghi/{r}").get_data(as_text=True) for r in rec_ids)
    for name in names:
        assert_literal(pages, name, "attachment name")
