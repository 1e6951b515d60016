"""(b) Quorum not met at the close → the stop/postpone report → postponement to a new date → a new
announcement → more registrations → quorum met at the new close → invitations for the new date drafted
for issue → the results report. The old cycle stays in the history; nothing is escalated before the new date."""

from tests.scenarios import timeline as t
from tests.scenarios.driver import local

NEW_DATE = "2026-10-29"  # Thursday; D2−7 = 20/10, D2−5 = 22/10, D2+5 = 05/11, D2+7 = 09/11, D2+14 = 18/11
POSTPONED = local(2026, 10, 9, 15)
REANNOUNCED = local(2026, 10, 12, 9)
MORE_INTAKE = local(2026, 10, 14, 10)
NEW_CLOSE_PASSED = local(2026, 10, 23, 0, 0, 1)
NEW_D_PASSED = local(2026, 10, 29, 0, 0, 1)
NEW_D_PLUS_5 = local(2026, 11, 5, 9)
NEW_D_PLUS_8 = local(2026, 11, 10, 9)
NEW_D_PLUS_15 = local(2026, 11, 19, 9)


def test_postponed_conference_runs_its_new_cycle_to_the_results_report(run):
    with run.at(t.CREATED):
        slug = run.cli("conference", "create", "--title", "Hội nghị đối thoại doanh nghiệp năm 2026",
                       "--date", t.DATE, "--time", t.TIME, "--venue", "Hội trường Ban Quản lý").strip()
    with run.at(t.ANNOUNCED):
        run.cli("conference", "announce", slug)
    first = [run.register(slug, t.INTAKE) for _ in range(14)]  # one short of the quorum's 15 enterprises
    run.new_mail()

    actions = run.tick(t.INTAKE_CLOSED)
    assert [a["action"] for a in actions if a.get("milestone") == "intake_closes"] == ["postponement_proposed"]
    quorum = run.cli_json("intake", "quorum", slug)
    assert quorum["met"] is False and quorum["enterprises"] == 14
    (report_mail,) = [m for m in run.new_mail() if m.documents()]
    (report,) = report_mail.documents().values()
    assert "14" in report and "Chưa đủ điều kiện tổ chức:" not in report  # the quorum's figures, no machine line

    with run.at(POSTPONED):
        run.cli("conference", "postpone", slug, "--date", NEW_DATE, "--time", "08:30",
                "--reason", "Chưa đủ số doanh nghiệp đăng ký theo Kế hoạch; tổ chức lại để doanh nghiệp đăng ký thêm.")
    run.drain(POSTPONED)
    told = run.new_mail()
    for r in first:
        assert [m for m in told if r["payload"]["contact"]["email"] in m.rcpt_tos], "each registrant is told"
    with run.at(REANNOUNCED):
        run.cli("conference", "announce", slug)
    second = [run.register(slug, MORE_INTAKE) for _ in range(2)]
    run.new_mail()

    # The old date's milestones no longer act: nothing is overdue before the new date.
    for now in (t.D_MINUS_1_PASSED, t.AFTER, local(2026, 10, 21, 9)):
        run.tick(now)
    early = run.new_mail()

    actions = run.tick(NEW_CLOSE_PASSED)
    assert [a["action"] for a in actions if a.get("milestone") == "intake_closes"] == ["confirmed"]
    invited = run.new_mail()
    # The new date's invitations are drafted, one per enterprise, and the Office is asked to issue them;
    # none reaches an enterprise before it is issued.
    (request,) = [m for m in invited if m.subject.startswith("Giấy mời dự thảo chờ duyệt")]
    contacts = [r["payload"]["contact"]["email"] for r in first + second]
    assert f"đã lập {len(contacts)} giấy mời dự thảo" in request.text
    assert not [m for m in invited if set(m.rcpt_tos) & set(contacts)]

    for now in (t.D_PLUS_7, t.D_PLUS_8):  # the old D+7 and D+8, before the new date
        run.tick(now)
    early += run.new_mail()
    assert not [m for m in early if "quá hạn" in m.subject.lower()], [m.subject for m in early]

    for now in (NEW_D_PASSED, NEW_D_PLUS_5, NEW_D_PLUS_8, NEW_D_PLUS_15):
        run.tick(now)
    status = run.cli_json("conference", "status", slug, "--json")
    results = [r for m in status["milestones"] if m["name"] == "results_report" for r in m["runs"]]
    assert [r["key"] for r in results if r["key"] == "results_report"] == ["results_report"], results  # one draft
    # Never issued here: the reminders go on after the new deadline, each working day once.
    assert {r["action"] for r in results if r["key"] != "results_report"} == {"remind_consolidation"}
    assert all(r["as_of"] >= "2026-11-09" for r in results if r["key"] != "results_report")
    documents = run.cli_json("documents", slug, "--json")
    assert len([d for d in documents if d["kind"] == "results_report"]) == 1
    assert status.get("cycle", 1) >= 2 or status.get("history"), "the old cycle stays in the history"
    run.assert_nothing_sent_twice()
