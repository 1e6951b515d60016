"""The document lifecycle, the outgoing register and issuing (render with the number, sign, record)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from tests.factories import create_conference
from tests.moments import local
from webforms.domain.documents import generate_document
from webforms.domain.documents import register as reg
from webforms.domain.documents.issuing import (
    IssueRefused,
    approve_document,
    find_by_sha256,
    issue_document,
    withdraw_document,
)
from webforms.domain.documents.signing import validate_signed_pdf
from webforms.extensions import db
from webforms.models import TRANSITIONS, Document, DocumentState, RegisterEntry, TransitionRefused

ISSUE_DAY = local(2027, 1, 5, 10)


def _approved(rules, settings, kind="announcement", now=ISSUE_DAY, conference=None):
    conference = conference or create_conference(starts_at=local(2027, 1, 20, 8, 30))
    document = generate_document(conference, kind, rules, settings, now, pdf=False)
    approve_document(document)
    return document


def test_the_transition_table_allows_only_its_moves(db_session):
    document = Document(state="draft")
    with pytest.raises(TransitionRefused, match="draft -> issued"):
        document.move_to(DocumentState.ISSUED)
    for state in (DocumentState.APPROVED, DocumentState.SIGNED, DocumentState.ISSUED, DocumentState.REPLACED):
        document.move_to(state)
    assert document.state == "replaced"
    assert TRANSITIONS[DocumentState.REPLACED] == frozenset()
    with pytest.raises(TransitionRefused):
        document.move_to(DocumentState.WITHDRAWN)


def test_the_database_refuses_an_unknown_state_or_an_issue_without_a_number(db_session, rules, settings):
    document = _approved(rules, settings)
    db.session.flush()
    for statement in (
        "UPDATE documents SET state = 'lost' WHERE id = :id",
        "UPDATE documents SET state = 'issued' WHERE id = :id",
        "UPDATE documents SET state = 'withdrawn' WHERE id = :id",
    ):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.execute(text(statement), {"id": document.id})


def _pdf_text(settings, document) -> str:
    path = settings.resolved_documents_dir / document.signed_path
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


@pytest.mark.slow
def test_issue_with_the_token_prints_number_and_date_and_signs(db_session, rules, settings, signing_setup):
    draft_date = local(2026, 12, 28, 9)
    document = _approved(rules, settings, now=draft_date)
    result = issue_document(document, rules, settings, ISSUE_DAY, config=signing_setup.config)
    db.session.commit()
    assert result.number_text == "01/TB-BQL"
    assert (document.state, document.number, document.issued_on) == ("issued", 1, dt.date(2027, 1, 5))
    body = _pdf_text(settings, document)
    assert "Số: 01/TB-BQL" in body
    assert "Hải Phòng, ngày 05 tháng 01 năm 2027" in body
    assert "ngày 28 tháng 12" not in body
    # The signature box carries the short URL of the verification page (and its QR code).
    assert f"/xac-thuc/{document.verify_code}" in body
    data = (settings.resolved_documents_dir / document.signed_path).read_bytes()
    check = validate_signed_pdf(data, signing_setup.config)
    assert check.valid, check.reason
    assert document.signer == "Bùi Ngọc Hải"
    assert find_by_sha256(document.signed_sha256) is document
    (entry,) = reg.entries(2027)
    assert (entry.number, entry.symbol, entry.kind, entry.signer) == (1, "TB-BQL", "announcement", "Bùi Ngọc Hải")
    assert entry.recipients[-1].startswith("Lưu")
    # A second issue of the same document replaces the first, and takes the next number.
    again = _approved(rules, settings, conference=document.conference)
    issue_document(again, rules, settings, ISSUE_DAY, config=signing_setup.config)
    db.session.commit()
    assert (document.state, document.replaced_by_id, again.number) == ("replaced", again.id, 2)


def test_an_uploaded_file_without_a_valid_signature_is_refused_and_takes_no_number(
    db_session, rules, settings, signing_setup, plain_pdf, signed_pdf
):
    document = _approved(rules, settings)
    with pytest.raises(IssueRefused, match="không có chữ ký số"):
        issue_document(document, rules, settings, ISSUE_DAY, signed_pdf=plain_pdf, config=signing_setup.config)
    outsider = dataclasses.replace(signing_setup.config, trust_anchors=(signing_setup.outsider_ca.pem_path,))
    with pytest.raises(IssueRefused, match="không thuộc các chứng thư gốc tin cậy"):
        issue_document(document, rules, settings, ISSUE_DAY, signed_pdf=signed_pdf, config=outsider)
    result = issue_document(document, rules, settings, ISSUE_DAY, signed_pdf=signed_pdf, config=signing_setup.config)
    assert result.number_text == "01/TB-BQL"
    assert document.signer == "Bùi Ngọc Hải"


def test_without_a_token_and_without_a_file_issue_is_refused(db_session, rules, settings):
    from webforms.domain.documents.signing import SigningConfig

    document = _approved(rules, settings)
    with pytest.raises(IssueRefused, match="Chưa cấu hình thiết bị ký số"):
        issue_document(document, rules, settings, ISSUE_DAY, config=SigningConfig())
    assert document.state == "approved"


def test_a_draft_is_not_issued(db_session, rules, settings, signing_setup, signed_pdf):
    conference = create_conference(starts_at=local(2027, 1, 20, 8, 30))
    document = generate_document(conference, "announcement", rules, settings, ISSUE_DAY, pdf=False)
    with pytest.raises(IssueRefused, match="chưa được duyệt"):
        issue_document(document, rules, settings, ISSUE_DAY, signed_pdf=signed_pdf, config=signing_setup.config)


def test_a_failed_issue_gives_its_number_back(db_session, rules, settings, signing_setup, signed_pdf):
    first = _approved(rules, settings)
    db.session.commit()
    wrong_pin = dataclasses.replace(
        signing_setup.config, token=dataclasses.replace(signing_setup.config.token, pin="000000")
    )
    with pytest.raises(IssueRefused):
        issue_document(first, rules, settings, ISSUE_DAY, config=wrong_pin)  # after the number was taken
    db.session.rollback()
    assert db.session.scalars(select(RegisterEntry)).all() == []
    first = db.session.get(Document, first.id)
    result = issue_document(first, rules, settings, ISSUE_DAY, signed_pdf=signed_pdf, config=signing_setup.config)
    db.session.commit()
    assert result.number_text == "01/TB-BQL"


def test_the_register_restarts_at_01_on_1_january(db_session, rules, settings, signing_setup, signed_pdf):
    numbers = []
    for now in (local(2026, 12, 31, 16), local(2026, 12, 31, 23, 59, 59), local(2027, 1, 1, 0, 0, 1)):
        document = _approved(rules, settings, now=now)
        result = issue_document(document, rules, settings, now, signed_pdf=signed_pdf, config=signing_setup.config)
        numbers.append(result.number_text)
        db.session.commit()
    assert numbers == ["01/TB-BQL", "02/TB-BQL", "01/TB-BQL"]
    assert [e.number for e in reg.entries(2026)] == [1, 2]
    assert [(e.number, e.issued_on) for e in reg.entries(2027)] == [(1, dt.date(2027, 1, 1))]


def test_withdrawal_keeps_the_number_in_the_register_with_the_reason(
    db_session, rules, settings, signing_setup, signed_pdf
):
    document = _approved(rules, settings)
    issue_document(document, rules, settings, ISSUE_DAY, signed_pdf=signed_pdf, config=signing_setup.config)
    with pytest.raises(IssueRefused):
        withdraw_document(document, "  ")
    withdraw_document(document, "Sai tên doanh nghiệp")
    db.session.commit()
    (entry,) = reg.entries(2027)
    assert (document.state, entry.state, entry.reason) == ("withdrawn", "withdrawn", "Sai tên doanh nghiệp")


def test_the_register_exports_as_xlsx(db_session, rules, settings, signing_setup, signed_pdf):
    import io

    from openpyxl import load_workbook

    document = _approved(rules, settings)
    issue_document(document, rules, settings, ISSUE_DAY, signed_pdf=signed_pdf, config=signing_setup.config)
    data = reg.register_xlsx([reg.entry_row(e) for e in reg.entries(2027)], title="Sổ đăng ký văn bản đi năm 2027")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value == "Sổ đăng ký văn bản đi năm 2027"
    assert sheet["A2"].value == "Số, ký hiệu văn bản"
    assert (sheet["A3"].value, sheet["B3"].value, sheet["D3"].value) == ("01/TB-BQL", "05/01/2027", "Bùi Ngọc Hải")


@pytest.mark.slow
def test_a_batch_issue_numbers_consecutively_with_one_conversion(db_session, rules, settings, signing_setup):
    from webforms.domain.documents.issuing import issue_documents

    conference = create_conference(starts_at=local(2027, 1, 20, 8, 30))
    documents = [_approved(rules, settings, conference=conference) for _ in range(3)]
    results = issue_documents(documents, rules, settings, ISSUE_DAY, config=signing_setup.config)
    db.session.commit()
    assert [r.number_text for r in results] == ["01/TB-BQL", "02/TB-BQL", "03/TB-BQL"]
    for document in documents[:2]:
        assert document.state == "replaced"  # the same announcement issued again
    for document, result in zip(documents, results, strict=True):
        assert f"Số: {result.number_text}" in _pdf_text(settings, document)
        data = (settings.resolved_documents_dir / document.signed_path).read_bytes()
        assert validate_signed_pdf(data, signing_setup.config).valid


def test_an_issued_invitation_reaches_its_invitee_as_the_signed_pdf(
    app, db_session, rules, settings, signing_setup, signed_pdf, mailbox
):
    from tests.jobs import run_jobs
    from webforms.models import Invitee

    conference = create_conference(starts_at=local(2027, 1, 20, 8, 30))
    invitee = Invitee(conference=conference, category="enterprise", name="Nguyễn Văn A", position="Giám đốc",
                      organisation="Công ty TNHH A", email="giamdoc@a.example.vn")
    db.session.add(invitee)
    db.session.flush()
    document = generate_document(conference, "invitation", rules, settings, ISSUE_DAY, pdf=False, invitee=invitee.id)
    approve_document(document)
    result = issue_document(document, rules, settings, ISSUE_DAY, signed_pdf=signed_pdf, config=signing_setup.config)
    db.session.commit()
    assert result.number_text == "01/GM-BQL" and result.mailed
    run_jobs(app)
    (mail,) = mailbox.to("giamdoc@a.example.vn")
    files = dict(mail.attachments())
    assert files["Giay-moi-so-01-2027.pdf"] == signed_pdf
    assert set(files) == {"Giay-moi-so-01-2027.pdf", "hoi-nghi.ics"}
    assert b"BEGIN:VEVENT" in files["hoi-nghi.ics"]
    assert "Giấy mời số 01/GM-BQL ngày 05/01/2027 (tệp PDF đã ký số)" in mail.text
