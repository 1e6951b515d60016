"""`doithoai document approve|issue|withdraw`, `doithoai register list`, `documents --json` after issue."""

from __future__ import annotations

import json

import pytest

from tests.factories import create_conference
from tests.moments import local
from tests.signing_helpers import PIN, SOFTHSM_MODULE
from webforms.domain.documents import generate_document
from webforms.extensions import db


def _invoke(app, *args, env=None):
    return app.test_cli_runner().invoke(args=list(args), env=env, catch_exceptions=False)


@pytest.fixture
def draft(app_ctx, rules, settings):
    conference = create_conference(slug="hoi-nghi-2027", starts_at=local(2027, 1, 20, 8, 30))
    document = generate_document(conference, "announcement", rules, settings, local(2027, 1, 4), pdf=False)
    db.session.commit()
    return document.id


NO_TOKEN = {"SIGNING_PKCS11_MODULE": "", "SIGNING_TRUST_ANCHORS": ""}


def test_issue_refuses_a_draft_and_without_token_says_so_in_one_line(app, draft, tmp_path):
    refused = _invoke(app, "document", "issue", str(draft), env=NO_TOKEN)
    assert refused.exit_code == 1
    assert "chưa được duyệt" in refused.output
    assert _invoke(app, "document", "approve", str(draft)).output.strip() == "approved"
    no_token = _invoke(app, "document", "issue", str(draft), env=NO_TOKEN)
    assert no_token.exit_code == 1
    assert no_token.output.strip().splitlines() == [
        "error: Chưa cấu hình thiết bị ký số (SIGNING_PKCS11_MODULE); hãy tải lên tệp đã ký (--signed-file)."
    ]
    assert "no document 999" in _invoke(app, "document", "issue", "999").output


def test_issue_with_a_signed_file_then_register_and_documents_show_it(app, draft, signing_setup, signed_pdf, tmp_path):
    signed = tmp_path / "da-ky.pdf"
    signed.write_bytes(signed_pdf)
    env = {**NO_TOKEN, "SIGNING_TRUST_ANCHORS": str(signing_setup.ca.pem_path)}
    _invoke(app, "document", "approve", str(draft))
    result = _invoke(app, "document", "issue", str(draft), "--signed-file", str(signed),
                     "--now", "2027-01-05T10:00:00+07:00", env=env)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "01/TB-BQL"
    rows = json.loads(_invoke(app, "register", "list", "--year", "2027", "--json").output)
    assert [(r["number"], r["symbol"], r["kind"], r["date"], r["signer"]) for r in rows] == [
        (1, "TB-BQL", "announcement", "2027-01-05", "Bùi Ngọc Hải")
    ]
    assert len(rows[0]["sha256"]) == 64 and rows[0]["recipients"]
    assert json.loads(_invoke(app, "register", "list", "--year", "2026", "--json").output) == []
    listed = json.loads(_invoke(app, "documents", "hoi-nghi-2027", "--json").output)
    assert (listed[0]["status"], listed[0]["number"], listed[0]["issued_on"]) == ("issued", "01/TB-BQL", "2027-01-05")
    xlsx = tmp_path / "so.xlsx"
    _invoke(app, "register", "list", "--year", "2027", "--xlsx", str(xlsx))
    assert xlsx.read_bytes()[:2] == b"PK"
    withdrawn = _invoke(app, "document", "withdraw", str(draft), "--reason", "Ban hành nhầm")
    assert withdrawn.output.strip() == "withdrawn"
    assert "withdrawn: Ban hành nhầm" in _invoke(app, "register", "list", "--year", "2027").output


@pytest.mark.slow
def test_issue_signs_with_the_configured_token(app, draft, signing_setup):
    env = {
        "SIGNING_TRUST_ANCHORS": str(signing_setup.ca.pem_path),
        "SIGNING_PKCS11_MODULE": SOFTHSM_MODULE,
        "SIGNING_TOKEN_LABEL": "doithoai",
        "SIGNING_KEY_LABEL": "ky-so",
        "SIGNING_PIN": PIN,
    }
    _invoke(app, "document", "approve", str(draft))
    result = _invoke(app, "document", "issue", str(draft), "--now", "2027-01-05T10:00:00+07:00", env=env)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "01/TB-BQL"
