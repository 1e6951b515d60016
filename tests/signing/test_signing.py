"""PAdES signing through PKCS#11 (SoftHSM2) and validation against configured trust anchors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from webforms.domain.documents.signing import (
    NoTokenConfigured,
    SigningConfig,
    sign_pdf_with_token,
    validate_signed_pdf,
)


def _flip_one_byte(data: bytes) -> bytes:
    """One byte changed inside the first content stream: the file still parses, the digest no longer matches."""
    start = data.index(b"stream", data.index(b"/Length")) + len(b"stream\n") + 5
    changed = bytearray(data)
    changed[start] ^= 0x01
    return bytes(changed)


@pytest.mark.slow
def test_sign_then_validate(signing_setup, plain_pdf):
    signed = sign_pdf_with_token(
        plain_pdf, signing_setup.config, reason="Ban hành", stamp_text="Ký bởi: %(signer)s\nXác thực: %(url)s",
        url="http://localhost/xac-thuc/abc",
    )
    assert signed.startswith(b"%PDF") and signed != plain_pdf
    check = validate_signed_pdf(signed, signing_setup.config)
    assert check.valid, check.reason
    assert check.signer == "Bùi Ngọc Hải"
    assert check.issuer == "CA thử nghiệm doithoai"
    assert check.signed_at is not None


@pytest.mark.slow
def test_one_changed_byte_is_invalid_with_the_reason(signing_setup, plain_pdf):
    signed = sign_pdf_with_token(plain_pdf, signing_setup.config)
    check = validate_signed_pdf(_flip_one_byte(signed), signing_setup.config)
    assert not check.valid
    assert "thay đổi sau khi ký" in check.reason


@pytest.mark.slow
def test_a_certificate_outside_the_trust_anchors_is_refused(signing_setup, plain_pdf):
    signed = sign_pdf_with_token(plain_pdf, signing_setup.outsider_config)
    check = validate_signed_pdf(signed, signing_setup.config)
    assert not check.valid
    assert check.signer == "Người ký ngoài"
    assert "không thuộc các chứng thư gốc tin cậy" in check.reason
    # Trusting the outsider's CA as configured makes the same file valid.
    trusting = dataclasses.replace(signing_setup.config, trust_anchors=(signing_setup.outsider_ca.pem_path,))
    assert validate_signed_pdf(signed, trusting).valid


def test_a_file_without_signature_is_refused(signing_setup, plain_pdf):
    check = validate_signed_pdf(plain_pdf, signing_setup.config)
    assert not check.valid and check.reason == "Tệp PDF không có chữ ký số."
    assert not validate_signed_pdf(b"not a pdf", signing_setup.config).valid


def test_no_token_configured_says_so(plain_pdf):
    with pytest.raises(NoTokenConfigured, match="Chưa cấu hình thiết bị ký số"):
        sign_pdf_with_token(plain_pdf, SigningConfig())


def test_configuration_from_the_environment():
    config = SigningConfig.from_env(
        {
            "SIGNING_TRUST_ANCHORS": "/a.pem:/b.pem",
            "SIGNING_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
            "SIGNING_TOKEN_LABEL": "t",
            "SIGNING_KEY_LABEL": "k",
            "SIGNING_PIN_ENV": "MY_PIN",
            "MY_PIN": "42",
            "SIGNING_STAMP": "0:10,20,200,90",
        }
    )
    assert config.trust_anchors == (Path("/a.pem"), Path("/b.pem"))
    assert config.token is not None and config.token.pin == "42" and config.token.key_label == "k"
    assert config.stamp is not None and config.stamp.page == 0 and config.stamp.box == (10, 20, 200, 90)
    assert SigningConfig.from_env({}).token is None
