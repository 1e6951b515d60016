"""A full conference for the document tests: departments, enterprises, registrations, recommendations
in every state, assignments and invitees, built with plain model constructors."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from tests.moments import AFTER_CONFERENCE, CONFERENCE_START, INTAKE_OPEN, local
from webforms.domain.conferences import create_conference
from webforms.domain.departments import sync_departments
from webforms.extensions import db
from webforms.models import (
    AnswerMode,
    Assignment,
    AssignmentRole,
    AssignmentState,
    Department,
    Enterprise,
    Invitee,
    InviteeCategory,
    Recommendation,
    RecommendationStatus,
    Registration,
    Scope,
)

# Text a user could type that must print literally and never break a file.
HOSTILE = "<script>alert(1)</script> & \"quoted\" 'single' {{ x }} {% if %} }}"
# Vietnamese typed on a system that sends decomposed (NFD) accents.
NFD_NAME = unicodedata.normalize("NFD", "Công ty TNHH Thương mại Đông Á")


@dataclass
class FullConference:
    conference: object
    invitees: list = field(default_factory=list)
    registrations: list = field(default_factory=list)
    recommendations: list = field(default_factory=list)


def create_enterprise(tax_code: str, name: str, zone: str = "DINH_VU") -> Enterprise:
    enterprise = Enterprise(
        tax_code=tax_code, name=name, zone_code=zone, address="Khu công nghiệp Đình Vũ, Hải Phòng"
    )
    db.session.add(enterprise)
    return enterprise


def create_registration(conference, enterprise, seq: int, *, attended=True, late=False) -> Registration:
    registration = Registration(
        conference_id=conference.id,
        enterprise=enterprise,
        tracking_code=f"KN.20250825.{seq:04d}",
        token_hash=hashlib.sha256(str(seq).encode()).hexdigest(),
        contact_name=f"Nguyễn Văn {chr(64 + seq)}",
        contact_position="Giám đốc",
        contact_email=f"dn{seq}@example.vn",
        contact_phone="+84912345678",
        registered_at=INTAKE_OPEN,
        attended=attended,
        late=late,
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def create_recommendation(
    registration,
    seq: int,
    *,
    title: str,
    content: str,
    field_code: str,
    department: Department | None,
    status=RecommendationStatus.ASSIGNED,
    scope=Scope.IN_SCOPE,
    answer="",
    answered_at=None,
    due_at=None,
    mode=AnswerMode.IN_WRITING,
) -> Recommendation:
    rec = Recommendation(
        registration=registration,
        conference_id=registration.conference_id,
        seq=seq,
        code=f"{registration.tracking_code}-{seq}",
        title=title,
        content=content,
        field_code=field_code,
        received_at=INTAKE_OPEN,
        scope=scope,
        status=status,
        answer=answer,
        answered_at=answered_at,
        answer_mode=mode,
    )
    db.session.add(rec)
    db.session.flush()
    if department is not None:
        db.session.add(
            Assignment(
                recommendation_id=rec.id,
                department_id=department.id,
                role=AssignmentRole.OWNER,
                state=AssignmentState.APPROVED if answer else AssignmentState.OPEN,
                draft_answer=answer or "Dự thảo: đang rà soát hồ sơ.",
                due_at=due_at or local(2025, 9, 15, 23, 59, 59),
            )
        )
    return rec


def build_full_conference(rules, *, hostile: str = "") -> FullConference:
    sync_departments(rules)
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    conference = create_conference(
        title="Hội nghị đối thoại doanh nghiệp năm 2025",
        starts_at=CONFERENCE_START,
        venue="Hội trường tầng 3, trụ sở Ban Quản lý Khu kinh tế Hải Phòng" + hostile,
        rules=rules,
        slug="hoi-nghi-2025",
        announcement_text="Ban Quản lý tổ chức Hội nghị nhằm tháo gỡ khó khăn cho doanh nghiệp.\n"
        "Kính mời các doanh nghiệp đăng ký tham dự." + hostile,
    )
    full = FullConference(conference=conference)
    for category, name, position, organisation in (
        (
            InviteeCategory.CITY_LEADER,
            "Lê Văn Thành",
            "Phó Chủ tịch",
            "Ủy ban nhân dân thành phố Hải Phòng",
        ),
        (InviteeCategory.AGENCY, "Nguyễn Thị Mai" + hostile, "Giám đốc", "Sở Tài chính"),
        (InviteeCategory.PRESS, "Phóng viên", "", "Trung tâm Báo chí và Truyền thông thành phố Hải Phòng"),
    ):
        invitee = Invitee(
            conference=conference, category=category, name=name, position=position, organisation=organisation
        )
        db.session.add(invitee)
        full.invitees.append(invitee)
    names = ["Công ty Cổ phần Cảng Đình Vũ" + hostile, "Công ty TNHH LG Display Việt Nam Hải Phòng", NFD_NAME]
    for seq, name in enumerate(names, start=1):
        enterprise = create_enterprise(f"020000000{seq}", name)
        full.registrations.append(create_registration(conference, enterprise, seq, attended=seq != 3))
    r1, r2, r3 = full.registrations
    at_conf = dt.datetime(2025, 9, 4, 10, tzinfo=dt.UTC)
    full.recommendations = [
        create_recommendation(
            r1,
            1,
            title="Gia hạn giấy phép xây dựng" + hostile,
            content="Đề nghị gia hạn giấy phép.\nHồ sơ đã nộp từ tháng 6." + hostile,
            field_code="XAY_DUNG",
            department=departments["QHXD"],
            status=RecommendationStatus.ANSWERED_AT_CONFERENCE,
            mode=AnswerMode.AT_CONFERENCE,
            answer="Đã giải đáp tại Hội nghị: hồ sơ đủ điều kiện." + hostile,
            answered_at=at_conf,
        ),
        create_recommendation(
            r1,
            2,
            title="Cấp giấy phép lao động",
            content="Thời gian xử lý kéo dài.",
            field_code="LAO_DONG",
            department=departments["QLLD"],
            status=RecommendationStatus.ANSWERED_IN_WRITING,
            answer="Ban Quản lý đã cấp giấy phép ngày 10/9/2025.",
            answered_at=local(2025, 9, 10, 15),
        ),
        create_recommendation(
            r2,
            1,
            title="Điều chỉnh dự án đầu tư",
            content="Đề nghị hướng dẫn thủ tục.",
            field_code="DAU_TU",
            department=departments["QLDT"],
        ),
        create_recommendation(
            r2,
            2,
            title="Đất đai",
            content="Chậm giao đất.",
            field_code="DAT_DAI",
            department=departments["TNMT"],
            due_at=local(2025, 9, 3, 23, 59, 59),
        ),
        create_recommendation(
            r3,
            1,
            title="Khiếu nại cá nhân",
            content="Ngoài phạm vi.",
            field_code="KHAC",
            department=None,
            status=RecommendationStatus.SCREENED_OUT,
            scope=Scope.OUT_OF_SCOPE,
        ),
    ]
    r2.public_consent = True  # its name may be printed; r1's may not
    if conference.status == "draft":  # through the moves the lifecycle allows (webforms/domain/lifecycle.py)
        conference.status = "announced"
    if conference.status != "held":
        conference.status = "held"
    db.session.flush()
    _record_conclusions(conference, rules, hostile)
    return full


def _record_conclusions(conference, rules, hostile: str) -> None:
    """The chair's conclusions, through the same domain function the back office calls."""
    from webforms.domain.audit import SYSTEM
    from webforms.domain.conclusions import ConclusionInput, ItemInput, save_conclusion, subjects

    items = [ItemInput(s.recommendation.id, s.lead_unit, list(s.coordinating_units),
                       "rà soát, hướng dẫn hồ sơ" if not s.answered_here else "",
                       s.due_on and max(s.due_on, CONFERENCE_START.date()))
             for s in subjects(conference, rules)]
    save_conclusion(conference, ConclusionInput(
        chair_name=rules.plan.agency.signer.name, chair_title=f"Phó Trưởng ban {rules.plan.agency.short_name}",
        attending_leaders="đại diện lãnh đạo UBND thành phố", attending_agencies="Sở Tài chính\nCục Thuế thành phố",
        general="Hội nghị diễn ra nghiêm túc, cởi mở." + hostile + "\nCác doanh nghiệp đánh giá cao.",
        items=items), now=AFTER_CONFERENCE, rules=rules, actor=SYSTEM)


@pytest.fixture
def full_conference(app_ctx, rules) -> FullConference:
    return build_full_conference(rules)


@pytest.fixture
def subjects(full_conference) -> dict:
    """The subject each kind needs, for the full conference."""
    return {
        "invitation": {"invitee": full_conference.invitees[0].id},
        "reply_letter": {"recommendation": full_conference.recommendations[1].code},
        "conference_notice": {"change": "cancelled", "reason": "Chưa đủ điều kiện tổ chức."},
    }


NOW = AFTER_CONFERENCE
