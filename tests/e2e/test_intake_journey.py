"""A person registers in a real browser: conference page → form with two recommendations and a file →
confirmation page; the receipt with the private link reaches the test SMTP server, and the link opens the
status page."""

import re
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.jobs import run_jobs
from tests.smtp import free_port
from tests.web.test_intake import PDF, open_conference
from webforms.extensions import db
from webforms.models import Attachment, Registration

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server(app):
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_register_with_two_recommendations_and_a_file(
    app, live_server, browser, rules, calendar, mailbox, tmp_path
):
    with app.app_context():
        conference = open_conference(rules, calendar)
        slug = conference.slug
    attachment = tmp_path / "ho-so-dieu-chinh.pdf"
    attachment.write_bytes(PDF)

    page = browser.new_page(viewport={"width": 360, "height": 740})  # a phone
    page.goto(f"{live_server}/hoi-nghi/{slug}")
    assert "Hạn cuối nhận đăng ký và kiến nghị: 23:59 ngày" in page.inner_text("main")
    page.click("text=Đăng ký và gửi kiến nghị")

    page.fill("#enterprise-name", "Công ty TNHH Điện tử Hải Phòng")
    page.fill("#enterprise-tax_code", "0100047516")
    page.select_option("#enterprise-zone", "KCN-VSIP")
    page.fill("#enterprise-address", "Lô B2, KCN VSIP Hải Phòng")
    page.fill("#contact-name", "Phạm Thu Hà")
    page.fill("#contact-position", "Giám đốc")
    page.fill("#contact-email", "thuha@dientu.example.vn")
    page.fill("#contact-phone", "0912 345 678")
    page.fill("#attendees-0-name", "Phạm Thu Hà")
    page.fill("#recommendations-0-title", "Gia hạn giấy phép lao động cho chuyên gia")
    page.fill("#recommendations-0-content", "Đề nghị hướng dẫn hồ sơ gia hạn giấy phép lao động.")
    page.select_option("#recommendations-0-field", "LAO_DONG")
    page.set_input_files("#recommendations-0-attachments", str(attachment))
    page.click("#add-recommendation")  # the script adds a block without reloading
    page.fill("#recommendations-1-title", "Thủ tục thẩm duyệt PCCC nhà xưởng mở rộng")
    page.fill("#recommendations-1-content", "Đề nghị rút ngắn thời gian thẩm duyệt thiết kế PCCC.")
    page.select_option("#recommendations-1-field", "PCCC")
    page.check("#declaration")
    page.click("#submit")

    page.wait_for_selector("text=Đã tiếp nhận nội dung gửi")
    confirmation = page.inner_text("main")
    assert "KN." not in confirmation  # the tracking code and the private link go to the mailbox only (F16, F17)
    page.screenshot(path=str(tmp_path / "confirmation.png"), full_page=True)

    with app.app_context():
        registration = db.session.scalar(select(Registration))
        code = registration.tracking_code
        assert len(registration.recommendations) == 2
        assert db.session.scalar(select(Attachment.original_name)) == "ho-so-dieu-chinh.pdf"
    run_jobs(app)
    mailbox.wait_for(1)
    [mail] = mailbox.to("thuha@dientu.example.vn")  # departments get their routing emails too
    assert mail.rcpt_tos == ["thuha@dientu.example.vn"]
    assert mail.subject.startswith(f"[{code}]")
    link = re.search(r"https?://\S+?(/theo-doi/\S+)", mail.text).group(1)

    page.goto(live_server + link)
    status_text = page.inner_text("main")
    assert f"{code}-1" in status_text and f"{code}-2" in status_text
    # received, or already with a department when the routing receiver assigned it
    assert "Đã tiếp nhận" in status_text or "Đã chuyển đơn vị chuyên môn xử lý" in status_text
