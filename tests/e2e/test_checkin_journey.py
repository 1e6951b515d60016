"""Check-in at the door on a phone (390 px wide, Debian's chromium): search, mark an arrival with a
count, see the counters move; a screenshot of the page goes to the screenshots folder."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.test_backoffice_journeys import CHROMIUM_ARGS, SCREENSHOTS, log_in, server  # noqa: F401
from tests.factories import create_conference, create_enterprise, create_registration, create_user
from tests.login import PASSWORD
from webforms.extensions import db
from webforms.models import ConferenceStatus, Invitee, InviteeCategory, Registration
from webforms.timeutil import utcnow

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                      is_mobile=True, has_touch=True)
        yield context.new_page()
        context.close()
        browser.close()


@pytest.fixture
def door(app):
    with app.app_context():
        conference = create_conference(slug="dtdn-diem-danh", title="Hội nghị đối thoại doanh nghiệp năm 2026",
                                       starts_at=utcnow() - dt.timedelta(minutes=30),
                                       status=ConferenceStatus.CONFIRMED)
        names = ["Công ty TNHH Cơ khí Chính xác Tân Việt", "Công ty Cổ phần Cảng Đình Vũ",
                 "Công ty TNHH LG Display Việt Nam Hải Phòng"]
        for name in names:
            create_registration(conference, create_enterprise(name=name),
                                attendees=[{"name": "Nguyễn Văn Hùng", "position": "Giám đốc"},
                                           {"name": "Trần Thị Mai", "position": "Kế toán trưởng"}])
        db.session.add(Invitee(conference_id=conference.id, category=InviteeCategory.CITY_LEADER,
                               name="Đồng chí Lê Văn Lãnh Đạo", position="Phó Chủ tịch UBND thành phố"))
        user = create_user(role="secretariat", password=PASSWORD)
        db.session.commit()
        return {"slug": conference.slug, "email": user.email}


def test_staff_check_in_an_enterprise_on_a_phone(server, phone, door, app):  # noqa: F811
    page = phone
    log_in(page, server, door["email"])
    page.wait_for_url("**/quan-tri/hoi-nghi")
    page.goto(f"{server}/quan-tri/hoi-nghi/{door['slug']}/diem-danh")
    assert page.get_by_role("heading", name="Điểm danh").is_visible()
    assert "0 / 3 doanh nghiệp có mặt" in page.locator(".counters").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing sideways on a phone

    page.get_by_label("Tìm theo tên, mã số hoặc mã số thuế").fill("cảng")
    page.get_by_role("button", name="Tìm").click()
    assert page.locator("li.cm-item").count() == 1
    row = page.locator("li.cm-item").first
    row.get_by_label("Số người").fill("3")
    row.get_by_role("button", name="Có mặt: Công ty Cổ phần Cảng Đình Vũ").click()
    page.wait_for_selector("li.cm-item.done")
    assert page.get_by_text("Đã ghi nhận có mặt.").is_visible()
    counters = page.locator(".counters").inner_text()
    assert "1 / 3 doanh nghiệp có mặt" in counters and "3 đại biểu" in counters
    page.get_by_role("link", name="Xem tất cả").click()
    assert page.locator("li.cm-item").count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "13-checkin-phone.png"), full_page=True)
    with app.app_context():
        attended = db.session.query(Registration).filter(Registration.attended.is_(True)).all()
        assert [(r.enterprise.name, r.delegates_present) for r in attended] == [("Công ty Cổ phần Cảng Đình Vũ", 3)]
