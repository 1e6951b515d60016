"""(c) A conference announced, registered for, then cancelled: everyone concerned is told once (the notice
of cancellation is drafted for the Office to issue; issuing it sends it), and nothing is sent to anyone
afterwards."""

from tests.scenarios import timeline as t

REASON = "Do ảnh hưởng của cơn bão số 5, Ban Quản lý hủy tổ chức Hội nghị theo chỉ đạo của UBND thành phố."


def test_cancelled_conference_tells_everyone_once_then_falls_silent(run):
    with run.at(t.CREATED):
        slug = run.cli("conference", "create", "--title", "Hội nghị đối thoại doanh nghiệp năm 2026",
                       "--date", t.DATE, "--time", t.TIME, "--venue", "Hội trường Ban Quản lý").strip()
    with run.at(t.ANNOUNCED):
        run.cli("conference", "announce", slug)
    registrations = [run.register(slug, t.INTAKE) for _ in range(3)]
    contacts = {r["payload"]["contact"]["email"] for r in registrations}
    run.new_mail()  # the receipts

    cancel_at = t.local(2026, 10, 1, 15)
    with run.at(cancel_at):
        run.cli("conference", "cancel", slug, "--reason", REASON)
    run.drain(cancel_at)
    status = run.cli_json("conference", "status", slug, "--json")
    assert status["status"] == "cancelled"

    told = run.new_mail()
    assert {a for m in told for a in m.rcpt_tos} >= contacts
    for contact in contacts:
        (mail,) = [m for m in told if contact in m.rcpt_tos]
        assert "hủy" in mail.subject.lower(), mail.subject
        assert REASON in mail.text
        # Told at once, with no draft attached: the signed Thông báo follows when the Office issues it.
        assert mail.attachments() == [] and "sẽ được gửi Ông/Bà khi ban hành" in mail.text
    (notice,) = [d for d in run.cli_json("documents", slug, "--json") if d["kind"] == "conference_notice"]
    assert notice["status"] == "draft" and notice["number"] is None

    for now in (t.INTAKE_CLOSED, t.D_MINUS_1_PASSED, t.AFTER, t.D_PLUS_7, t.D_PLUS_15):
        assert run.tick(now) == [], now
    assert run.new_mail() == []
    run.assert_nothing_sent_twice()
