"""(e) A conference created but never announced reaches D−7 and then D−5: the Office and the leaders are
alerted that the announcement is overdue, and the close of an intake that never opened sends no report
claiming an announcement, proposes nothing to the city, and mails no enterprise."""

from tests.scenarios import timeline as t
from tests.scenarios.driver import local

D_MINUS_9 = local(2026, 10, 2, 9)  # reminder_lead (2 wd) before D−7
D_MINUS_7 = local(2026, 10, 6, 9)
D_MINUS_6 = local(2026, 10, 7, 9)


def test_never_announced_conference_is_flagged_not_reported_as_announced(run):
    with run.at(t.CREATED):
        slug = run.cli("conference", "create", "--title", "Hội nghị đối thoại doanh nghiệp năm 2026",
                       "--date", t.DATE, "--time", t.TIME, "--venue", "Hội trường Ban Quản lý").strip()
    with run.at(t.INTAKE):
        response = run.app.test_client().post(f"/api/v1/conferences/{slug}/registrations", json={})
    assert response.status_code == 404  # a draft is not public

    for now in (D_MINUS_9, D_MINUS_7, D_MINUS_6):
        run.tick(now)
    alerts = run.new_mail()
    overdue = [m for m in alerts if "quá hạn" in (m.subject + m.text).lower()]
    assert overdue, [m.subject for m in alerts]
    office = {a for m in overdue for a in m.rcpt_tos}
    assert len(office) >= 2  # the Office and the leaders

    run.tick(t.INTAKE_CLOSED)
    closing = run.new_mail()
    for mail in closing:
        assert "đã đăng thông báo" not in (mail.text + "\n".join(mail.documents().values())).lower(), mail.subject
    status = run.cli_json("conference", "status", slug, "--json")
    assert status["status"] == "draft", status["status"]
    run.assert_nothing_sent_twice()
