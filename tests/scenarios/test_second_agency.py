"""Issue 14 item 2, emails and pages: the same code run on a second agency's rules (a copy of config/ with
another agency's names, signer, units and addresses) sends every email and shows every public page with
that agency's names and no word of HEZA. A whole conference is driven through the public surfaces
(tests/scenarios/driver.py), and a second one is cancelled, so most kinds of email are sent."""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.documents.test_signers import HEZA_WORDS, SECOND_AGENCY, copy_config
from tests.scenarios import timeline as t
from tests.scenarios.driver import Run

AGENCY = "Ban Quản lý các Khu công nghệ cao và công nghiệp Đà Nẵng"
ENTERPRISE = {"enterprise__name": "Công ty TNHH Cơ khí Chính xác Sông Hàn",
              "enterprise__address": "Lô A2, Khu công nghệ cao Đà Nẵng, xã Hòa Vang, thành phố Đà Nẵng"}


def heza_words(text: str) -> list[str]:
    return [word for word in (*HEZA_WORDS, "Ban Quản lý Khu kinh tế") if word in text]


@pytest.fixture
def second_agency(app, settings, mailbox, tmp_path):  # `app`: the tables are emptied after the test
    from webforms.app import create_app
    from webforms.domain.departments import sync_departments
    from webforms.extensions import db

    folder = copy_config(tmp_path, *SECOND_AGENCY)
    # The sender's name is the agency's (the test settings name HEZA's): left to the rules.
    own = create_app(dataclasses.replace(settings, rules_dir=folder, mail_default_sender="",
                                         instance_dir=tmp_path / "instance"))
    with own.app_context():
        assert own.extensions["doithoai"].rules.plan.agency.short_name == AGENCY
        sync_departments(own.extensions["doithoai"].rules)
        db.session.commit()
    return Run(app=own, smtp=mailbox)


def work_on_answers(app, codes):
    """What the units and staff do on the answer pages (the domain functions those pages call): one answer
    submitted and sent back, one link handed to a colleague, one recommendation screened out."""
    from sqlalchemy import select

    from webforms.domain import replies
    from webforms.domain.audit import Actor
    from webforms.domain.intake.screening import ScreeningReason, screen_out
    from webforms.extensions import db
    from webforms.models import AssignmentRole, Recommendation
    from webforms.timeutil import utcnow

    with app.app_context():
        svc = app.extensions["doithoai"]
        common = {"rules": svc.rules, "calendar": svc.calendar, "settings": svc.settings}
        recs = [db.session.scalar(select(Recommendation).where(Recommendation.code == code)) for code in codes]
        owner = [next(a for a in rec.assignments if a.role == AssignmentRole.OWNER) for rec in recs[:2]]
        unit = Actor(kind="department_link", name=owner[0].department.emails[0])
        staff = Actor(kind="user", name="Chuyên viên tổng hợp")
        replies.save_draft_answer(owner[0], "Hồ sơ điều chỉnh gồm văn bản đề nghị và báo cáo tình hình dự án.",
                                  actor=unit, now=utcnow())
        replies.submit_for_approval(owner[0], actor=unit, now=utcnow(), **common)
        replies.send_back(owner[0], "Đề nghị bổ sung căn cứ pháp lý.", actor=staff, now=utcnow(), **common)
        replies.delegate(owner[1], "chuyenvien@qldt.example.vn", "Nguyễn Văn Minh", actor=unit, now=utcnow(),
                         **common)
        screen_out(recs[2], ScreeningReason.NOT_ADMINISTRATIVE, "Nội dung không liên quan thủ tục hành chính.",
                   staff, utcnow(), **common)
        db.session.commit()


def test_every_email_and_public_page_of_a_second_agency_names_it_and_not_heza(second_agency):
    run = second_agency
    with run.at(t.CREATED):
        slug = run.cli("conference", "create", "--title", "Hội nghị đối thoại doanh nghiệp năm 2026",
                       "--date", t.DATE, "--time", t.TIME, "--venue", "Hội trường trụ sở Ban Quản lý").strip()
        other = run.cli("conference", "create", "--title", "Hội nghị đối thoại chuyên đề lao động",
                        "--date", "2026-11-19", "--time", "08:30", "--venue", "Hội trường trụ sở Ban Quản lý").strip()
    with run.at(t.ANNOUNCED):
        run.cli("conference", "announce", slug)
        run.cli("conference", "announce", other)
    registrations = [run.register(slug, t.INTAKE, recommendations=2, **ENTERPRISE) for _ in range(15)]
    run.register(other, t.INTAKE, **ENTERPRISE)
    with run.at(t.INTAKE):
        run.cli("conference", "cancel", other, "--reason", "Nội dung đã được giải quyết tại Hội nghị chung.")
    run.drain(t.INTAKE)
    with run.at(t.INTAKE):  # while the intake is open: the form with its notice on personal data
        for path in ("/", f"/hoi-nghi/{slug}", f"/hoi-nghi/{slug}/dang-ky"):
            body = run.app.test_client().get(path).get_data(as_text=True)
            assert heza_words(body) == [] and AGENCY in body, (path, heza_words(body))
        work_on_answers(run.app, [r["recommendations"][0]["code"] for r in registrations[:4]])
    run.drain(t.INTAKE)
    for now in (t.INTAKE_CLOSED, t.D_MINUS_1_PASSED, t.ON_THE_DAY, t.AFTER, t.D_PLUS_5, t.D_PLUS_7, t.D_PLUS_8,
                t.D_PLUS_15):
        run.tick(now)

    mails = run.mail()
    kinds = {re.sub(r"\d+", "#", m.subject) for m in mails}
    assert len(kinds) >= 18, sorted(kinds)  # 19 kinds of email (31 templates), one sample each at least
    for mail in mails:
        sender = str(mail.message["From"])
        said = "\n".join([mail.subject, sender, mail.text, mail.html, *mail.documents().values()])
        assert heza_words(said) == [], (mail.subject, heza_words(said))
        assert AGENCY in mail.text and AGENCY in mail.html, mail.subject
        assert AGENCY in sender, sender

    receipt = next(m for m in run.to(registrations[0]["payload"]["contact"]["email"])
                   if registrations[0]["tracking_code"] in m.text)
    reply_link = next(link for m in mails for link in m.links() if "/tra-loi/" in link)
    pages = ["/", f"/hoi-nghi/{slug}", f"/hoi-nghi/{slug}/dang-ky", f"/hoi-nghi/{other}",
             "/doi-thoai-doanh-nghiep/", f"/doi-thoai-doanh-nghiep/{slug}", "/doi-thoai-doanh-nghiep/tim-kiem?q=thu",
             "/doi-thoai-doanh-nghiep/feed.atom", "/khong-co-trang-nay",
             next(link for link in receipt.links() if "/theo-doi/" in link), reply_link]
    client = run.app.test_client()
    with run.at(t.D_PLUS_15):
        for url in pages:
            path = re.sub(r"^https?://[^/]+", "", url)
            response = client.get(path)
            assert response.status_code in (200, 404), (path, response.status_code)
            body = response.get_data(as_text=True)
            assert heza_words(body) == [], (path, heza_words(body))
            assert AGENCY in body, path
