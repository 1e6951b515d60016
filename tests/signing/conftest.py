from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest

from tests.signing_helpers import CA, PIN, SOFTHSM_MODULE, init_softhsm, issue_signer, make_ca, make_tokens
from webforms.domain.documents import convert_to_pdf
from webforms.domain.documents.signing import SigningConfig, StampBox, TokenConfig


@dataclass
class SigningSetup:
    ca: CA
    outsider_ca: CA
    config: SigningConfig  # trusts `ca`, signs with a key `ca` certified
    outsider_config: SigningConfig  # trusts `ca`, signs with a key the outsider CA certified


@pytest.fixture(scope="session")
def signing_setup(tmp_path_factory) -> SigningSetup:
    folder: Path = tmp_path_factory.mktemp("softhsm")
    init_softhsm(folder)
    ca = make_ca(folder / "trusted", "CA thử nghiệm doithoai")
    outsider = make_ca(folder / "outside", "CA ngoài danh sách")
    key, cert = issue_signer(ca, "Bùi Ngọc Hải")
    other_key, other_cert = issue_signer(outsider, "Người ký ngoài")
    make_tokens(folder, [("doithoai", key, cert), ("outsider", other_key, other_cert)], "ky-so")

    def config(label: str) -> SigningConfig:
        return SigningConfig(
            trust_anchors=(ca.pem_path,),
            token=TokenConfig(module=SOFTHSM_MODULE, token_label=label, key_label="ky-so", pin=PIN),
            stamp=StampBox(),
        )

    return SigningSetup(ca, outsider, config("doithoai"), config("outsider"))


@pytest.fixture(scope="session")
def plain_pdf(tmp_path_factory) -> bytes:
    """A real PDF made by LibreOffice from a .docx."""
    folder: Path = tmp_path_factory.mktemp("pdf")
    document = docx.Document()
    document.add_paragraph("Số: 15/BQL-QHXD — Hải Phòng, ngày 05 tháng 01 năm 2027")
    document.add_paragraph("Trả lời kiến nghị của doanh nghiệp.")
    document.save(folder / "letter.docx")
    (pdf,) = convert_to_pdf([folder / "letter.docx"], timeout=120)
    assert pdf is not None, "LibreOffice (soffice) is needed"
    return pdf.read_bytes()


@pytest.fixture(scope="session")
def signed_pdf(signing_setup, plain_pdf) -> bytes:
    """`plain_pdf` signed elsewhere (as an e-office system would): valid against the trusted CA."""
    from webforms.domain.documents.signing import sign_pdf_with_token

    return sign_pdf_with_token(plain_pdf, dataclasses.replace(signing_setup.config, stamp=None))
