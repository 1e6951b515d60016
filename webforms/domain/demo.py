"""Demo data for `make run`: a HEZA conference about 20 working days ahead."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from config.rules import Rules
from webforms.domain.conferences import announce_conference, create_conference
from webforms.domain.departments import sync_departments
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import Conference, Invitee, InviteeCategory

DEMO_SLUG = "hoi-nghi-doi-thoai-doanh-nghiep-demo"
# How far ahead the demo conference is, in working days: far enough that intake is still open.
DEMO_LEAD_WORKING_DAYS = 20

DEMO_INVITEES = (
    (InviteeCategory.CITY_LEADER, "Đại diện lãnh đạo UBND thành phố", "Phó Chủ tịch", "UBND thành phố Hải Phòng"),
    (InviteeCategory.AGENCY, "Lãnh đạo Sở Tài chính", "Giám đốc", "Sở Tài chính thành phố Hải Phòng"),
    (InviteeCategory.PORTAL, "Ban biên tập", "", "Cổng Thông tin điện tử thành phố Hải Phòng"),
    (InviteeCategory.PRESS, "Phóng viên", "", "Trung tâm Báo chí và Truyền thông thành phố Hải Phòng"),
)


def seed_demo(rules: Rules, calendar: WorkingCalendar, now: dt.datetime) -> tuple[Conference, bool]:
    """Create the demo conference once; returns it and whether it was created now."""
    sync_departments(rules)
    existing = db.session.scalar(select(Conference).where(Conference.slug == DEMO_SLUG))
    if existing is not None:
        return existing, False
    today = now.astimezone(rules.plan.timezone).date()
    day = calendar.add_working_days(today, DEMO_LEAD_WORKING_DAYS)
    starts_at = dt.datetime.combine(day, dt.time(8, 30), tzinfo=rules.plan.timezone)
    conference = create_conference(
        title=f"Hội nghị đối thoại doanh nghiệp năm {day.year}",
        starts_at=starts_at,
        venue="Hội trường tầng 3, trụ sở Ban Quản lý Khu kinh tế Hải Phòng",
        rules=rules,
        slug=DEMO_SLUG,
        announcement_text=(
            "Ban Quản lý Khu kinh tế Hải Phòng tổ chức Hội nghị đối thoại doanh nghiệp nhằm kịp thời tháo gỡ "
            "khó khăn, vướng mắc của doanh nghiệp trong giải quyết thủ tục hành chính. Kính mời các doanh "
            "nghiệp đăng ký tham dự và gửi kiến nghị."
        ),
    )
    # The demo is announced, so the public form can be tried at once.
    announce_conference(conference, now=now, rules=rules, calendar=calendar)
    for category, name, position, organisation in DEMO_INVITEES:
        db.session.add(Invitee(conference=conference, category=category, name=name, position=position,
                               organisation=organisation, email=""))
    db.session.flush()
    return conference, True
