"""(f) A holiday decision is added in the back office while assignments are open: the rules change as a
new version, every open deadline follows at the next tick, each department whose deadline moved is told
once, and the deadline engine escalates by the new dates only."""

import dataclasses
import html
import re
import shutil

import pytest

from tests.login import csrf_from, login_as
from tests.scenarios import timeline as t
from tests.scenarios.driver import Run, local

# Tue 20/10/2026 becomes a day off: D+7 wd moves from Mon 26/10 to Tue 27/10.
DECISION = ("  - date: 2026-10-20\n    name: Nghỉ bù theo Quyết định của UBND thành phố\n"
            "    source: Quyết định số 2345/QĐ-UBND ngày 16/10/2026 của UBND thành phố Hải Phòng\n")
DECIDED = local(2026, 10, 16, 14)
OLD_DUE_DAY = local(2026, 10, 26, 9)  # the old D+7: the heads would get the due-and-overdue digest today
NEW_DUE_DAY = local(2026, 10, 27, 9)


@pytest.fixture
def own_rules_run(app, settings, mailbox, tmp_path):  # `app`: the tables are emptied after the test
    """An app whose rules folder is a copy (a new version is written into the rules folder)."""
    from webforms.app import create_app
    from webforms.domain.departments import sync_departments
    from webforms.extensions import db

    folder = tmp_path / "rules"
    shutil.copytree(settings.rules_dir, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__", "versions"))
    app = create_app(dataclasses.replace(settings, rules_dir=folder))
    with app.app_context():
        sync_departments(app.extensions["doithoai"].rules)
        db.session.commit()
    return Run(app=app, smtp=mailbox)


def test_holiday_decision_moves_open_deadlines_and_the_engine_follows(own_rules_run):
    run = own_rules_run
    with run.at(t.CREATED):
        slug = run.cli("conference", "create", "--title", "Hội nghị đối thoại doanh nghiệp năm 2026",
                       "--date", t.DATE, "--time", t.TIME, "--venue", "Hội trường Ban Quản lý").strip()
    with run.at(t.ANNOUNCED):
        run.cli("conference", "announce", slug)
    registrations = [run.register(slug, t.INTAKE) for _ in range(15)]
    codes = [rec["code"] for r in registrations for rec in r["recommendations"]]
    for now in (t.INTAKE_CLOSED, t.D_MINUS_1_PASSED, t.AFTER):
        run.tick(now)
    run.new_mail()

    with run.at(DECIDED):
        office = run.app.test_client()
        with run.app.app_context():
            login_as(office, "secretariat")
        page = office.get("/quan-tri/quy-tac/sua?tep=holidays.yaml").get_data(as_text=True)
        text = html.unescape(re.search(r'name="text"[^>]*>(?:\r\n|\n)?(.*?)</textarea>', page, re.S).group(1))
        base = re.search(r'name="base" type="hidden" value="([^"]*)"', page).group(1)
        data = {"csrf_token": csrf_from(page), "file": "holidays.yaml", "base": base,
                "text": text.replace("days_off:\n", "days_off:\n" + DECISION, 1),
                "reason": "Quyết định số 2345/QĐ-UBND ngày 16/10/2026"}
        preview = office.post("/quan-tri/quy-tac/xem-truoc", data=data)
        assert preview.status_code == 200 and "2026-10-20" in preview.get_data(as_text=True)
        applied = office.post("/quan-tri/quy-tac/ap-dung", data=data)
        assert applied.status_code == 302, applied.get_data(as_text=True)[:2000]
        assert office.get(applied.headers["Location"]).status_code == 200  # the version page, as a browser
    run.tick(DECIDED)  # the next tick brings the open deadlines in line with the new calendar
    told = run.new_mail()
    moved = [m for m in told if "27/10/2026" in m.text and any(c in m.text for c in codes)]
    per_department: dict[tuple, int] = {}
    for mail in moved:
        key = tuple(sorted(mail.rcpt_tos))
        per_department[key] = per_department.get(key, 0) + 1
    assert moved and all(n == 1 for n in per_department.values()), [(m.subject, m.text[:400]) for m in told]
    assert {c for c in codes if any(c in m.text for m in moved)} == set(codes)

    def escalations(mails):  # the heads' digest of items due today or overdue
        return [m for m in mails if "quá hạn" in m.subject.lower()]

    run.tick(OLD_DUE_DAY)
    early = run.new_mail()
    assert not escalations(early), [(m.subject, m.text[:300]) for m in escalations(early)]
    run.tick(NEW_DUE_DAY)
    assert escalations(run.new_mail())
    run.assert_nothing_sent_twice()
