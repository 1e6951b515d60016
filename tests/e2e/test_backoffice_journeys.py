"""Browser journeys on Debian's chromium: login, publish an announcement, conference mode,
download a document; and a screenshot of each main page in docs/screenshots/."""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.factories import (
    create_conference,
    create_enterprise,
    create_recommendation,
    create_registration,
    create_user,
)
from tests.login import PASSWORD
from webforms.domain.departments import sync_departments
from webforms.extensions import db
from webforms.models import Assignment, ConferenceStatus, Document

pytestmark = pytest.mark.e2e

# The README's screenshots are refreshed with DOITHOAI_SCREENSHOTS=1; otherwise they go to a temp folder,
# so a test run leaves the working tree as it was.
SCREENSHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots" if os.environ.get("DOITHOAI_SCREENSHOTS")
               else Path(tempfile.gettempdir()) / "doithoai-screenshots")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def server(app):
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
        page = context.new_page()
        yield page
        context.close()
        browser.close()


@pytest.fixture
def scene(app, rules, settings):
    with app.app_context():
        departments = sync_departments(rules)
        conference = create_conference(slug="dtdn-2025", title="Hội nghị đối thoại doanh nghiệp năm 2025",
                                       status=ConferenceStatus.DRAFT,
                                       starts_at=dt.datetime(2030, 9, 5, 8, 30, tzinfo=rules.plan.timezone),
                                       announcement_text="Kính mời các doanh nghiệp đăng ký và gửi kiến nghị.")
        titles = ["Vướng mắc cấp giấy phép xây dựng nhà xưởng", "Thủ tục cấp giấy phép lao động cho chuyên gia",
                  "Thời gian thẩm định hồ sơ môi trường", "Hoàn thuế giá trị gia tăng chậm"]
        fields = ["XAY_DUNG", "LAO_DONG", "MOI_TRUONG", "THUE"]
        for i, (title, field) in enumerate(zip(titles, fields, strict=True)):
            reg = create_registration(conference, create_enterprise(name=f"Công ty TNHH Sản xuất Hải Phòng {i + 1}"),
                                      registered_at=dt.datetime(2030, 8, 20, tzinfo=dt.UTC), public_consent=True)
            rec = create_recommendation(reg, title=title, field_code=field,
                                        received_at=dt.datetime(2030, 8, 20, tzinfo=dt.UTC))
            db.session.add(Assignment(recommendation_id=rec.id, department_id=departments[i % 3].id,
                                      due_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC) if i == 0
                                      else dt.datetime(2031, 1, 1, tzinfo=dt.UTC)))
        folder = settings.resolved_documents_dir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "thong-bao-v1.docx").write_bytes(b"PK\x03\x04 thong bao")
        document = Document(conference_id=conference.id, kind="announcement", version=1, path="thong-bao-v1.docx",
                            status="done", generated_at=dt.datetime(2030, 8, 25, tzinfo=dt.UTC))
        db.session.add(document)
        # A conference under way (it started an hour ago): conference mode records answers there.
        live = create_conference(slug="dtdn-dang-hop", title="Hội nghị đối thoại doanh nghiệp đang họp",
                                 status=ConferenceStatus.CONFIRMED,
                                 starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        reg = create_registration(live, create_enterprise(name="Công ty TNHH Đang Họp"))
        rec = create_recommendation(reg, title="Gia hạn tiến độ dự án", field_code="DAU_TU")
        db.session.add(Assignment(recommendation_id=rec.id, department_id=departments[0].id,
                                  due_at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC)))
        user = create_user(email="vanphong@heza.example.vn", role="admin", name="Văn phòng")
        db.session.commit()
        return {"slug": conference.slug, "email": user.email, "document_id": document.id}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, server, email, password=PASSWORD):
    page.goto(f"{server}/quan-tri/dang-nhap")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_login_publish_conference_mode_and_download(server, browser_page, scene, tmp_path):
    page = browser_page
    page.goto(f"{server}/quan-tri/dang-nhap")
    shot(page, "01-login")
    log_in(page, server, scene["email"], "sai-mat-khau")
    assert page.get_by_text("Email hoặc mật khẩu không đúng.").is_visible()
    log_in(page, server, scene["email"])
    page.wait_for_url("**/quan-tri/hoi-nghi")
    assert page.get_by_role("heading", name="Hội nghị đối thoại doanh nghiệp").is_visible()
    shot(page, "02-conferences")

    # Publish the announcement.
    page.get_by_role("link", name="Hội nghị đối thoại doanh nghiệp năm 2025").click()
    page.get_by_role("button", name="Đăng thông báo và mở nhận kiến nghị").click()
    assert page.get_by_text("Đã đăng thông báo; cổng nhận đăng ký và kiến nghị đã mở.").is_visible()
    assert page.get_by_text("Đã thông báo", exact=True).first.is_visible()
    shot(page, "03-dashboard")

    # Conference mode before the conference: answers there cannot be recorded yet, and it says so.
    page.get_by_role("link", name="Chế độ phiên họp").click()
    assert page.get_by_text("Ghi nhận trả lời khi Hội nghị bắt đầu").first.is_visible()
    assert page.get_by_role("button", name="Ghi nhận đã trả lời tại Hội nghị: KN").count() == 0
    # During the conference: who answered and what was said.
    page.goto(f"{server}/quan-tri/hoi-nghi/dtdn-dang-hop/phien-hop")
    page.get_by_text("Ghi nhận trả lời tại Hội nghị", exact=True).click()
    page.get_by_label("Người trả lời (lãnh đạo, đơn vị)").fill("Phó Trưởng ban Nguyễn Văn B")
    page.get_by_label("Nội dung trả lời tại Hội nghị").fill("Đồng ý gia hạn tiến độ đến quý IV.")
    page.get_by_role("button", name="Ghi nhận đã trả lời tại Hội nghị: KN").click()
    assert page.locator(".cm-item.done").count() == 1
    assert "1 / 1" in page.get_by_role("status").inner_text()
    assert page.get_by_text("Trả lời: Phó Trưởng ban Nguyễn Văn B").is_visible()
    shot(page, "04-conference-mode")

    page.goto(f"{server}/quan-tri/kien-nghi?conference={scene['slug']}")
    assert page.locator("table.list tbody tr").count() == 4
    shot(page, "05-recommendations")
    page.locator("table.list tbody tr a").first.click()
    shot(page, "06-recommendation")

    # Download a document.
    page.goto(f"{server}/quan-tri/van-ban")
    shot(page, "07-documents")
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải về").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.read_bytes().startswith(b"PK")
    assert info.value.suggested_filename == "dtdn-2025-announcement-v1.docx"

    page.goto(f"{server}/doi-thoai-doanh-nghiep/")
    shot(page, "08-public-folder")
    page.goto(f"{server}/doi-thoai-doanh-nghiep/{scene['slug']}")
    assert page.get_by_role("heading", name="Hội nghị đối thoại doanh nghiệp năm 2025").is_visible()
    shot(page, "09-public-conference")


def test_phone_layout_and_english(server, browser_page, scene):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, server, scene["email"])
    page.goto(f"{server}/quan-tri/hoi-nghi/{scene['slug']}?lang=en")
    assert page.get_by_role("heading", name="Milestones").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width
    shot(page, "10-dashboard-phone-en")


def test_admin_requeues_a_failed_job_from_the_queue_dashboard(server, browser_page, scene, app):
    """rq-dashboard's own scripts run under our CSP and its Requeue button passes CSRF."""
    from rq import Queue
    from rq.job import Job
    from rq.worker import SimpleWorker

    with app.app_context():
        redis = app.extensions["doithoai"].redis
        queue = Queue("default", connection=redis)
        job = queue.enqueue(math.sqrt, -1)
        SimpleWorker([queue], connection=redis).work(burst=True, with_scheduler=False, logging_level="CRITICAL")
        assert job.get_status(refresh=True) == "failed"
    errors = []
    page = browser_page
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server, scene["email"])
    page.wait_for_url("**/quan-tri/hoi-nghi")
    page.get_by_role("link", name="Hàng đợi").click()
    page.locator("#queues").get_by_text("default").first.wait_for()
    shot(page, "12-queues")
    page.goto(f"{server}/quan-tri/rq/0/view/job/{job.id}")
    page.get_by_text("math domain error").first.wait_for()
    page.locator("#requeue-job-btn").click()
    deadline = time.monotonic() + 10
    while Job.fetch(job.id, connection=redis).get_status() != "queued" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Job.fetch(job.id, connection=redis).get_status() == "queued"
    assert errors == []
