"""create_x helpers for tests: real rows in the real database, sensible defaults, override anything."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from zoneinfo import ZoneInfo

from webforms.extensions import db
from webforms.models import (
    Conference,
    ConferenceStatus,
    Enterprise,
    Recommendation,
    RecommendationStatus,
    Registration,
    Scope,
    User,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
_seq = itertools.count(1)

# Valid MSTs (check digit verified by python-stdnum) for fixtures.
VALID_TAX_CODES = ("0100047516", "0100233488", "0314409058", "0312687878", "0100112437")


def valid_tax_code(n: int) -> str:
    """The n-th valid 10-digit tax code, computed with the MST check digit (weights 31,29,23,…)."""
    weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
    i = n
    while True:
        body = f"02{i:07d}"
        check = 10 - sum(w * int(d) for w, d in zip(weights, body, strict=True)) % 11
        if check < 10:
            return body + str(check)
        i += 1_000_000


def create_conference(*, slug: str | None = None, starts_at: dt.datetime | None = None,
                      status: str = ConferenceStatus.ANNOUNCED, **kwargs) -> Conference:
    n = next(_seq)
    conference = Conference(
        slug=slug or f"hoi-nghi-{n}",
        title=kwargs.pop("title", f"Hội nghị đối thoại doanh nghiệp {n}"),
        host_agency=kwargs.pop("host_agency", "Ban Quản lý Khu kinh tế Hải Phòng"),
        starts_at=starts_at or dt.datetime(2025, 9, 4, 8, 30, tzinfo=VN),
        venue=kwargs.pop("venue", "Trụ sở Ban Quản lý Khu kinh tế Hải Phòng"),
        status=status,
        announced_at=kwargs.pop("announced_at", dt.datetime(2025, 8, 15, 9, 0, tzinfo=VN)
                                if status != ConferenceStatus.DRAFT else None),
        **kwargs,
    )
    db.session.add(conference)
    db.session.flush()
    return conference


def create_enterprise(*, tax_code: str | None = None, zone_code: str = "KCN-VSIP", **kwargs) -> Enterprise:
    n = next(_seq)
    enterprise = Enterprise(
        tax_code=tax_code or valid_tax_code(n),
        name=kwargs.pop("name", f"Công ty TNHH Thử nghiệm {n}"),
        zone_code=zone_code,
        address=kwargs.pop("address", "Lô A1, KCN VSIP Hải Phòng"),
        sector=kwargs.pop("sector", "Sản xuất linh kiện điện tử"),
        **kwargs,
    )
    db.session.add(enterprise)
    db.session.flush()
    return enterprise


def create_registration(conference: Conference, enterprise: Enterprise | None = None, *,
                        registered_at: dt.datetime | None = None, token: str = "token", **kwargs) -> Registration:
    n = next(_seq)
    enterprise = enterprise or create_enterprise()
    registration = Registration(
        conference_id=conference.id,
        enterprise_id=enterprise.id,
        tracking_code=kwargs.pop("tracking_code", f"KN.20250820.{n:04d}"),
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        contact_name=kwargs.pop("contact_name", "Nguyễn Văn An"),
        contact_position=kwargs.pop("contact_position", "Giám đốc"),
        contact_email=kwargs.pop("contact_email", f"lienhe{n}@doanhnghiep.example.vn"),
        contact_phone=kwargs.pop("contact_phone", "+84912345678"),
        attendees=kwargs.pop("attendees", [{"name": "Nguyễn Văn An", "position": "Giám đốc"}]),
        registered_at=registered_at or dt.datetime(2025, 8, 20, 10, 0, tzinfo=VN),
        **kwargs,
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def create_recommendation(registration: Registration, *, field_code: str = "DAU_TU",
                          scope: str = Scope.IN_SCOPE, received_at: dt.datetime | None = None,
                          **kwargs) -> Recommendation:
    seq = kwargs.pop("seq", len(registration.recommendations) + 1)
    recommendation = Recommendation(
        registration_id=registration.id,
        conference_id=registration.conference_id,
        seq=seq,
        code=f"{registration.tracking_code}-{seq}",
        title=kwargs.pop("title", "Vướng mắc thủ tục điều chỉnh giấy chứng nhận đăng ký đầu tư"),
        content=kwargs.pop("content", "Doanh nghiệp đề nghị hướng dẫn hồ sơ điều chỉnh dự án đầu tư."),
        field_code=field_code,
        agency_concerned=kwargs.pop("agency_concerned", "Phòng Quản lý Đầu tư"),
        received_at=received_at or registration.registered_at,
        scope=scope,
        status=kwargs.pop("status", RecommendationStatus.RECEIVED),
        **kwargs,
    )
    db.session.add(recommendation)
    db.session.flush()
    return recommendation


def create_user(*, email: str | None = None, role: str = "admin", password: str = "mat-khau-thu-nghiem-1",
                **kwargs) -> User:
    from werkzeug.security import generate_password_hash

    n = next(_seq)
    user = User(email=email or f"canbo{n}@heza.example.vn", role=role, name=kwargs.pop("name", f"Cán bộ {n}"),
                password_hash=generate_password_hash(password), **kwargs)
    db.session.add(user)
    db.session.flush()
    return user
