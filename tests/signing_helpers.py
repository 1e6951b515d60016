"""A throwaway CA and a SoftHSM2 token holding a signer's key and certificate, made by the tests.

Real parts: SoftHSM2 (Debian `softhsm2`) through its PKCS#11 module, certificates made with
`cryptography`. Nothing is fetched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from webforms.domain.documents import convert_to_pdf
from webforms.domain.documents.signing import SigningConfig, StampBox, TokenConfig, sign_pdf_with_token

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "123456"


@dataclass
class CA:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    pem_path: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Thử nghiệm doithoai"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(folder: Path, common_name: str) -> CA:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{common_name.replace(' ', '-')}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return CA(key, cert, path)


def issue_signer(ca: CA, common_name: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )
    return key, cert


def init_softhsm(folder: Path) -> None:
    """Point SoftHSM2 at a private token folder (read when the module is first initialised)."""
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)


def make_tokens(folder: Path, tokens: list[tuple[str, rsa.RSAPrivateKey, x509.Certificate]], key_label: str) -> None:
    """SoftHSM2 tokens, each `label` holding its key and certificate under `key_label` (id 01).

    All tokens are made with softhsm2-util before the module is first loaded in this process: SoftHSM2
    lists its slots once, at initialisation.
    """
    util = shutil.which("softhsm2-util")
    assert util is not None, "softhsm2-util is missing (Debian package softhsm2, scripts/system-packages.sh)"
    for label, key, _cert in tokens:
        subprocess.run(  # noqa: S603
            [util, "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "87654321"],
            check=True, capture_output=True,
        )
        key_file = folder / f"{label}-key.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        subprocess.run(  # noqa: S603
            [util, "--import", str(key_file), "--token", label, "--label", key_label, "--id", "01", "--pin", PIN],
            check=True, capture_output=True,
        )
        key_file.unlink()
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    lib = pkcs11.lib(SOFTHSM_MODULE)
    for label, _key, cert in tokens:
        with lib.get_token(token_label=label).open(rw=True, user_pin=PIN) as session:
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: key_label,
                    Attribute.ID: b"\x01",
                    Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.ISSUER: cert.issuer.public_bytes(),
                }
            )


# -- fixtures (imported by tests/conftest.py) ------------------------------------------------------------

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
    return sign_pdf_with_token(plain_pdf, dataclasses.replace(signing_setup.config, stamp=None))


def issue_approved_letter(code: str, signing: SigningSetup, now, signed_pdf: bytes | None = None):
    """The văn thư issues the approved reply letter of recommendation `code` with the test token, or with
    `signed_pdf` as the file signed elsewhere (the caller's app context; commits). Returns the IssueResult."""
    from sqlalchemy import select

    from webforms.domain.documents.issuing import issue_document
    from webforms.extensions import db
    from webforms.models import Document
    from webforms.services import services

    svc = services()
    letter = db.session.scalar(
        select(Document).where(Document.subject_key == f"rec:{code}", Document.state == "approved")
        .order_by(Document.version.desc())
    )
    assert letter is not None, f"no approved reply letter for {code}"
    result = issue_document(letter, svc.rules, svc.settings, now, signed_pdf=signed_pdf, config=signing.config)
    db.session.commit()
    return result
