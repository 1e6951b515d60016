"""Every page type of a seeded conference, in Vietnamese and English, through two independent validators:
the Nu Html Checker (vnu-jar, on the server's raw response bodies) and axe-core (injected into Debian's
chromium with Playwright). Both come from npm into tests/tools (`make test` installs them, see
scripts/test-tools.sh); nothing downloads while the tests run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.approval_helpers import DEPARTMENT, submitted_answer
from tests.e2e.test_backoffice_journeys import CHROMIUM_ARGS, server  # noqa: F401 - fixture
from tests.factories import (
    create_enterprise,
    create_recommendation,
    create_registration,
    create_user,
    valid_tax_code,
)
from tests.intake_helpers import form_fields, registration_payload
from tests.login import PASSWORD
from tests.web.test_intake import open_conference
from webforms.domain import events, replies
from webforms.domain.links import sign_link
from webforms.extensions import db
from webforms.models import Assignment, AssignmentRole, Document, Invitee, Recommendation
from webforms.timeutil import utcnow

pytestmark = pytest.mark.e2e

TOOLS = Path(__file__).resolve().parents[1] / "tools" / "node_modules"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = TOOLS / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# What axe may leave for a person to review, but never these: each is a defect a machine can see.
NOT_FOR_REVIEW = {"duplicate-id", "duplicate-id-aria", "duplicate-id-active", "label", "form-field-multiple-labels",
                  "label-title-only", "aria-input-field-name"}


@pytest.fixture
def world(app, rules, calendar, settings):
    """One conference with a recommendation in every state a page shows, published answers and documents,
    an invitee and staff."""
    with app.app_context():
        conference = open_conference(rules, calendar, title="Hội nghị đối thoại doanh nghiệp năm 2030",
                                     slug="dtdn-kiem-tra")
        now = utcnow()
        registration = create_registration(conference, create_enterprise(name="Công ty TNHH Cơ khí Đình Vũ"),
                                           token="ma-theo-doi", public_consent=True)
        open_rec = create_recommendation(registration, title="Thủ tục cấp giấy phép lao động cho chuyên gia",
                                         field_code="LAO_DONG")
        events.recommendation_received.send(open_rec, now=now, rules=rules, calendar=calendar, settings=settings)
        (owner,) = [a for a in open_rec.assignments if a.role == AssignmentRole.OWNER]
        others = [d.code for d in rules.departments if d.code != owner.department.code][:1]
        (helper,) = replies.declare_coordination(owner, others, note="Đề nghị cho ý kiến.", actor=DEPARTMENT,
                                                 now=now, rules=rules, calendar=calendar, settings=settings)
        db.session.add(Invitee(conference_id=conference.id, category="agency", name="Ông Trần Văn Bình",
                               position="Giám đốc", organisation="Sở Kế hoạch và Đầu tư", email="binh@so.example.vn"))
        for kind in ("announcement", "conclusion_notice"):
            db.session.add(Document(conference_id=conference.id, kind=kind, version=1, path=f"{kind}.docx",
                                    status="done", published=True, generated_at=now))
        admin = create_user(email="quantri@heza.example.vn", role="admin", name="Văn phòng Ban")
        db.session.commit()
        ids = {"slug": conference.slug, "code": registration.tracking_code, "open_rec": open_rec.id,
               "owner": sign_link(owner, settings.secret_key), "helper": sign_link(helper, settings.secret_key),
               "admin": admin.email}
        conference_row = conference
    submitted = submitted_answer(app, rules, calendar, settings, conference=conference_row,
                                 title="Hoàn thuế giá trị gia tăng chậm")
    approved = submitted_answer(app, rules, calendar, settings, conference=conference_row,
                                title="Vướng mắc cấp giấy phép xây dựng nhà xưởng")
    with app.app_context():
        for item in (submitted, approved):
            assignment = db.session.get(Assignment, item["assignment_id"])
            ids[f"{'sub' if item is submitted else 'app'}_link"] = sign_link(assignment, settings.secret_key)
        approved_assignment = db.session.get(Assignment, approved["assignment_id"])
        replies.approve_answer(approved_assignment, actor=DEPARTMENT, now=utcnow(), rules=rules, calendar=calendar,
                               settings=settings)
        rec = approved_assignment.recommendation
        rec.published = True
        ids["answered_rec"] = rec.id
        ids["search"] = "gi%E1%BA%A5y+ph%C3%A9p"
        db.session.commit()
        assert db.session.get(Recommendation, ids["answered_rec"]).answer
    return ids


def _public_pages(w: dict) -> list[tuple[str, str]]:
    slug = w["slug"]
    return [
        ("home", "/"),
        ("conference", f"/hoi-nghi/{slug}"),
        ("form", f"/hoi-nghi/{slug}/dang-ky"),
        ("tracking", f"/theo-doi/{w['code']}?token=ma-theo-doi"),
        ("dept-answer-open", f"/tra-loi/{w['owner']}"),
        ("dept-coordinating", f"/tra-loi/{w['helper']}"),
        ("dept-answer-submitted", f"/tra-loi/{w['sub_link']}"),
        ("dept-answer-approved", f"/tra-loi/{w['app_link']}"),
        ("dept-link-invalid", "/tra-loi/khong-hop-le"),
        ("dept-done", "/tra-loi/da-xu-ly"),
        ("folder", "/doi-thoai-doanh-nghiep/"),
        ("folder-conference", f"/doi-thoai-doanh-nghiep/{slug}"),
        ("folder-search", f"/doi-thoai-doanh-nghiep/tim-kiem?q={w['search']}"),
        ("login", "/quan-tri/dang-nhap"),
        ("not-found", "/khong-co-trang-nay"),
    ]


def _staff_pages(w: dict) -> list[tuple[str, str]]:
    slug = w["slug"]
    return [
        ("bo-conferences", "/quan-tri/hoi-nghi"),
        ("bo-conference", f"/quan-tri/hoi-nghi/{slug}"),
        ("bo-conference-edit", f"/quan-tri/hoi-nghi/{slug}/sua"),
        ("bo-conference-new", "/quan-tri/hoi-nghi/tao-moi"),
        ("bo-conference-mode", f"/quan-tri/hoi-nghi/{slug}/phien-hop"),
        ("bo-invitees", f"/quan-tri/hoi-nghi/{slug}/khach-moi"),
        ("bo-checkin", f"/quan-tri/hoi-nghi/{slug}/diem-danh"),
        ("bo-conclusions", f"/quan-tri/hoi-nghi/{slug}/ket-luan"),
        ("bo-invitation-dispatch", f"/quan-tri/hoi-nghi/{slug}/giay-moi"),
        ("bo-recommendations", "/quan-tri/kien-nghi"),
        ("bo-recommendation-open", f"/quan-tri/kien-nghi/{w['open_rec']}"),
        ("bo-recommendation", f"/quan-tri/kien-nghi/{w['answered_rec']}"),
        ("bo-approvals", "/quan-tri/duyet-tra-loi"),
        ("bo-documents", "/quan-tri/van-ban"),
        ("bo-outbox", "/quan-tri/hop-thu-di"),
        ("bo-audit", "/quan-tri/nhat-ky"),
        ("bo-users", "/quan-tri/tai-khoan"),
        ("bo-rules", "/quan-tri/quy-tac"),
        ("bo-rules-edit", "/quan-tri/quy-tac/sua?tep=fields.yaml"),
    ]


def _axe(page) -> tuple[list, list]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return result["violations"], result["incomplete"]


def _vnu(folder: Path) -> list[dict]:
    java = shutil.which("java")
    assert java, "java is needed for the Nu Html Checker"
    run = subprocess.run([java, "-Xss2m", "-jar", str(VNU), "--format", "json", "--exit-zero-always",
                          "--skip-non-html", str(folder)], capture_output=True, text=True, timeout=600)
    messages = json.loads(run.stderr or run.stdout)["messages"]
    return [m for m in messages if m.get("type") == "error" or m.get("subType") == "fatal"]


def test_every_page_passes_the_nu_html_checker_and_axe(app, server, world, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    assert VNU.is_file() and AXE.is_file(), "validators missing: run scripts/test-tools.sh (make test does)"
    captures = tmp_path / "html"
    captures.mkdir()
    found: dict[str, list] = {}
    seen = 0

    def check(page, name: str, response, expect_status: int = 200) -> None:
        nonlocal seen
        assert response is not None and response.status == expect_status, (name, response and response.status)
        (captures / f"{name}.html").write_text(response.text(), encoding="utf-8")
        if os.environ.get("DOITHOAI_CRAWL_SHOTS"):  # to look at every page: a folder for the PNGs
            page.screenshot(path=str(Path(os.environ["DOITHOAI_CRAWL_SHOTS"]) / f"{name}.png"), full_page=True)
        violations, incomplete = _axe(page)
        problems = [f"{v['id']} ({len(v['nodes'])}): {v['help']}" for v in violations]
        problems += [f"review {v['id']} ({len(v['nodes'])})" for v in incomplete if v["id"] in NOT_FOR_REVIEW]
        if problems:
            found[name] = problems
        seen += 1

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        # The site's CSP (script-src 'self') rightly refuses an injected script: axe needs the bypass.
        context = browser.new_context(bypass_csp=True, viewport={"width": 1200, "height": 900})
        page = context.new_page()
        for lang in ("vi", "en"):
            page.goto(f"{server}/?lang={lang}")  # the language is remembered for the session
            for name, path in _public_pages(world):
                status = 404 if name in ("not-found", "dept-link-invalid") else 200
                check(page, f"{lang}-{name}", page.goto(server + path), status)

            # The form sent empty: the errors next to their fields (422).
            page.goto(f"{server}/hoi-nghi/{world['slug']}/dang-ky")
            with page.expect_response(lambda r: r.request.method == "POST") as sent:
                page.locator("form.registration [type=submit]").last.click()
            page.wait_for_load_state()
            check(page, f"{lang}-form-error", sent.value, 422)

            # A registration sent through the form's own fields: the confirmation page.
            page.goto(f"{server}/hoi-nghi/{world['slug']}/dang-ky")
            fields = form_fields(registration_payload(recommendations=1, tax_code=valid_tax_code(900 + len(lang))))
            fields.update(page.eval_on_selector_all("form.registration input[type=hidden]",
                                                    "els => Object.fromEntries(els.map(e => [e.name, e.value]))"))
            posted = page.request.post(f"{server}/hoi-nghi/{world['slug']}/dang-ky", form=fields, max_redirects=0)
            assert posted.status in (302, 303), posted.text()[:2000]
            check(page, f"{lang}-confirmation", page.goto(f"{server}/hoi-nghi/{world['slug']}/da-gui"))

            # Staff: a wrong password, then the back office.
            page.goto(f"{server}/quan-tri/dang-nhap")
            page.locator("input[name=email]").fill(world["admin"])
            page.locator("input[name=password]").fill("sai-mat-khau")
            with page.expect_response(lambda r: r.request.method == "POST") as sent:
                page.locator("main form button[type=submit]").click()
            page.wait_for_load_state()
            check(page, f"{lang}-login-error", sent.value, sent.value.status)
            page.locator("input[name=email]").fill(world["admin"])
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url("**/quan-tri/hoi-nghi")
            for name, path in _staff_pages(world):
                check(page, f"{lang}-{name}", page.goto(server + path))
            page.locator("nav.bo-nav form.logout button").click()
            page.wait_for_load_state()
        context.close()
        browser.close()

    assert seen >= 2 * (len(_public_pages(world)) + len(_staff_pages(world)) + 3)
    errors = _vnu(captures)
    readable = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}" for m in errors]
    assert (readable, found) == ([], {}), (f"Nu Html Checker: {len(readable)} errors\n" + "\n".join(readable[:60])
                                          + "\naxe-core: " + json.dumps(found, ensure_ascii=False, indent=1))
    # Sanity: the checker did read the pages (a broken page is found).
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.html").write_text('<!doctype html><html lang="vi"><title>x</title><p id="a"><p id="a">', "utf-8")
    assert any(re.search("Duplicate ID", m["message"]) for m in _vnu(broken))


def test_leaving_the_answer_page_with_unsent_text_asks_first(app, server, world):  # noqa: F811
    """Text typed into the draft and not sent: the page refuses a silent leave (unsaved.js cancels
    beforeunload, so the browser asks); pressing "Gửi dự thảo để lãnh đạo duyệt" straight away sends the typed
    text without asking."""
    from playwright.sync_api import sync_playwright

    leaving = """() => { const e = new Event("beforeunload", {cancelable: true}); window.dispatchEvent(e);
                        return e.defaultPrevented; }"""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{server}/tra-loi/{world['owner']}")
        assert page.evaluate(leaving) is False  # nothing typed: leave freely
        page.get_by_label("Dự thảo nội dung trả lời (nêu rõ căn cứ pháp lý)").click()
        page.keyboard.type("Căn cứ Điều 151 Bộ luật Lao động.")
        assert page.evaluate(leaving) is True
        asked = []
        page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))
        page.get_by_role("button", name="Gửi dự thảo để lãnh đạo duyệt").click()
        page.wait_for_load_state()
        assert page.get_by_text("Đã gửi dự thảo trả lời để lãnh đạo duyệt.").is_visible()
        assert asked == []  # sending the form did not ask
        assert page.get_by_text("Căn cứ Điều 151 Bộ luật Lao động.").is_visible()
        browser.close()
