"""One set of rules for a registration, used by the web form and the JSON API alike.

`validate_registration(data, rules)` takes the API's nested shape (the form converts itself to it)
and returns the cleaned values plus `{dotted.field.path: [Vietnamese messages]}`. The same input
gives the same errors whichever door it came through.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError
from stdnum.vn import mst

from config.rules import Rules
from webforms.domain.text import clean_text

# Limits of what one person types into the form (not plan rules: the plan says nothing about them).
NAME_MAX = 300  # enterprise name, recommendation title (model columns are 300)
ADDRESS_MAX = 500
SHORT_MAX = 200  # names and positions of people
AGENCY_MAX = 300
CONTENT_MAX = 5000  # characters of a recommendation's content
MIN_ATTENDEES = 1
MAX_ATTENDEES = 3
MAX_RECOMMENDATIONS = 20  # per submission; more is a document, not a form

Errors = dict[str, list[str]]


@dataclass
class EnterpriseInput:
    tax_code: str
    name: str
    zone: str
    address: str
    sector: str


@dataclass
class ContactInput:
    name: str
    position: str
    email: str
    phone: str


@dataclass
class RecommendationInput:
    index: int  # position in the submitted list, so errors and files point at the right block
    title: str
    content: str
    field: str
    agency: str


@dataclass
class RegistrationInput:
    enterprise: EnterpriseInput
    contact: ContactInput
    attendees: list[dict] = field(default_factory=list)
    recommendations: list[RecommendationInput] = field(default_factory=list)
    public_consent: bool = False

    def as_payload(self) -> dict:
        """JSON-safe form, for a re-submission kept until the enterprise confirms it."""
        return {
            "enterprise": vars(self.enterprise),
            "contact": vars(self.contact),
            "attendees": self.attendees,
            "recommendations": [vars(r) for r in self.recommendations],
            "public_consent": self.public_consent,
        }

    @classmethod
    def from_payload(cls, payload: dict) -> RegistrationInput:
        return cls(
            enterprise=EnterpriseInput(**payload["enterprise"]),
            contact=ContactInput(**payload["contact"]),
            attendees=list(payload["attendees"]),
            recommendations=[RecommendationInput(**r) for r in payload["recommendations"]],
            public_consent=bool(payload.get("public_consent")),
        )


class ValidationFailed(ValueError):
    def __init__(self, errors: Errors):
        super().__init__("invalid registration")
        self.errors = errors


# -- single values --------------------------------------------------------------------------------

_PHONE_JUNK = re.compile(r"[\s.\-()/]")
# ASCII digits only: `\d` would also take Arabic-Indic or Devanagari digits into the stored number.
_MOBILE = re.compile(r"[35789][0-9]{8}")  # mobile: after the leading 0 (or +84), 3/5/7/8/9 then 8 digits
_LANDLINE = re.compile(r"2[0-9]{9}")  # area code 2XX + subscriber: 10 digits after the 0


def normalize_phone(value: str) -> str | None:
    """A Vietnamese mobile or landline number as +84…, or None when it is not one.

    Full-width digits and plus sign (a phone keyboard in East Asian mode) are read as ASCII (NFKC);
    any other script's digits are refused.
    """
    text = _PHONE_JUNK.sub("", unicodedata.normalize("NFKC", value or ""))
    if text.startswith("+84"):
        national = text[3:]
    elif text.startswith("0084"):
        national = text[4:]
    elif text.startswith("0"):
        national = text[1:]
    elif text.startswith("84") and len(text) in (11, 12):
        national = text[2:]
    else:
        return None
    if national.startswith("0"):  # "+84 0912…" is a common way of writing it
        national = national[1:]
    if _MOBILE.fullmatch(national) or _LANDLINE.fullmatch(national):
        return "+84" + national
    return None


def normalize_tax_code(value: str) -> tuple[str | None, str | None]:
    """(normalised MST, None) or (None, message). Branches are kept as 0201234567-001."""
    text = clean_text(value)
    if not text:
        return None, _("Vui lòng nhập mã số thuế.")
    try:
        number = mst.validate(text)
    except InvalidLength:
        return None, _("Mã số thuế gồm 10 chữ số, hoặc 13 chữ số đối với chi nhánh (ví dụ 0201234567-001).")
    except InvalidChecksum:
        return None, _("Mã số thuế không đúng (sai chữ số kiểm tra). Vui lòng kiểm tra lại.")
    except InvalidComponent:
        return None, _("Mã số thuế không đúng: phần mã chi nhánh hoặc dãy số không hợp lệ.")
    except ValidationError:
        return None, _("Mã số thuế chỉ gồm chữ số và dấu gạch ngang (ví dụ 0201234567 hoặc 0201234567-001).")
    return mst.format(number), None


def normalize_email(value: str) -> str | None:
    text = clean_text(value)
    if not text or len(text) > 320:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


# -- the whole registration --------------------------------------------------------------------------


class _Collector:
    def __init__(self, data):
        self.errors: Errors = {}
        self.data = data

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def text(
        self,
        mapping,
        key: str,
        path: str,
        *,
        required: bool,
        max_length: int,
        label: str,
        multiline: bool = False,
    ) -> str:
        raw = mapping.get(key) if isinstance(mapping, dict) else None
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            self.add(path, _("%(label)s: giá trị không hợp lệ.", label=label))
            return ""
        value = clean_text(raw, multiline=multiline)
        if required and not value:
            self.add(path, _("Vui lòng nhập %(label)s.", label=label.lower()))
        elif len(value) > max_length:
            self.add(
                path,
                _(
                    "%(label)s dài tối đa %(max)s ký tự (hiện có %(n)s).",
                    label=label,
                    max=f"{max_length:,}".replace(",", "."),
                    n=f"{len(value):,}".replace(",", "."),
                ),
            )
        return value


def _section(data, key: str) -> dict:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _blank(mapping: dict, keys: tuple[str, ...]) -> bool:
    return all(
        not clean_text(mapping.get(k)) if isinstance(mapping.get(k), str | None) else False for k in keys
    )


def validate_registration(
    data, rules: Rules, *, files_by_index: dict[int, int] | None = None
) -> tuple[RegistrationInput | None, Errors]:
    """Cleaned input and no errors, or None and the errors by dotted path.

    :param data: {"enterprise": {...}, "contact": {...}, "attendees": [...], "recommendations": [...],
        "declaration": bool} — the API's shape; the form converts itself to it.
    :param files_by_index: how many files each recommendation block carries (a block with only a file
        is not blank).
    """
    c = _Collector(data)
    files_by_index = files_by_index or {}
    if not isinstance(data, dict):
        return None, {"": [_("Dữ liệu gửi lên phải là một đối tượng JSON.")]}

    ent = _section(data, "enterprise")
    tax_code, message = normalize_tax_code(
        ent.get("tax_code") if isinstance(ent.get("tax_code"), str) else ""
    )
    if message:
        c.add("enterprise.tax_code", message)
    enterprise = EnterpriseInput(
        tax_code=tax_code or "",
        name=c.text(
            ent, "name", "enterprise.name", required=True, max_length=NAME_MAX, label=_("Tên doanh nghiệp")
        ),
        zone="",
        address=c.text(
            ent, "address", "enterprise.address", required=True, max_length=ADDRESS_MAX, label=_("Địa chỉ")
        ),
        sector=c.text(
            ent,
            "sector",
            "enterprise.sector",
            required=False,
            max_length=NAME_MAX,
            label=_("Ngành nghề kinh doanh"),
        ),
    )
    zone = ent.get("zone") if isinstance(ent.get("zone"), str) else ""
    if zone == rules.outside_zone.code:
        c.add(
            "enterprise.zone",
            _(
                "Hội nghị này dành cho %(scope)s Doanh nghiệp ngoài các khu công nghiệp, khu kinh tế "
                "không thuộc phạm vi của Kế hoạch; vui lòng liên hệ cơ quan quản lý tại địa phương.",
                scope=rules.plan.scope.applies_to[:1].lower() + rules.plan.scope.applies_to[1:],
            ),
        )
    elif rules.zone(zone) is None:
        c.add(
            "enterprise.zone", _("Vui lòng chọn khu công nghiệp hoặc khu kinh tế nơi doanh nghiệp hoạt động.")
        )
    else:
        enterprise.zone = zone

    con = _section(data, "contact")
    contact = ContactInput(
        name=c.text(
            con,
            "name",
            "contact.name",
            required=True,
            max_length=SHORT_MAX,
            label=_("Họ và tên người đại diện"),
        ),
        position=c.text(
            con, "position", "contact.position", required=False, max_length=SHORT_MAX, label=_("Chức vụ")
        ),
        email="",
        phone="",
    )
    raw_email = con.get("email") if isinstance(con.get("email"), str) else ""
    email = normalize_email(raw_email)
    if not clean_text(raw_email):
        c.add("contact.email", _("Vui lòng nhập địa chỉ email để nhận mã theo dõi."))
    elif email is None:
        c.add("contact.email", _("Địa chỉ email không hợp lệ (ví dụ: ten@congty.com.vn)."))
    else:
        contact.email = email
    raw_phone = con.get("phone") if isinstance(con.get("phone"), str) else ""
    phone = normalize_phone(raw_phone)
    if not clean_text(raw_phone):
        c.add("contact.phone", _("Vui lòng nhập số điện thoại."))
    elif phone is None:
        c.add(
            "contact.phone",
            _(
                "Số điện thoại không hợp lệ: nhập số di động 10 chữ số (ví dụ 0912 345 678) "
                "hoặc số cố định 11 chữ số (ví dụ 0225 3836 123)."
            ),
        )
    else:
        contact.phone = phone

    attendees = []
    raw_attendees = data.get("attendees")
    if raw_attendees is not None and not isinstance(raw_attendees, list):
        c.add("attendees", _("Danh sách người tham dự không hợp lệ."))
        raw_attendees = []
    too_many = bool(raw_attendees) and len(raw_attendees) > MAX_ATTENDEES
    if too_many:  # refused before any work on its items
        c.add("attendees", _("Mỗi doanh nghiệp đăng ký tối đa %(n)s người tham dự.", n=MAX_ATTENDEES))
        raw_attendees = []
    for i, item in enumerate(raw_attendees or []):
        item = item if isinstance(item, dict) else {}
        if _blank(item, ("name", "position")):
            continue
        name = c.text(
            item,
            "name",
            f"attendees.{i}.name",
            required=True,
            max_length=SHORT_MAX,
            label=_("Họ và tên người tham dự"),
        )
        position = c.text(
            item,
            "position",
            f"attendees.{i}.position",
            required=False,
            max_length=SHORT_MAX,
            label=_("Chức vụ"),
        )
        attendees.append({"name": name, "position": position})
    if too_many:
        pass
    elif len(attendees) < MIN_ATTENDEES:
        c.add("attendees", _("Vui lòng ghi ít nhất một người tham dự Hội nghị."))
    elif len(attendees) > MAX_ATTENDEES:
        c.add("attendees", _("Mỗi doanh nghiệp đăng ký tối đa %(n)s người tham dự.", n=MAX_ATTENDEES))

    recommendations = []
    raw_recs = data.get("recommendations")
    if raw_recs is not None and not isinstance(raw_recs, list):
        c.add("recommendations", _("Danh sách kiến nghị không hợp lệ."))
        raw_recs = []
    raw_recs = raw_recs or []
    if len(raw_recs) > MAX_RECOMMENDATIONS:
        c.add("recommendations", _("Mỗi lần gửi tối đa %(n)s kiến nghị.", n=MAX_RECOMMENDATIONS))
        raw_recs = raw_recs[:MAX_RECOMMENDATIONS]
    field_codes = {f.code for f in rules.fields}
    for i, item in enumerate(raw_recs):
        item = item if isinstance(item, dict) else {}
        if _blank(item, ("title", "content", "agency")) and not files_by_index.get(i):
            continue  # an empty block the person added and did not use
        title = c.text(
            item,
            "title",
            f"recommendations.{i}.title",
            required=True,
            max_length=NAME_MAX,
            label=_("Tiêu đề kiến nghị"),
        )
        content = c.text(
            item,
            "content",
            f"recommendations.{i}.content",
            required=True,
            max_length=CONTENT_MAX,
            label=_("Nội dung kiến nghị"),
            multiline=True,
        )
        agency = c.text(
            item,
            "agency",
            f"recommendations.{i}.agency",
            required=False,
            max_length=AGENCY_MAX,
            label=_("Thủ tục hoặc cơ quan liên quan"),
        )
        code = item.get("field") if isinstance(item.get("field"), str) else ""
        if code not in field_codes:
            c.add(f"recommendations.{i}.field", _("Vui lòng chọn lĩnh vực của kiến nghị."))
        recommendations.append(
            RecommendationInput(index=i, title=title, content=content, field=code, agency=agency)
        )

    if data.get("declaration") is not True:
        c.add("declaration", _("Vui lòng xác nhận cam kết về phạm vi kiến nghị trước khi gửi."))

    if c.errors:
        return None, c.errors
    return RegistrationInput(
        enterprise=enterprise,
        contact=contact,
        attendees=attendees,
        recommendations=recommendations,
        public_consent=data.get("public_consent") is True,
    ), {}
