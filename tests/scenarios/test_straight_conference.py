"""(a) The straight conference as an agency lives it: the quorum is met; several recommendations are
answered in writing on time; one is answered at the conference (recorded on the day, after an answer
recorded on the wrong item was taken back: the agencies it had stopped asking are asked again); one is
coordinated with two outside agencies, one of which is late (it gets the request between agencies, the
escalation goes to the lead unit and DN&GSĐT, never to the agency's head); attendees are checked in; the
chair's conclusions, the conclusion notice and the results report are issued as the Office issues them
(`doithoai document approve|issue`, signed with the Board's token).

The results report's figures, read back from the issued PDF and from the .docx mailed to DN&GSĐT, are
cross-checked against the database (counted here), the conclusion notice, the dashboard, `intake quorum`,
`conference attendance` and the API; Appendix I's rows add up to the body's totals, and its list of
recommendations names the agencies consulted and the issued letters' numbers (the outgoing register's).
A failure names the figure that disagrees. Nobody is written to after their part is done, nothing twice.

Routing (config/departments.yaml): DAU_TU → QLĐT, XAY_DUNG and QUY_HOACH → QH&XD, LAO_DONG → QLLĐ,
DAT_DAI → TN&MT, KHAC → DN&GSĐT. Deadlines (timeline.py): D+7 wd = Mon 26/10, coordination input
D+10 wd = Thu 29/10, coordinated reply D+14 wd = Wed 04/11/2026.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import docx
from sqlalchemy import func, select

from tests.checkin.test_conclusion_pages import _fields
from tests.login import PASSWORD, csrf_from, login
from tests.scenarios import timeline as t
from tests.scenarios.driver import docx_text, local
from tests.signing_helpers import PIN, SOFTHSM_MODULE

SLUG_TITLE = "Hội nghị đối thoại doanh nghiệp năm 2026"
DEPARTMENT_LINK = re.compile(r"https?://[^\s<>\"']+(/tra-loi/[A-Za-z0-9_.\-]+)")

# One recommendation per enterprise that raises one; the rest register to attend only.
ITEMS = {
    "early": ("DAU_TU", "Điều chỉnh tiến độ dự án đầu tư nhà máy linh kiện"),
    "after": ("XAY_DUNG", "Cấp giấy phép xây dựng nhà xưởng mở rộng giai đoạn 2"),
    "labour": ("LAO_DONG", "Gia hạn giấy phép lao động cho chuyên gia nước ngoài"),
    "on_the_day": ("DAU_TU", "Thủ tục cấp giấy chứng nhận đăng ký đầu tư cho dự án mới"),
    "coordinated": ("DAT_DAI", "Miễn, giảm tiền thuê đất và thuế sử dụng đất cho dự án mở rộng nhà máy"),
    "unanswered": ("QUY_HOACH", "Điều chỉnh cục bộ quy hoạch chi tiết lô đất CN5"),
    "complaint": ("KHAC", "Khiếu nại quyết định xử phạt vi phạm hành chính của cán bộ"),
}
ATTEND_ONLY = 9  # 7 + 9 = 16 registered enterprises
ABSENT = 4  # enterprises that registered and did not come

DEPARTMENTS = {"early": "qldt", "after": "qhxd", "labour": "qlld", "on_the_day": "qldt",
               "coordinated": "tnmt", "unanswered": "qhxd", "complaint": "dngsdt"}
# Thuế TP answers in time; the Department of Finance (which has a head's address in departments.yaml) is late.
THUE, STC = "thue@haiphong.example.vn", "stc@haiphong.example.vn"
HEAD_STC = "giamdoc.stc@haiphong.example.vn"
HEAD_TNMT = "truongphong.tnmt@heza.example.vn"
HEAD_QHXD = "truongphong.qhxd@heza.example.vn"
DNGSDT = "dngsdt@heza.example.vn"

ANSWERS = {
    "early": "Doanh nghiệp nộp hồ sơ điều chỉnh tiến độ tại Bộ phận một cửa; Phòng Quản lý Đầu tư giải quyết trong "
             "10 ngày làm việc.",
    "after": "Hồ sơ đủ điều kiện cấp phép; Ban Quản lý cấp giấy phép xây dựng trong 07 ngày làm việc.",
    "labour": "Doanh nghiệp nộp hồ sơ gia hạn trước 45 ngày khi giấy phép hết hạn theo Nghị định 152/2020/NĐ-CP.",
    "on_the_day": "Dự án đủ điều kiện cấp giấy chứng nhận; Phòng Quản lý Đầu tư hướng dẫn doanh nghiệp hoàn thiện "
                  "hồ sơ trong tuần.",
    "coordinated": "Theo ý kiến của Thuế thành phố Hải Phòng và Sở Tài chính, dự án thuộc diện được giảm tiền thuê "
                   "đất; doanh nghiệp nộp hồ sơ đề nghị tại Thuế thành phố kèm quyết định cho thuê đất.",
}

ROUTED = local(2026, 9, 29, 11)  # the next tick announces the assignments
SCREENED = local(2026, 10, 1, 9)
EARLY_ANSWER = local(2026, 10, 6, 10)
COORDINATION_ASKED = local(2026, 10, 7, 9)
CHECK_IN = local(2026, 10, 15, 8, 0)
MISTAKE = local(2026, 10, 15, 10, 15)
ANSWERED_THERE = local(2026, 10, 15, 10, 30)
CONCLUDED = local(2026, 10, 15, 15)
DAY_AFTER = local(2026, 10, 16, 10)
AFTER_ANSWER = local(2026, 10, 19, 10)
LABOUR_ANSWER = local(2026, 10, 20, 10)
THUE_INPUT = local(2026, 10, 21, 10)
REPORT_ISSUED = local(2026, 10, 23, 10)
COORDINATION_LEAD = local(2026, 10, 27, 9)  # 2 wd before the agencies' D+10
AGENCY_LATE = local(2026, 10, 30, 9)  # D+11: the Department of Finance has not given its view
STC_INPUT = local(2026, 11, 2, 10)
COORDINATED_ANSWER = local(2026, 11, 3, 10)
THE_END = local(2026, 11, 6, 9)  # D+16


def _token_env(signing_setup) -> dict:
    return {"SIGNING_TRUST_ANCHORS": str(signing_setup.ca.pem_path), "SIGNING_PKCS11_MODULE": SOFTHSM_MODULE,
            "SIGNING_TOKEN_LABEL": "doithoai", "SIGNING_KEY_LABEL": "ky-so", "SIGNING_PIN": PIN}


def pdf_text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout
    return out.decode()


def flat(text: str) -> str:
    return " ".join(text.split())


class Staff:
    """Back-office users, each logged in through the login form at the moment the scenario acts (a staff
    session lasts hours, not weeks), each from its own address."""

    def __init__(self, run):
        self.run = run
        self.users: dict[str, str] = {}

    def client(self, role: str):
        from tests.factories import create_user
        from webforms.extensions import db

        if role not in self.users:
            with self.run.app.app_context():
                self.users[role] = create_user(role=role, password=PASSWORD,
                                               email=f"{role}@heza.example.vn").email
                db.session.commit()
        client = self.run.app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.20.{len(self.users)}.{sorted(self.users).index(role) + 1}"
        response = login(client, self.users[role], PASSWORD)
        assert response.status_code == 302, f"{role} could not log in: {response.status_code}"
        return client


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, f"GET {path}: {response.status_code}"
    return response.get_data(as_text=True)


def post(client, path: str, data: dict, *, form_page: str | None = None, expect: int = 302):
    token = csrf_from(page(client, form_page or path))
    response = client.post(path, data={"csrf_token": token, **data})
    assert response.status_code == expect, \
        f"POST {path}: {response.status_code} {response.get_data(as_text=True)[:600]}"
    return response


def department_link(run, address: str, code: str) -> str:
    """The link to `code` in the newest email to `address` that names it."""
    for mail in reversed(run.to(address)):
        text = mail.text
        if code not in text and code not in mail.subject:
            continue
        match = DEPARTMENT_LINK.search(text, max(text.find(code), 0))
        assert match, f"no department link for {code} in the email to {address}"
        return match.group(1)
    raise AssertionError(f"no email to {address} names {code}")


def recommendation_id(client, code: str) -> int:
    listing = page(client, f"/quan-tri/kien-nghi?q={code}")
    match = re.search(rf'href="/quan-tri/kien-nghi/(\d+)">{re.escape(code)}<', listing)
    assert match, f"{code} not in the back office's list"
    return int(match.group(1))


def answer_by_link(run, link: str, text: str) -> None:
    client = run.app.test_client()
    form = page(client, link)
    token = re.search(r'name="draft-csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post(link + "/du-thao", data={"draft-csrf_token": token, "draft-answer": text,
                                                    "draft-answer_mode": "in_writing", "draft-intent": "submit"})
    assert response.status_code == 302, response.get_data(as_text=True)[:600]


def input_by_link(run, link: str, text: str) -> None:
    client = run.app.test_client()
    form = page(client, link)
    token = re.search(r'name="input-csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post(link + "/y-kien-phoi-hop", data={"input-csrf_token": token, "input-text": text})
    assert response.status_code == 302, response.get_data(as_text=True)[:600]


def approve(run, staff, code: str) -> None:
    """A leader approves the submitted answer of `code` in the back office."""
    leader = staff.client("leader")
    listing = page(leader, "/quan-tri/duyet-tra-loi")
    match = re.search(rf"\[{re.escape(code)}\].*?action=\"(/quan-tri/duyet-tra-loi/\d+/duyet)\"", listing, re.S)
    assert match, f"{code} is not waiting for approval"
    response = leader.post(match.group(1), data={"csrf_token": csrf_from(listing)})
    assert response.status_code == 302


def issue(run, signing_setup, document_id: int, now) -> tuple[str, bytes]:
    """The văn thư issues an approved document with the Board's token: its number and the signed PDF."""
    out = run.app.test_cli_runner().invoke(
        args=["document", "issue", str(document_id), "--now", now.isoformat()], env=_token_env(signing_setup),
        catch_exceptions=False)
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    (pdf,) = [line.removeprefix("pdf: ") for line in lines if line.startswith("pdf: ")]
    return lines[-1], Path(pdf).read_bytes()


def documents(run, slug: str) -> list[dict]:
    return run.cli_json("documents", slug, "--json")


def issue_letter(run, signing_setup, slug: str, code: str, now) -> str:
    """The approved reply letter of `code` (its file is named after it), issued."""
    (letter,) = [d for d in documents(run, slug)
                 if d["kind"] == "reply_letter" and d["status"] == "approved" and code in d["path"]]
    with run.at(now):
        number, _pdf = issue(run, signing_setup, letter["id"], now)
    run.drain(now)
    return number


def letter_to(run, email: str, code: str) -> str:
    """The signed reply letter the enterprise received, as text."""
    (mail,) = [m for m in run.to(email) if code in m.subject and m.subject.startswith(f"[{code}] Trả lời")]
    ((name, data),) = [(n, d) for n, d in mail.attachments() if n.endswith(".pdf")]
    assert name == f"Tra-loi-kien-nghi-{code}.pdf" and data.startswith(b"%PDF")
    return flat(pdf_text(data))


# What the scenario did, figure by figure (16 enterprises registered, 12 came; 7 recommendations, one
# screened out; one answered at the conference, three in writing on time, two still open at D+6).
EXPECTED = {"enterprises_registered": 16, "enterprises_attending": 12, "recommendations_received": 7,
            "in_scope": 6, "answered_at_conference": 1, "answered_in_writing_on_time": 3, "overdue": 0,
            "pending": 2}
OUTCOMES = ("answered_at_conference", "answered_in_writing_on_time", "overdue", "pending")
BODY = {  # the results report's sentences (doc_templates/report_templates.py results_report)
    "enterprises_registered": r"Có (\d+) doanh nghiệp đăng ký",
    "enterprises_attending": r"và (\d+) doanh nghiệp tham dự Hội nghị",
    "recommendations_received": r"tiếp nhận (\d+) kiến nghị, trong đó",
    "in_scope": r"trong đó (\d+) kiến nghị thuộc phạm vi Hội nghị",
    "answered_at_conference": r"(\d+) kiến nghị trả lời trực tiếp tại Hội nghị",
    "answered_in_writing_on_time": r"(\d+) kiến nghị trả lời bằng văn bản đúng hạn",
    "overdue": r"(\d+) kiến nghị quá hạn;",
    "pending": r"(\d+) kiến nghị đang xử lý",
}
APPENDIX = {  # Appendix I's numbered rows (config/documents.yaml appendix_i)
    "enterprises_registered": "Số doanh nghiệp đăng ký tham dự",
    "enterprises_attending": "Số doanh nghiệp tham dự Hội nghị",
    "recommendations_received": "Số kiến nghị tiếp nhận",
    "in_scope": "Số kiến nghị thuộc phạm vi Hội nghị",
    "answered_at_conference": "Số kiến nghị đã trả lời tại Hội nghị",
    "answered_in_writing_on_time": "Số kiến nghị trả lời bằng văn bản đúng hạn",
    "overdue": "Số kiến nghị quá hạn trả lời",
    "pending": "Số kiến nghị đang xử lý",
}
GROUPS = ("Kiến nghị theo lĩnh vực", "Kiến nghị theo đơn vị trả lời")


def _found(pattern: str, text: str, where: str, figure: str) -> int:
    match = re.search(pattern, text)
    assert match, f"{where}: no '{figure}' ({pattern}) in: {text[:3000]}"
    return int(match.group(1).replace(".", ""))


def database_figures(run, slug: str) -> dict[str, int]:
    """Counted here from the rows, independently of the code under test (D+6: nothing is overdue yet)."""
    from webforms.extensions import db
    from webforms.models import Conference, Recommendation, RecommendationStatus, Registration, Scope

    with run.app.app_context():
        conference = db.session.scalar(select(Conference).where(Conference.slug == slug))
        recs = select(func.count(Recommendation.id)).where(Recommendation.conference_id == conference.id,
                                                            Recommendation.late.is_(False))
        in_scope = recs.where(Recommendation.scope != Scope.OUT_OF_SCOPE)
        written = in_scope.where(Recommendation.status == RecommendationStatus.ANSWERED_IN_WRITING)
        figures = {
            "enterprises_registered": db.session.scalar(select(func.count(Registration.id)).where(
                Registration.conference_id == conference.id)),
            "enterprises_attending": db.session.scalar(select(func.count(Registration.id)).where(
                Registration.conference_id == conference.id, Registration.attended.is_(True))),
            "recommendations_received": db.session.scalar(recs),
            "in_scope": db.session.scalar(in_scope),
            "answered_at_conference": db.session.scalar(in_scope.where(
                Recommendation.status == RecommendationStatus.ANSWERED_AT_CONFERENCE)),
            "answered_in_writing_on_time": db.session.scalar(written),
            "overdue": 0,
        }
        figures["pending"] = figures["in_scope"] - figures["answered_at_conference"] - figures[
            "answered_in_writing_on_time"]
        return figures


def appendix_rows(data: bytes, heading: str = "Nội dung") -> list[list[str]]:
    """A table of Appendix I in the .docx, by its second heading: the figures (STT | Nội dung | Số lượng |
    Đơn vị tính) or the list of recommendations (STT | Kiến nghị | … | Cơ quan, đơn vị phối hợp | Kết quả)."""
    for table in docx.Document(io.BytesIO(data)).tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        if rows and rows[0][:2] == ["STT", heading]:
            return rows[1:]
    raise AssertionError(f"no Appendix I table headed '{heading}' in the results report")


RESULTS = {  # how the list of Appendix I words each outcome
    "answered_at_conference": "Đã trả lời tại Hội nghị",
    "answered_in_writing_on_time": "Đã trả lời bằng văn bản số ",
    "overdue": "Quá hạn",
    "pending": "Đang xử lý",
}


def check_figures(run, staff, slug, report_pdf_text, report_docx, notice_text) -> None:
    """Every source of every figure, side by side; a failure names the figure and what each source says."""
    report = flat(report_pdf_text)
    draft = flat(docx_text(report_docx))
    listing = appendix_rows(report_docx, "Kiến nghị")
    rows = appendix_rows(report_docx)
    numbered = {label: int(value.replace(".", "")) for index, label, value, _unit in rows if index}
    sources: dict[str, dict[str, int]] = {figure: {"scenario": n} for figure, n in EXPECTED.items()}
    for figure, n in database_figures(run, slug).items():
        sources[figure]["database"] = n
    for figure, pattern in BODY.items():
        sources[figure]["results report (issued PDF, body)"] = _found(pattern, report, "results report", figure)
        sources[figure]["results report (draft .docx mailed to DN&GSĐT, body)"] = _found(
            pattern, draft, "draft results report", figure)
    for figure, label in APPENDIX.items():
        assert label in numbered, f"Appendix I (.docx) has no row '{label}': {list(numbered)}"
        sources[figure]["Appendix I (.docx)"] = numbered[label]
        sources[figure]["Appendix I (issued PDF)"] = _found(rf"{re.escape(label)} (\d+) ", report,
                                                            "Appendix I of the issued PDF", figure)
    sources["in_scope"]["Appendix I list (rows)"] = len(listing)
    for figure, words in RESULTS.items():
        sources[figure]["Appendix I list (results)"] = len([row for row in listing if row[-1].startswith(words)])
    sources["enterprises_attending"]["conclusion notice (issued PDF)"] = _found(
        r"và (\d+) doanh nghiệp\.", notice_text, "conclusion notice", "enterprises_attending")
    sources["answered_at_conference"]["conclusion notice (issued PDF)"] = notice_text.count(
        "đã được trả lời trực tiếp tại Hội nghị")
    quorum = run.cli_json("intake", "quorum", slug)
    sources["enterprises_registered"]["intake quorum"] = quorum["enterprises"]
    sources["in_scope"]["intake quorum"] = quorum["recommendations"]
    attendance = run.cli_json("conference", "attendance", slug, "--json")
    sources["enterprises_attending"]["conference attendance"] = attendance["enterprises_attending"]
    sources["enterprises_registered"]["conference attendance"] = attendance["enterprises_registered"]
    api = run.app.test_client().get(f"/api/v1/conferences/{slug}").get_json()["counts"]
    sources["enterprises_registered"]["API"] = api["enterprises"]
    sources["in_scope"]["API"] = api["recommendations"]
    dashboard = page(staff.client("leader"), f"/quan-tri/hoi-nghi/{slug}")
    sources["enterprises_registered"]["dashboard"] = _found(r"<strong>(\d+)</strong> / \d+ doanh nghiệp đăng ký",
                                                            dashboard, "dashboard", "enterprises_registered")
    sources["in_scope"]["dashboard"] = _found(r"<strong>(\d+)</strong> / \d+ kiến nghị thuộc phạm vi", dashboard,
                                              "dashboard", "in_scope")
    sources["in_scope"]["dashboard (figures line)"] = _found(r"không thuộc phạm vi, (\d+) thuộc phạm vi", dashboard,
                                                             "dashboard", "in_scope")
    sources["recommendations_received"]["dashboard"] = _found(r"Tiếp nhận đến hết hạn: (\d+) kiến nghị", dashboard,
                                                              "dashboard", "recommendations_received")
    sources["enterprises_attending"]["dashboard"] = _found(r"Doanh nghiệp tham dự Hội nghị: (\d+)\.", dashboard,
                                                           "dashboard", "enterprises_attending")
    disagree = {figure: said for figure, said in sources.items() if len(set(said.values())) != 1}
    assert not disagree, "figures that disagree: " + "; ".join(f"{figure}: {said}" for figure, said in disagree.items())

    # Within the report: the outcomes split the in-scope count, and so does each Appendix I group.
    in_scope = EXPECTED["in_scope"]
    split = {figure: numbered[APPENDIX[figure]] for figure in OUTCOMES}
    assert sum(split.values()) == in_scope, f"Appendix I outcomes {split} do not add up to in scope ({in_scope})"
    groups: dict[str, list[int]] = {}
    current = None
    for index, label, value, _unit in rows:
        if index:
            current = label if label in GROUPS else None
            if current:
                groups[current] = [int(value)]
        elif current:
            groups[current].append(int(value))
    assert set(groups) == set(GROUPS), f"Appendix I groups: {list(groups)}"
    for label, (total, *parts) in groups.items():
        assert total == in_scope and sum(parts) == total, \
            f"Appendix I '{label}': {total} = sum of {parts}, in scope {in_scope}"


def test_straight_conference_answers_reports_and_figures_agree(run, signing_setup):
    staff = Staff(run)
    with run.at(t.CREATED):
        slug = run.cli("conference", "create", "--title", SLUG_TITLE, "--date", t.DATE, "--time", t.TIME,
                       "--venue", "Hội trường tầng 3, trụ sở Ban Quản lý").strip()
    with run.at(t.ANNOUNCED):
        run.cli("conference", "announce", slug)

    raised = {}
    for name, (field, title) in ITEMS.items():
        raised[name] = run.register(slug, t.INTAKE, recommendations=1, **{
            "recommendations.0.field": field, "recommendations.0.title": title,
            "recommendations.0.agency": "Ban Quản lý Khu kinh tế Hải Phòng",
            "enterprise.name": f"Công ty TNHH {title[:30]}"})
    attend_only = [run.register(slug, t.INTAKE, recommendations=0) for _ in range(ATTEND_ONLY)]
    code = {name: r["recommendations"][0]["code"] for name, r in raised.items()}
    email = {name: r["payload"]["contact"]["email"] for name, r in raised.items()}
    receipts = run.new_mail()
    for r in [*raised.values(), *attend_only]:
        contact = r["payload"]["contact"]["email"]
        assert len([m for m in receipts if contact in m.rcpt_tos]) == 1, f"one receipt to {contact}"

    run.tick(ROUTED)
    routed = run.new_mail()
    for name, unit in DEPARTMENTS.items():
        assert [m for m in routed if f"{unit}@heza.example.vn" in m.rcpt_tos and code[name] in m.text], \
            f"{code[name]} ({name}) was not sent to {unit}"

    # DN&GSĐT screens the complaint out of the conference's scope.
    with run.at(SCREENED):
        consolidation = staff.client("consolidation")
        rec_id = recommendation_id(consolidation, code["complaint"])
        post(consolidation, f"/quan-tri/kien-nghi/{rec_id}/loai",
             {"reason_code": "complaint", "reason": "Đơn khiếu nại quyết định hành chính."},
             form_page=f"/quan-tri/kien-nghi/{rec_id}")
    run.drain(SCREENED)
    (screened,) = [m for m in run.new_mail() if email["complaint"] in m.rcpt_tos]
    assert code["complaint"] in screened.subject or code["complaint"] in screened.text

    # QLĐT answers one item before the conference; the Board approves; the văn thư issues the letter.
    with run.at(EARLY_ANSWER):
        answer_by_link(run, department_link(run, "qldt@heza.example.vn", code["early"]), ANSWERS["early"])
        approve(run, staff, code["early"])
    run.drain(EARLY_ANSWER)
    letters = {"early": (issue_letter(run, signing_setup, slug, code["early"], EARLY_ANSWER), "06/10/2026")}
    assert ANSWERS["early"] in letter_to(run, email["early"], code["early"])
    run.new_mail()

    # TN&MT asks Thuế TP and the Department of Finance for their views.
    with run.at(COORDINATION_ASKED):
        client = run.app.test_client()
        link = department_link(run, "tnmt@heza.example.vn", code["coordinated"])
        form = page(client, link)
        token = re.search(r'name="coordination-csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        response = client.post(link + "/phoi-hop", data={
            "coordination-csrf_token": token, "coordination-agencies": ["THUE", "STC"],
            "coordination-note": "Đề nghị cho ý kiến về miễn, giảm tiền thuê đất và thuế sử dụng đất của dự án."})
        assert response.status_code == 302
    run.drain(COORDINATION_ASKED)
    asked = run.new_mail()
    for agency in (THUE, STC):
        (request,) = [m for m in asked if agency in m.rcpt_tos]
        assert code["coordinated"] in request.subject
        assert "Hạn cơ quan phối hợp cho ý kiến: 29/10/2026" in request.text, request.text

    # The close: the quorum is met (16 enterprises, 6 in-scope recommendations).
    actions = run.tick(t.INTAKE_CLOSED)
    assert [a["action"] for a in actions if a.get("milestone") == "intake_closes"] == ["confirmed"]
    quorum = run.cli_json("intake", "quorum", slug)
    assert (quorum["met"], quorum["enterprises"], quorum["recommendations"]) == (True, 16, 6), quorum
    # The invitations are drafted, one per enterprise, and the Office is asked to have them issued;
    # none reaches an enterprise as a draft (issuing sends the signed PDF: tests/checkin/test_invitations_by_hand.py).
    mails = run.new_mail()
    contacts = {r["payload"]["contact"]["email"] for r in [*raised.values(), *attend_only]}
    (request,) = [m for m in mails if m.subject.startswith("Giấy mời dự thảo chờ duyệt")]
    assert f"đã lập {len(contacts)} giấy mời dự thảo" in request.text
    assert not [m for m in mails if m.subject.startswith("Giấy mời tham dự") and set(m.rcpt_tos) & contacts]
    run.tick(t.D_MINUS_1_PASSED)
    run.new_mail()

    # The day: the Office checks people in, by QR code on the page and by the CLI.
    everyone = [*raised.values(), *attend_only]
    came = [r for r in everyone if r is not raised["unanswered"]][:len(everyone) - ABSENT]
    with run.at(CHECK_IN):
        office = staff.client("secretariat")
        for r in came[:6]:
            row = page(office, f"/quan-tri/hoi-nghi/{slug}/diem-danh/ma/{r['tracking_code']}")
            registration = re.search(r'id="dn-(\d+)" class="cm-item focus"', row).group(1)
            response = office.post(f"/quan-tri/hoi-nghi/{slug}/diem-danh/doanh-nghiep/{registration}",
                                   data={"csrf_token": csrf_from(row), "delegates": "2"})
            assert response.status_code == 302, response.get_data(as_text=True)[:400]
    for r in came[6:]:
        run.cli("conference", "attendance", slug, "--mark", r["tracking_code"], "--delegates", "1",
                "--now", CHECK_IN.isoformat())
    attendance = run.cli_json("conference", "attendance", slug, "--json")
    assert (attendance["enterprises_registered"], attendance["enterprises_attending"]) == (16, 12), attendance
    assert attendance["delegates"] == 6 * 2 + 6 * 1, attendance

    # The conference: the secretariat first records a leader's answer on the wrong item, the coordinated
    # one, and takes it back at once: the agencies it stopped asking are asked again (new links).
    old_links = {agency: department_link(run, agency, code["coordinated"]) for agency in (THUE, STC)}
    before_mistake = len(run.mail())
    with run.at(MISTAKE):
        office = staff.client("secretariat")
        mode = page(office, f"/quan-tri/hoi-nghi/{slug}/phien-hop")
        wrong = recommendation_id(office, code["coordinated"])
        response = office.post(f"/quan-tri/kien-nghi/{wrong}/tra-loi-tai-hoi-nghi", data={
            "csrf_token": csrf_from(mode), "answered_by": "Phó Trưởng ban Bùi Ngọc Hải", "department": "",
            "answer": ANSWERS["on_the_day"]})
        assert response.status_code == 302
        assert "<strong>1</strong> / 6" in page(office, f"/quan-tri/hoi-nghi/{slug}/phien-hop")
        for agency, link in old_links.items():
            assert run.app.test_client().get(link).status_code == 410, f"{agency}: the answer stopped asking it"
        response = office.post(f"/quan-tri/kien-nghi/{wrong}/tra-loi-tai-hoi-nghi",
                               data={"csrf_token": csrf_from(mode), "undo": "1"})
        assert response.status_code == 302
        assert "<strong>0</strong> / 6" in page(office, f"/quan-tri/hoi-nghi/{slug}/phien-hop")
    run.tick(MISTAKE)  # the sweep sends the agencies asked again their new links
    for agency, link in old_links.items():
        (again,) = [m for m in run.mail()[before_mistake:] if agency in m.rcpt_tos]
        assert again.subject.startswith(f"[{code['coordinated']}] Đề nghị phối hợp trả lời kiến nghị"), again.subject
        assert "Hạn cơ quan phối hợp cho ý kiến: 29/10/2026" in again.text, again.text
        fresh = department_link(run, agency, code["coordinated"])
        assert fresh != link and run.app.test_client().get(fresh).status_code == 200, agency
    assert not [m for m in run.mail()[before_mistake:] if email["coordinated"] in m.rcpt_tos]

    # Then the right one: a leader answers it on the spot; the secretariat records it on the day.
    with run.at(ANSWERED_THERE):
        office = staff.client("secretariat")
        mode = page(office, f"/quan-tri/hoi-nghi/{slug}/phien-hop")
        rec_id = recommendation_id(office, code["on_the_day"])
        assert f'id="kn-{rec_id}"' in mode and code["complaint"] not in mode  # screened out: not answerable there
        response = office.post(f"/quan-tri/kien-nghi/{rec_id}/tra-loi-tai-hoi-nghi", data={
            "csrf_token": csrf_from(mode), "answered_by": "Phó Trưởng ban Bùi Ngọc Hải",
            "department": "QLDT", "answer": ANSWERS["on_the_day"]})
        assert response.status_code == 302
        mode = page(office, f"/quan-tri/hoi-nghi/{slug}/phien-hop")
        assert "<strong>1</strong> / 6 kiến nghị đã trả lời tại Hội nghị" in mode
        post(office, f"/quan-tri/hoi-nghi/{slug}/da-to-chuc", {}, form_page=f"/quan-tri/hoi-nghi/{slug}")
    run.drain(ANSWERED_THERE)
    assert run.cli_json("conference", "status", slug, "--json")["status"] == "held"

    # The chair's conclusions, typed in the afternoon.
    with run.at(CONCLUDED):
        office = staff.client("secretariat")
        form = page(office, f"/quan-tri/hoi-nghi/{slug}/ket-luan")
        data = _fields(form)
        data.update({"chair_title": "Phó Trưởng ban Ban Quản lý Khu kinh tế Hải Phòng",
                     "attending_leaders": "đại diện lãnh đạo UBND thành phố",
                     "attending_agencies": "Sở Tài chính\nThuế thành phố Hải Phòng",
                     "general": "Hội nghị diễn ra nghiêm túc, cởi mở; doanh nghiệp đánh giá cao sự chủ động "
                                "của Ban Quản lý."})
        response = office.post(f"/quan-tri/hoi-nghi/{slug}/ket-luan", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    # The day after: the Board approves the written confirmation of the answer given there; the văn thư
    # issues it. The Office generates the conclusion notice from the conclusions, issues and publishes it.
    with run.at(DAY_AFTER):
        approve(run, staff, code["on_the_day"])
    run.drain(DAY_AFTER)
    issue_letter(run, signing_setup, slug, code["on_the_day"], DAY_AFTER)
    confirmation = letter_to(run, email["on_the_day"], code["on_the_day"])
    assert "lãnh đạo Ban Quản lý Khu kinh tế Hải Phòng đã trả lời trực tiếp kiến nghị" in confirmation
    assert ANSWERS["on_the_day"] in confirmation
    with run.at(DAY_AFTER):
        office = staff.client("secretariat")
        post(office, f"/quan-tri/van-ban/{slug}/conclusion_notice/tao", {},
             form_page=f"/quan-tri/van-ban?conference={slug}")
    run.drain(DAY_AFTER)
    (notice,) = [d for d in documents(run, slug) if d["kind"] == "conclusion_notice"]
    with run.at(DAY_AFTER):
        assert run.cli("document", "approve", str(notice["id"])).strip() == "approved"
        _number, notice_pdf = issue(run, signing_setup, notice["id"], DAY_AFTER)
        office = staff.client("secretariat")
        post(office, f"/quan-tri/van-ban/{notice['id']}/cong-khai", {"publish": "1"},
             form_page=f"/quan-tri/van-ban?conference={slug}")
    notice_text = flat(pdf_text(notice_pdf))
    run.new_mail()

    # Written answers after the conference, within D+7; Thuế TP gives its view in time. The deadline
    # engine runs every working day, as cron runs it.
    qldt_done = len(run.mail())
    for name, moment in (("after", AFTER_ANSWER), ("labour", LABOUR_ANSWER)):
        run.tick(moment.replace(hour=9, minute=0))
        with run.at(moment):
            answer_by_link(run, department_link(run, f"{DEPARTMENTS[name]}@heza.example.vn", code[name]),
                           ANSWERS[name])
            approve(run, staff, code[name])
        run.drain(moment)
        letters[name] = (issue_letter(run, signing_setup, slug, code[name], moment), f"{moment:%d/%m/%Y}")
        assert ANSWERS[name] in letter_to(run, email[name], code[name]), name
    qlld_done = len(run.mail())
    run.tick(THUE_INPUT.replace(hour=9, minute=0))
    with run.at(THUE_INPUT):
        input_by_link(run, department_link(run, THUE, code["coordinated"]),
                      "Dự án thuộc địa bàn ưu đãi đầu tư; đủ điều kiện giảm thuế sử dụng đất phi nông nghiệp.")
    run.drain(THUE_INPUT)
    thue_done = len(run.mail())

    # D+5: the draft results report goes to DN&GSĐT; D+6 it is approved and issued.
    actions = run.tick(t.D_PLUS_5)
    assert [a["action"] for a in actions if a.get("milestone") == "results_report"] == ["results_report_requested"]
    (drafted,) = [m for m in run.new_mail() if DNGSDT in m.rcpt_tos and m.documents()]
    ((_name, draft_docx),) = [(n, d) for n, d in drafted.attachments() if n.endswith(".docx")]
    (report,) = [d for d in documents(run, slug) if d["kind"] == "results_report"]
    run.tick(REPORT_ISSUED.replace(hour=9, minute=0))
    with run.at(REPORT_ISSUED):
        assert run.cli("document", "approve", str(report["id"])).strip() == "approved"
        _number, report_pdf = issue(run, signing_setup, report["id"], REPORT_ISSUED)
    run.drain(REPORT_ISSUED)
    with run.at(REPORT_ISSUED):
        check_figures(run, staff, slug, pdf_text(report_pdf), draft_docx, notice_text)
    # Appendix I's list: one row per in-scope recommendation, the agencies consulted, the issued letters.
    listing = {row[1].split(" ")[0]: row for row in appendix_rows(draft_docx, "Kiến nghị")}
    assert set(listing) == {code[name] for name in ITEMS if name != "complaint"}, sorted(listing)
    consulted = {c: row[4] for c, row in listing.items() if row[4]}
    assert consulted == {code["coordinated"]: "Thuế thành phố Hải Phòng; Sở Tài chính thành phố Hải Phòng "
                                              "(chưa có ý kiến)"}, consulted
    register = {r["number_text"]: r for r in run.cli_json("register", "list", "--year", "2026", "--json")}
    for name, (number, day) in letters.items():
        assert listing[code[name]][5] == f"Đã trả lời bằng văn bản số {number} ngày {day}", listing[code[name]]
        assert register[number]["kind"] == "reply_letter" and code[name] in register[number]["summary"], number
    assert listing[code["on_the_day"]][5] == "Đã trả lời tại Hội nghị"

    assert_silent_after(run, qldt_done, "qldt@heza.example.vn", "truongphong.qldt@heza.example.vn",
                        email["early"], email["on_the_day"])
    assert_silent_after(run, qlld_done, "qlld@heza.example.vn", email["labour"], email["after"])
    assert_silent_after(run, thue_done, THUE)

    # After D+7: the unanswered item is escalated to QH&XD's head and DN&GSĐT; the Department of Finance
    # is asked ahead of its D+10 and, once late, asked once more between agencies; TN&MT and DN&GSĐT hear
    # of its lateness; its head never does.
    seen = len(run.mail())
    for day in (t.D_PLUS_7, COORDINATION_LEAD, local(2026, 10, 28, 9), local(2026, 10, 29, 9), AGENCY_LATE,
                STC_INPUT.replace(hour=9, minute=0)):
        run.tick(day)
    chased = run.mail()[seen:]
    to_head = [m for m in chased if HEAD_QHXD in m.rcpt_tos]
    assert to_head and all(code["unanswered"] in m.text and code["after"] not in m.text for m in to_head), \
        [m.subject for m in to_head]
    to_stc = [m for m in chased if STC in m.rcpt_tos]
    ahead, late = to_stc[0], to_stc[-1]
    assert len(to_stc) == 2, [(m.subject, flat(m.text)[:200]) for m in to_stc]
    assert "có ý kiến chậm nhất ngày 29/10/2026" in flat(ahead.text), flat(ahead.text)
    assert "chưa nhận được ý kiến của Quý cơ quan (thời hạn đề nghị: 29/10/2026)" in flat(late.text), flat(late.text)
    for mail in to_stc:
        assert mail.subject == f"[{code['coordinated']}] Đề nghị cho ý kiến phối hợp trả lời kiến nghị của doanh nghiệp"
        assert "Lãnh đạo" not in mail.text and "khẩn trương" not in mail.text and "quá hạn" not in mail.subject
    assert not [m for m in run.mail() if HEAD_STC in m.rcpt_tos], "the Department of Finance's head was escalated to"
    to_lead = [m for m in chased if "tnmt@heza.example.vn" in m.rcpt_tos
               and "Cơ quan phối hợp chưa có ý kiến" in m.subject]
    assert to_lead, [m.subject for m in chased]
    for mail in to_lead:  # the lead unit and its head; the late agency named, the one that answered not
        listed = [line for line in mail.text.splitlines() if line.startswith(f"- [{code['coordinated']}]")]
        assert HEAD_TNMT in mail.rcpt_tos and listed and all("Sở Tài chính" in line for line in listed), mail.text
    assert [m for m in chased if DNGSDT in m.rcpt_tos and code["coordinated"] in m.text]
    assert_silent_after(run, thue_done, THUE)

    # The Department of Finance gives its view late; TN&MT answers within D+14; the letter is issued.
    with run.at(STC_INPUT):
        input_by_link(run, department_link(run, STC, code["coordinated"]),
                      "Dự án được giảm 50% tiền thuê đất theo Nghị định 103/2024/NĐ-CP.")
    run.drain(STC_INPUT)
    stc_done = len(run.mail())
    run.tick(COORDINATED_ANSWER.replace(hour=9, minute=0))
    with run.at(COORDINATED_ANSWER):
        answer_by_link(run, department_link(run, "tnmt@heza.example.vn", code["coordinated"]), ANSWERS["coordinated"])
        approve(run, staff, code["coordinated"])
    run.drain(COORDINATED_ANSWER)
    issue_letter(run, signing_setup, slug, code["coordinated"], COORDINATED_ANSWER)
    assert ANSWERS["coordinated"] in letter_to(run, email["coordinated"], code["coordinated"])
    tnmt_done = len(run.mail())

    for day in (local(2026, 11, 4, 9), t.D_PLUS_15, THE_END):
        run.tick(day)
    assert_silent_after(run, stc_done, STC, HEAD_STC)
    assert_silent_after(run, tnmt_done, "tnmt@heza.example.vn", HEAD_TNMT, email["coordinated"])
    assert_silent_after(run, thue_done, THUE)
    assert_silent_after(run, qlld_done, "qlld@heza.example.vn", email["labour"], email["after"])
    assert_silent_after(run, qldt_done, "qldt@heza.example.vn", email["early"], email["on_the_day"])
    # Still open: QH&XD's unanswered item is escalated every working day; nothing else is.
    last = [m for m in run.mail()[tnmt_done:] if "quá hạn" in m.subject.lower()]
    assert last and all(code["unanswered"] in m.text for m in last), [m.subject for m in last]
    status = run.cli_json("conference", "status", slug, "--json")
    results = [r for m in status["milestones"] if m["name"] == "results_report" for r in m["runs"]]
    assert len(results) == 1, status["milestones"]
    run.assert_nothing_sent_twice()


def assert_silent_after(run, since: int, *addresses: str) -> None:
    """Nothing reached these addresses after their part was done (the mail index `since`)."""
    late = [(a, m.subject) for m in run.mail()[since:] for a in addresses if a in m.rcpt_tos]
    assert not late, f"sent after their part was done: {late}"
