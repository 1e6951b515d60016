"""The rules in the back office (issue 14 item 3): edit one file, preview (the schema's check and the diff),
apply as a numbered version, see its diff, go back; the next request uses the version, no restart."""

from __future__ import annotations

import html
import re
import shutil

import pytest
from sqlalchemy import select

from config.schema import FILES
from config.settings import PROJECT_ROOT
from tests.login import csrf_from, login_as
from tests.web.conftest import StaffClient
from webforms.domain import rules_versions
from webforms.extensions import db
from webforms.models import AuditEvent

OLD = "Hải quan, xuất nhập khẩu"
NEW = "Hải quan, xuất khẩu, nhập khẩu, quá cảnh"


@pytest.fixture
def office(tmp_path, settings, app):
    """An app on its own copy of the rules, and a client logged in as the Office (secretariat)."""
    from webforms.app import create_app

    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    for name in FILES:
        shutil.copy(PROJECT_ROOT / "config" / name, rules_dir / name)
    own = create_app(settings.with_(rules_dir=rules_dir))  # the session's database, migrated by `app`
    own.test_client_class = StaffClient
    with own.app_context():
        client = own.test_client()
        login_as(client, "secretariat")
        yield own, client, rules_dir


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def edit_form(client, name="fields.yaml") -> dict:
    text = page(client, f"/quan-tri/quy-tac/sua?tep={name}")
    fields = dict(re.findall(r'<input id="(\w+)" name="\w+" type="hidden" value="([^"]*)"', text))
    textarea = html.unescape(re.search(r'<textarea id="text" name="text"[^>]*>(.*?)</textarea>', text, re.S).group(1))
    return {"csrf_token": csrf_from(text), "file": fields["file"], "base": fields["base"], "text": textarea}


def field_name(app) -> str:
    return app.extensions["doithoai"].rules.field("HAI_QUAN").name


def test_a_broken_edit_is_shown_with_its_line_and_cannot_be_applied(office):
    app, client, rules_dir = office
    form = edit_form(client)
    assert form["file"] == "fields.yaml" and form["base"] == "0"
    before = (rules_dir / "fields.yaml").read_text(encoding="utf-8")
    form["text"] = form["text"].replace(f'name: "{OLD}"', f"name: {NEW}")
    form["reason"] = "Thử"
    body = client.post("/quan-tri/quy-tac/xem-truoc", data=form).get_data(as_text=True)
    assert "Chưa thể áp dụng: các quy tắc có lỗi" in body
    assert "fields.yaml:12: fields[8].'xuất khẩu': unknown key: an unquoted comma" in html.unescape(body)
    assert 'formaction="/quan-tri/quy-tac/ap-dung"' not in body
    response = client.post("/quan-tri/quy-tac/ap-dung", data=form)
    assert response.status_code == 400
    assert (rules_dir / "fields.yaml").read_text(encoding="utf-8") == before
    assert rules_versions.list_versions() == []


def test_preview_apply_diff_and_go_back(office):
    app, client, rules_dir = office
    client.get("/quan-tri/quy-tac")
    assert field_name(app) == OLD
    form = edit_form(client)
    form["text"] = form["text"].replace(f'name: "{OLD}"', f'name: "{NEW}"')
    form["reason"] = "Công văn số 12/BQL-VP"
    body = client.post("/quan-tri/quy-tac/xem-truoc", data=form).get_data(as_text=True)
    assert f'-  - {{code: HAI_QUAN, name: "{OLD}"}}' in html.unescape(body)
    assert f'+  - {{code: HAI_QUAN, name: "{NEW}"}}' in html.unescape(body)
    assert 'formaction="/quan-tri/quy-tac/ap-dung"' in body
    assert field_name(app) == OLD  # a preview changes nothing

    response = client.post("/quan-tri/quy-tac/ap-dung", data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/quan-tri/quy-tac/phien-ban?so=2")
    assert field_name(app) == OLD  # this request began with the old rules
    version_page = page(client, "/quan-tri/quy-tac/phien-ban?so=2")
    assert field_name(app) == NEW  # the next request uses version 2, without a restart
    assert "Đã áp dụng phiên bản 2." in version_page
    assert "Công văn số 12/BQL-VP" in version_page
    assert f'+  - {{code: HAI_QUAN, name: "{NEW}"}}' in html.unescape(version_page)
    index = page(client, "/quan-tri/quy-tac")
    assert "Bản đang dùng trước lần sửa đầu tiên" in index
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rules.apply"))
    assert event.target_id == "2" and event.details["file"] == "fields.yaml"

    # Someone who opened the file before version 2 cannot overwrite it.
    stale = dict(form, text=form["text"].replace(NEW, "Hải quan"), csrf_token=csrf_from(index))
    response = client.post("/quan-tri/quy-tac/ap-dung", data=stale)
    assert response.status_code == 302 and "/quan-tri/quy-tac/sua?tep=fields.yaml" in response.headers["Location"]
    assert "được người khác thay đổi" in page(client, response.headers["Location"])
    assert len(rules_versions.list_versions()) == 2

    # Going back to version 1 is version 3, with version 1's files.
    token = csrf_from(page(client, "/quan-tri/quy-tac/phien-ban?so=1"))
    response = client.post("/quan-tri/quy-tac/khoi-phuc", data={"csrf_token": token, "number": "1",
                                                                "reason": "Nhầm công văn"})
    assert response.status_code == 302 and response.headers["Location"].endswith("phien-ban?so=3")
    assert "Đã quay lại phiên bản 1 (phiên bản mới 3)." in page(client, response.headers["Location"])
    assert field_name(app) == OLD
    assert f'name: "{OLD}"' in rules_versions.get_version(3).text("fields.yaml")
    assert f'name: "{OLD}"' in (rules_dir / "fields.yaml").read_text(encoding="utf-8")  # never written over
    assert [v.number for v in rules_versions.list_versions()] == [3, 2, 1]


def test_only_the_files_of_the_rules_can_be_opened(office):
    _, client, _ = office
    assert client.get("/quan-tri/quy-tac/sua?tep=../settings.py").status_code == 404
    assert client.get("/quan-tri/quy-tac/phien-ban?so=7").status_code == 404


def test_the_preview_shows_which_deadlines_move_and_which_recommendations_go_elsewhere(office):
    from tests.factories import create_conference, create_enterprise, create_recommendation, create_registration
    from webforms.models import RecommendationStatus

    app, client, rules_dir = office
    conference = create_conference(title="Hội nghị thử ảnh hưởng quy tắc")
    registration = create_registration(conference, create_enterprise(zone_code="KCN-VSIP"))
    rec = create_recommendation(registration, field_code="LAO_DONG", title="Giấy phép lao động chậm",
                                status=RecommendationStatus.RECEIVED)
    db.session.commit()
    try:
        preview_both(client, rules_dir, rec)
    finally:  # the session's database is shared: leave no running conference for the deadline engine
        for row in (rec, registration, registration.enterprise, conference):
            db.session.delete(row)
            db.session.flush()
        db.session.commit()


def preview_both(client, rules_dir, rec):
    form = edit_form(client, "holidays.yaml")
    form["text"] = form["text"].replace("days_off:\n", "days_off:\n  - {date: 2025-08-28, name: Nghỉ thử, "
                                        "source: Quyết định thử}\n", 1)
    form["reason"] = "Quyết định thử"
    body = html.unescape(client.post("/quan-tri/quy-tac/xem-truoc", data=form).get_data(as_text=True))
    assert "Mốc thời hạn của các hội nghị đang diễn ra sẽ thay đổi" in body
    row = re.search(r"<tr><td>Hội nghị thử ảnh hưởng quy tắc</td><td>Đăng thông báo tổ chức Hội nghị</td>"
                    r"<td>([^<]+)</td><td>([^<]+)</td></tr>", body)
    assert row, body
    # D-7 working days from Thursday 04/09/2025 (01-02/09 are days off): one more day off moves it a day earlier.
    assert (row.group(1), row.group(2)) == ("23:59 ngày 22/08/2025", "23:59 ngày 21/08/2025")

    form = edit_form(client, "departments.yaml")
    form["text"] = form["text"].replace("fields: [LAO_DONG]", "fields: []").replace(
        "fields: [DAU_TU]", "fields: [DAU_TU, LAO_DONG]")
    form["reason"] = "Phân công lại"
    body = html.unescape(client.post("/quan-tri/quy-tac/xem-truoc", data=form).get_data(as_text=True))
    assert (f"<tr><td>{rec.code}</td><td>Giấy phép lao động chậm</td><td>Phòng Quản lý Lao động</td>"
            "<td>Phòng Quản lý Đầu tư</td></tr>") in body
    assert "Không thời hạn nào của các hội nghị đang diễn ra thay đổi." in body
    assert rules_versions.list_versions() == []  # previews change nothing


def plan_edit(client, *pairs, reason="Kế hoạch sửa đổi", chosen=()):
    form = edit_form(client, "plan.yaml")
    for old, new in pairs:
        assert old in form["text"]
        form["text"] = form["text"].replace(old, new, 1)
    form["reason"] = reason
    form["hoi_nghi"] = [str(i) for i in chosen]
    return form


def test_an_announced_conference_keeps_its_plan_unless_the_editor_applies_the_new_one(office):
    """Issue 14 item 4: offsets and quorum edited later apply to conferences not yet announced; the preview
    says which announced ones would move, and only those the editor ticks take the new plan."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from tests.factories import create_conference
    from webforms.domain.conferences import announce_conference, conference_milestones
    from webforms.domain.plan import kept_plan
    from webforms.models import ConferenceStatus

    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    app, _, _ = office
    client = app.test_client()
    login_as(client, "consolidation")  # the plan's offsets and quorum are DN&GSĐT's and the leader's
    svc = app.extensions["doithoai"]
    announced = create_conference(title="Hội nghị đã thông báo", status=ConferenceStatus.DRAFT,
                                  starts_at=dt.datetime(2025, 9, 4, 8, 30, tzinfo=vn))
    draft = create_conference(title="Hội nghị chưa thông báo", status=ConferenceStatus.DRAFT,
                              starts_at=dt.datetime(2025, 10, 9, 8, 30, tzinfo=vn))
    assert announce_conference(announced, now=dt.datetime(2025, 8, 20, 9, 0, tzinfo=vn), rules=svc.rules,
                               calendar=svc.calendar)
    db.session.commit()
    assert announced.rules_version == 1 and announced.plan_terms["offsets"]["intake_closes"] == -5

    def intake_closes(conference):
        rules = app.extensions["doithoai"].rules
        due = next(m.due for m in conference_milestones(conference, rules, app.extensions["doithoai"].calendar)
                   if m.name == "intake_closes")
        return f"{due:%d/%m/%Y}", kept_plan(conference, rules.plan).min_enterprises

    change = ("    offset: -5\n    owner: DNGSDT\n    label: Hết hạn nhận", "    offset: -6\n    owner: DNGSDT\n"
              "    label: Hết hạn nhận")
    form = plan_edit(client, change, ("min_enterprises: 15", "min_enterprises: 12"))
    body = html.unescape(client.post("/quan-tri/quy-tac/xem-truoc", data=form).get_data(as_text=True))
    # The draft moves with the plan: D = Thu 09/10/2025, D-5 = 02/10, D-6 = 01/10.
    assert ("<tr><td>Hội nghị chưa thông báo</td><td>Hết hạn nhận đăng ký và kiến nghị</td>"
            "<td>23:59 ngày 02/10/2025</td><td>23:59 ngày 01/10/2025</td></tr>") in body
    assert "<tr><td>Hội nghị đã thông báo</td>" not in body  # it keeps its plan: nothing moves by itself
    kept = re.search(r'<fieldset id="kept-plans">(.*?)</fieldset>', body, re.S).group(1)
    assert f'name="hoi_nghi" value="{announced.id}" form="rules-form"' in kept
    assert f'value="{draft.id}"' not in kept
    assert "Áp dụng kế hoạch mới cho hội nghị «Hội nghị đã thông báo» (đang theo phiên bản 1)" in kept
    # D = Thu 04/09/2025, 01-02/09 days off: D-5 = 26/08, D-6 = 25/08.
    assert ("<tr><td>Hết hạn nhận đăng ký và kiến nghị</td><td>23:59 ngày 26/08/2025</td>"
            "<td>23:59 ngày 25/08/2025</td></tr>") in kept
    assert "Điều kiện tổ chức: 15 doanh nghiệp, 5 kiến nghị; nếu áp dụng: 12 doanh nghiệp, 5 kiến nghị." in kept

    assert client.post("/quan-tri/quy-tac/ap-dung", data=form).status_code == 302  # nothing ticked
    page(client, "/quan-tri/quy-tac")
    db.session.expire_all()
    assert intake_closes(announced) == ("26/08/2025", 15)
    assert intake_closes(draft) == ("01/10/2025", 12)

    # The next edit is applied to the announced conference too: it takes that version's whole plan.
    form = plan_edit(client, ("min_recommendations: 5", "min_recommendations: 4"), chosen=[announced.id, draft.id])
    body = html.unescape(client.post("/quan-tri/quy-tac/xem-truoc", data=form).get_data(as_text=True))
    assert f'value="{announced.id}" form="rules-form" checked' in body
    assert client.post("/quan-tri/quy-tac/ap-dung", data=form).status_code == 302
    page(client, "/quan-tri/quy-tac")
    db.session.expire_all()
    assert announced.rules_version == 3 and draft.rules_version is None
    assert intake_closes(announced) == ("25/08/2025", 12)
    assert kept_plan(announced, app.extensions["doithoai"].rules.plan).min_recommendations == 4
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(
        ("rules.apply", "conference.plan_applied"))).order_by(AuditEvent.id)).all()
    assert [(e.action, e.target_id) for e in events] == [
        ("rules.apply", "2"), ("conference.plan_applied", announced.slug), ("rules.apply", "3")]
    assert events[-1].details["applied_to"] == [announced.id]


def test_who_may_change_each_file_comes_from_the_permissions_of_the_plan(office):
    """Issue 14 item 3: `edit_rules_<file>` in plan.yaml. The Office keeps holidays and departments,
    DN&GSĐT and the leader the plan; a refused edit says so and who may, and changes nothing."""
    app, office_client, _ = office
    index = page(office_client, "/quan-tri/quy-tac")
    assert 'href="/quan-tri/quy-tac/sua?tep=holidays.yaml">Sửa holidays.yaml</a>' in index
    assert 'href="/quan-tri/quy-tac/sua?tep=plan.yaml">Xem plan.yaml</a>' in index
    says = ("Anh/chị không có quyền sửa tệp plan.yaml. Người có quyền sửa: Quản trị hệ thống, Lãnh đạo Ban, "
            "Phòng Doanh nghiệp và Giám sát đầu tư.")
    assert ("Xem plan.yaml</a>\n    — người có quyền sửa: Quản trị hệ thống, Lãnh đạo Ban, Phòng Doanh nghiệp "
            "và Giám sát đầu tư") in index
    body = html.unescape(page(office_client, "/quan-tri/quy-tac/sua?tep=plan.yaml"))
    assert says in body and "min_enterprises: 15" in body
    assert '<textarea id="text"' not in body and "Xem trước" not in body

    leader = app.test_client()
    login_as(leader, "leader")
    form = plan_edit(leader, ("min_enterprises: 15", "min_enterprises: 12"), reason="Kế hoạch năm 2026")
    for url in ("/quan-tri/quy-tac/xem-truoc", "/quan-tri/quy-tac/ap-dung"):
        refused = office_client.post(url, data=dict(form, csrf_token=csrf_from(index)))
        assert refused.status_code == 403, url
        assert says in html.unescape(refused.get_data(as_text=True))
    assert rules_versions.list_versions() == []
    holidays = html.unescape(page(leader, "/quan-tri/quy-tac/sua?tep=holidays.yaml"))
    assert "Anh/chị không có quyền sửa tệp holidays.yaml. Người có quyền sửa: Quản trị hệ thống, Văn phòng." in holidays
    assert '<textarea id="text"' not in holidays  # the leader reads the calendar, the Office changes it

    assert leader.post("/quan-tri/quy-tac/ap-dung", data=form).status_code == 302  # the leader may
    assert [v.number for v in rules_versions.list_versions()] == [2, 1]
    # Going back to version 1 changes plan.yaml: the Office may not, and is told why.
    token = csrf_from(page(office_client, "/quan-tri/quy-tac/phien-ban?so=1"))
    response = office_client.post("/quan-tri/quy-tac/khoi-phuc", data={"csrf_token": token, "number": "1",
                                                                        "reason": "Nhầm"})
    assert response.status_code == 302 and response.headers["Location"].endswith("phien-ban?so=1")
    assert says in html.unescape(page(office_client, response.headers["Location"]))
    assert [v.number for v in rules_versions.list_versions()] == [2, 1]
