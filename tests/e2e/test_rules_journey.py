"""Browser journey of the rules: the Office adds a holiday decision and changes a department's address in
the back office; at the next tick the open assignments whose deadlines moved show the new dates and each
department is told once, at its address in force; going back to the first version restores the old dates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.e2e.test_backoffice_journeys import browser_page, log_in, shot  # noqa: F401 - fixtures
from tests.factories import (
    create_conference,
    create_enterprise,
    create_recommendation,
    create_registration,
    create_user,
)
from tests.jobs import run_jobs
from webforms.domain.deadlines import assignment_due
from webforms.domain.departments import sync_departments
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import Assignment

pytestmark = pytest.mark.e2e

# Thu 18/3/2027: D+7 working days is Mon 29/3; a day off decreed on Mon 22/3 moves it to Tue 30/3.
DECISION = ("  - date: 2027-03-22\n    name: Nghỉ bù theo Quyết định của UBND thành phố\n"
            "    source: Quyết định số 2345/QĐ-UBND ngày 01/12/2026 của UBND thành phố Hải Phòng\n")
OLD_DUE, NEW_DUE = "29/03/2027", "30/03/2027"
NEW_ADDRESS = "vanthu.moi@heza.example.vn"


@pytest.fixture
def own_rules_app(app, settings, tmp_path):  # `app`: the tables are emptied after the test
    from webforms.app import create_app

    folder = tmp_path / "rules"
    shutil.copytree(settings.rules_dir, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__", "versions"))
    return create_app(dataclasses.replace(settings, rules_dir=folder))


@pytest.fixture
def own_server(own_rules_app):
    httpd = make_server("127.0.0.1", 0, own_rules_app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


def _edit(page, server, file: str, change, reason: str) -> None:
    page.goto(f"{server}/quan-tri/quy-tac/sua?tep={file}")
    text = page.locator("textarea#text").input_value()
    changed = change(text)
    assert changed != text
    page.locator("textarea#text").fill(changed)
    page.get_by_label("Lý do thay đổi").fill(reason)
    page.get_by_role("button", name="Xem trước").click()
    page.get_by_role("button", name="Áp dụng").click()
    page.wait_for_url("**/quan-tri/quy-tac/phien-ban?so=*")


def _due_dates(app, ids) -> list[str]:
    with app.app_context():
        tz = app.extensions["doithoai"].rules.plan.timezone
        return [db.session.get(Assignment, i).due_at.astimezone(tz).strftime("%d/%m/%Y") for i in ids]


def _tick(app) -> None:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    result = app.test_cli_runner().invoke(args=["tick", "--now", now])
    assert result.exit_code == 0, result.output
    run_jobs(app)


def _moved_mails(mailbox) -> dict[tuple, list]:
    told: dict[tuple, list] = {}
    for received in mailbox.messages:
        message = email.message_from_bytes(received.raw, policy=email.policy.default)
        if "Thay đổi thời hạn" in str(message["Subject"]):
            told.setdefault(tuple(sorted(received.rcpt_tos)), []).append(message.get_body(("plain",)).get_content())
    return told


def test_office_changes_holidays_and_an_address_deadlines_follow_and_going_back_restores_them(
        own_rules_app, own_server, browser_page, mailbox):  # noqa: F811
    app, page = own_rules_app, browser_page
    with app.app_context():
        rules = app.extensions["doithoai"].rules
        calendar = WorkingCalendar(rules.holidays)
        departments = sync_departments(rules)
        owners = [d for d in departments if d.emails and rules.department(d.code).kind != "external"][:2]
        conference = create_conference(slug="dtdn-2027",
                                       starts_at=dt.datetime(2027, 3, 18, 8, 30, tzinfo=rules.plan.timezone))
        ids = []
        for i, department in enumerate(owners):
            registration = create_registration(conference, create_enterprise(name=f"Công ty TNHH Thử nghiệm {i + 1}"))
            rec = create_recommendation(registration, title=f"Kiến nghị thử nghiệm {i + 1}")
            assignment = Assignment(recommendation_id=rec.id, department_id=department.id,
                                    due_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
            db.session.add(assignment)
            db.session.flush()
            assignment.due_at = assignment_due(assignment, rules, calendar)
            ids.append(assignment.id)
        office = create_user(role="secretariat", email="vanphong@heza.example.vn", name="Văn phòng")
        db.session.commit()
        moved_code, old_address = owners[1].code, owners[1].emails[0]
        first_told = tuple(sorted(owners[0].emails))
        office_email, recommendation_ids = office.email, [db.session.get(Assignment, i).recommendation_id
                                                          for i in ids]
    assert _due_dates(app, ids) == [OLD_DUE, OLD_DUE]

    log_in(page, own_server, office_email)
    page.wait_for_url("**/quan-tri/**")
    _edit(page, own_server, "holidays.yaml", lambda text: text.replace("days_off:\n", "days_off:\n" + DECISION, 1),
          "Quyết định số 2345/QĐ-UBND ngày 01/12/2026")
    _edit(page, own_server, "departments.yaml",
          lambda text: text.replace(f"emails: [{old_address}]", f"emails: [{NEW_ADDRESS}]", 1),
          f"Công văn của {moved_code} về địa chỉ thư điện tử mới")
    shot(page, "rules-version")

    _tick(app)
    assert _due_dates(app, ids) == [NEW_DUE, NEW_DUE]
    told = _moved_mails(mailbox)
    assert sorted(told) == sorted([first_told, (NEW_ADDRESS,)]), told
    assert all(len(bodies) == 1 and NEW_DUE in bodies[0] and OLD_DUE in bodies[0] for bodies in told.values())
    assert all("lịch ngày nghỉ lễ được cập nhật" in bodies[0] for bodies in told.values())
    page.goto(f"{own_server}/quan-tri/kien-nghi/{recommendation_ids[0]}")
    assert NEW_DUE in page.content()
    _tick(app)
    assert len(_moved_mails(mailbox)[(NEW_ADDRESS,)]) == 1  # a second tick moves nothing and tells nobody

    page.goto(f"{own_server}/quan-tri/quy-tac/phien-ban?so=1")
    page.get_by_label("Lý do quay lại").fill("Nhập nhầm quyết định")
    page.get_by_role("button", name="Quay lại phiên bản 1").click()
    page.wait_for_url("**/quan-tri/quy-tac/phien-ban?so=*")
    mailbox.clear()
    _tick(app)
    assert _due_dates(app, ids) == [OLD_DUE, OLD_DUE]
    page.goto(f"{own_server}/quan-tri/kien-nghi/{recommendation_ids[0]}")
    assert OLD_DUE in page.content() and NEW_DUE not in page.content()
    # The first version's address is back in force: that department is told there, once.
    told = _moved_mails(mailbox)
    assert sorted(told) == sorted([first_told, (old_address,)]), told
