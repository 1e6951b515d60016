"""Digital signatures on issued documents (PAdES, with pyHanko).

Two ways, as an agency works:
- `validate_signed_pdf`: a PDF signed elsewhere (the e-office system, a USB token's tool) is checked:
  the signature must be intact, cover the whole file as uploaded (or only add validation data after it),
  and chain to one of the configured trust anchors. The result says who signed, whose certificate
  issued theirs and when, or why the file is refused.
- `sign_pdf_with_token`: the system signs with a key held in a PKCS#11 token (an HSM, SoftHSM2 in
  tests) where the deployment configures one, optionally with a visible stamp carrying a QR code.

Configuration comes from the environment (`SigningConfig.from_env`): where the trust anchors are, and
where the token is. The PIN is read from the variable the configuration names, never stored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

# pyHanko (with aiohttp and its certificate validator, ~30 MiB resident) is imported where a PDF is signed
# or checked, not with the app: web and RQ workers that never sign do not carry it.
if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
)


class SigningError(Exception):
    """A signature could not be made or a signed file is refused; the message says why (Vietnamese)."""


class NoTokenConfigured(SigningError):
    """The deployment configures no PKCS#11 token to sign with."""


@dataclass(frozen=True)
class TokenConfig:
    module: str  # the PKCS#11 module (.so)
    token_label: str
    key_label: str
    pin: str
    cert_label: str = ""  # defaults to key_label
    cert_path: str = ""  # a PEM/DER file instead of the token's certificate


@dataclass(frozen=True)
class StampBox:
    """Where the visible signature goes: page (negative counts from the end) and box in PDF points."""

    page: int = -1
    box: tuple[int, int, int, int] = (300, 30, 570, 110)


@dataclass(frozen=True)
class SigningConfig:
    trust_anchors: tuple[Path, ...] = ()
    token: TokenConfig | None = None
    stamp: StampBox | None = field(default_factory=StampBox)
    # Accept signing certificates without the key usages pyHanko checks by default (non_repudiation).
    location: str = ""

    @classmethod
    def from_env(cls, environ: dict | None = None) -> SigningConfig:
        """SIGNING_TRUST_ANCHORS (PEM/DER files or folders, separated by ':'); SIGNING_PKCS11_MODULE,
        SIGNING_TOKEN_LABEL, SIGNING_KEY_LABEL, SIGNING_CERT_LABEL or SIGNING_CERT_FILE, and the PIN in the
        variable SIGNING_PIN_ENV names (SIGNING_PIN by default); SIGNING_STAMP ("none" or
        "PAGE:X1,Y1,X2,Y2")."""
        env = os.environ if environ is None else environ
        anchors = tuple(Path(p) for p in env.get("SIGNING_TRUST_ANCHORS", "").split(":") if p.strip())
        token = None
        module = env.get("SIGNING_PKCS11_MODULE", "").strip()
        if module:
            missing = [name for name in ("SIGNING_TOKEN_LABEL", "SIGNING_KEY_LABEL") if not env.get(name)]
            if missing:
                raise SigningError(f"SIGNING_PKCS11_MODULE is set but {', '.join(missing)} is not")
            token = TokenConfig(
                module=module,
                token_label=env["SIGNING_TOKEN_LABEL"],
                key_label=env["SIGNING_KEY_LABEL"],
                pin=env.get(env.get("SIGNING_PIN_ENV", "SIGNING_PIN"), ""),
                cert_label=env.get("SIGNING_CERT_LABEL", ""),
                cert_path=env.get("SIGNING_CERT_FILE", ""),
            )
        stamp_spec = env.get("SIGNING_STAMP", "").strip()
        stamp: StampBox | None = StampBox()
        if stamp_spec.lower() == "none":
            stamp = None
        elif stamp_spec:
            page, _, box = stamp_spec.partition(":")
            stamp = StampBox(page=int(page), box=tuple(int(v) for v in box.split(",")))  # type: ignore[arg-type]
        return cls(trust_anchors=anchors, token=token, stamp=stamp)

    def anchor_certificates(self) -> list[asn1_x509.Certificate]:
        certs: list[asn1_x509.Certificate] = []
        for path in self.trust_anchors:
            files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
            for file in files:
                certs.extend(_load_certificates(file.read_bytes()))
        return certs


def _load_certificates(data: bytes) -> list[asn1_x509.Certificate]:
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    if pem.detect(data):
        return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [asn1_x509.Certificate.load(data)]


@dataclass(frozen=True)
class SignatureCheck:
    """What validation found: valid or not, and who, whose issuer, when; `reason` when not valid."""

    valid: bool
    reason: str = ""
    signer: str = ""
    issuer: str = ""
    signed_at: dt.datetime | None = None
    summary: str = ""


def _name(name: asn1_x509.Name) -> str:
    native = name.native
    return str(native.get("common_name") or name.human_friendly)


def validate_signed_pdf(data: bytes, config: SigningConfig) -> SignatureCheck:
    """Is `data` a PDF whose last signature is a valid PAdES signature over this very file, by a
    certificate that chains to a configured trust anchor? Never raises for a bad file."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # noqa: BLE001 - any parse failure is a refusal, with its reason
        return SignatureCheck(False, f"Tệp không đọc được như một tệp PDF ({exc.__class__.__name__}).")
    if not signatures:
        return SignatureCheck(False, "Tệp PDF không có chữ ký số.")
    anchors = config.anchor_certificates()
    if not anchors:
        return SignatureCheck(False, "Chưa cấu hình chứng thư gốc tin cậy (SIGNING_TRUST_ANCHORS).")
    signature = signatures[-1]
    context = ValidationContext(trust_roots=anchors, allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(signature, context)
    except Exception as exc:  # noqa: BLE001 - a malformed signature is a refusal too
        return SignatureCheck(False, f"Chữ ký số không kiểm tra được ({exc.__class__.__name__}: {exc}).")
    cert = status.signing_cert
    found = {
        "signer": _name(cert.subject) if cert is not None else "",
        "issuer": _name(cert.issuer) if cert is not None else "",
        "signed_at": status.signer_reported_dt,
        "summary": status.summary(),
    }
    if not status.intact:
        reason = "Nội dung tệp đã bị thay đổi sau khi ký (giá trị băm không khớp với chữ ký)."
    elif not status.valid:
        reason = "Chữ ký số không hợp lệ (chữ ký không khớp với chứng thư số)."
    elif not status.trusted:
        reason = "Chứng thư số của người ký không thuộc các chứng thư gốc tin cậy đã cấu hình."
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE and not (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level is not None
        and status.modification_level <= ModificationLevel.LTA_UPDATES
    ):
        reason = "Tệp đã được sửa đổi sau chữ ký cuối cùng; chữ ký không bao trùm toàn bộ tệp."
    else:
        return SignatureCheck(True, **found)
    return SignatureCheck(False, reason, **found)


def _stamp_font() -> str | None:
    """A Vietnamese-capable serif font for the stamp, rescaled to 1000 units per em.

    pyHanko writes the font's glyph widths (/W) in the font's own units, which PDF reads as thousandths
    of an em: a 2048-unit TrueType font (Liberation, DejaVu) comes out with every letter twice as far
    apart. A copy rescaled to 1000 units, made once per machine, prints as it should.
    """
    source = next((path for path in FONT_CANDIDATES if Path(path).exists()), None)
    if source is None:
        return None
    scaled = Path(tempfile.gettempdir()) / f"doithoai-stamp-{Path(source).stem}-1000upem-vi.ttf"
    if not scaled.exists():
        from fontTools import subset
        from fontTools.ttLib import TTFont
        from fontTools.ttLib.scaleUpem import scale_upem

        font = TTFont(source)
        # Only the Latin and Vietnamese letters a stamp prints: each signature embeds a subset of this
        # font, and subsetting a small font is what keeps a stamped signature fast (about 5x).
        options = subset.Options()
        options.layout_features = ["*"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x300, 0x324),
                                     *range(0x1EA0, 0x1F00), 0x2013, 0x2014, 0x2026])
        subsetter.subset(font)
        if font["head"].unitsPerEm != 1000:
            scale_upem(font, 1000)
        staged = scaled.with_name(f".{scaled.name}.{os.getpid()}")
        font.save(staged)
        os.replace(staged, scaled)
    return str(scaled)


def sign_pdf_with_token(
    pdf: bytes,
    config: SigningConfig,
    *,
    reason: str = "",
    stamp_text: str = "",
    url: str = "",
) -> bytes:
    """`pdf` signed (PAdES B-B) with the configured token's key; with a visible stamp (QR code to `url`
    and `stamp_text`) when the configuration places one. Raises NoTokenConfigured / SigningError."""
    with token_signer(config) as sign:
        return sign(pdf, reason=reason, stamp_text=stamp_text, url=url)


@contextlib.contextmanager
def token_signer(config: SigningConfig) -> Iterator[Callable[..., bytes]]:
    """One session on the configured token for many signatures: yields sign(pdf, reason=, stamp_text=, url=)."""
    from pyhanko.sign import pkcs11
    from pyhanko.sign.pkcs11 import TokenCriteria

    token = config.token
    if token is None:
        raise NoTokenConfigured("Chưa cấu hình thiết bị ký số (SIGNING_PKCS11_MODULE) để ký trên hệ thống.")
    signing_cert = None
    if token.cert_path:
        from pyhanko.keys import load_cert_from_pemder

        signing_cert = load_cert_from_pemder(token.cert_path)
    try:
        session = pkcs11.open_pkcs11_session(
            token.module, token_criteria=TokenCriteria(label=token.token_label), user_pin=token.pin
        )
    except Exception as exc:  # noqa: BLE001 - the token's own words are the useful part
        raise SigningError(f"Không mở được thiết bị ký số '{token.token_label}': {exc}") from exc
    try:
        try:
            signer = pkcs11.PKCS11Signer(
                session,
                key_label=token.key_label,
                cert_label=token.cert_label or (None if signing_cert is not None else token.key_label),
                signing_cert=signing_cert,
            )
        except Exception as exc:  # noqa: BLE001
            raise SigningError(f"Không tìm thấy khóa hoặc chứng thư số trên thiết bị: {exc}") from exc

        def sign(pdf: bytes, *, reason: str = "", stamp_text: str = "", url: str = "") -> bytes:
            try:
                return _sign_one(pdf, signer, config, reason=reason, stamp_text=stamp_text, url=url)
            except SigningError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise SigningError(f"Ký số không thành công: {exc.__class__.__name__}: {exc}") from exc

        yield sign
    finally:
        session.close()


def _sign_one(pdf: bytes, signer, config: SigningConfig, *, reason: str, stamp_text: str, url: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers.pdf_signer import PdfSigner
    from pyhanko.stamp import QRStampStyle, TextStampStyle

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    field_spec = None
    style = None
    if config.stamp is not None:
        pages = int(writer.root["/Pages"]["/Count"])
        page = config.stamp.page if config.stamp.page >= 0 else pages + config.stamp.page
        field_spec = fields.SigFieldSpec("Signature", on_page=page, box=config.stamp.box)
        style_cls = QRStampStyle if url else TextStampStyle
        style = style_cls(stamp_text=stamp_text or "%(signer)s\n%(ts)s", border_width=1,
                          text_box_style=_text_box_style())
    meta = signers.PdfSignatureMetadata(
        field_name="Signature",
        reason=reason or None,
        location=config.location or None,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    pdf_signer = PdfSigner(meta, signer=signer, stamp_style=style, new_field_spec=field_spec)
    out = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=out, appearance_text_params={"url": url} if url else None)
    return out.getvalue()


def _text_box_style():
    from pyhanko.pdf_utils.text import TextBoxStyle

    font = _stamp_font()
    if font is None:
        return TextBoxStyle(font_size=7)
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory

    return TextBoxStyle(font=GlyphAccumulatorFactory(font, font_size=8), font_size=8)
