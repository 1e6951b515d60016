"""Done work is not chased, and an outside agency is asked, never escalated to (issue #12 item 4).

Reference conference: Thursday 04/09/2025. Coordination input D+10 wd = Thursday 18/09/2025; coordinated
reply D+14 wd = Wednesday 24/09/2025. Every email is read back from the bytes the SMTP server received.
"""

from __future__ import annotations

from tests.domain.test_reminders import ACTOR, kinds, setup_items
from tests.jobs import run_jobs
from tests.moments import INTAKE_OPEN, local
from webforms.domain import replies
from webforms.domain.audit import Actor
from webforms.domain.dashboard import overdue_assignments
from webforms.domain.reminders import run_reminders
from webforms.extensions import db
from webforms.models import AssignmentState, Conference

AGENCY = Actor(kind="department_link", name="thue@haiphong.example.vn", ip="127.0.0.1")
LEADER = Actor(kind="staff", name="truongban@heza.example.vn", ip="127.0.0.1")


def same_subject(received: str, meant: str) -> bool:
    """Until the one email composer of #13 (helper `mail`) is merged, Python's RFC 2047 folding drops the
    space at a fold; once it is, this is plain equality."""
    return received == meant or received.replace(" ", "") == meant.replace(" ", "")


def _coordinated(rules, calendar, settings, agencies=("THUE", "PCCC")):
    conference, (rec,) = setup_items(rules, calendar, settings)
    owner = rec.assignments[0]
    replies.declare_coordination(owner, list(agencies), actor=ACTOR, now=INTAKE_OPEN, rules=rules,
                                 calendar=calendar, settings=settings)
    children = {a.department.code: a for a in rec.assignments if a.parent_id == owner.id}
    return conference, rec, owner, children


def test_an_agency_whose_input_is_in_is_never_reminded_or_escalated(app, rules, calendar, settings, mailbox):
    with app.app_context():
        conference, rec, owner, children = _coordinated(rules, calendar, settings)
        replies.give_coordination_input(children["THUE"], "Ý kiến của Thuế TP.", actor=AGENCY,
                                        now=local(2025, 9, 12, 10), rules=rules, calendar=calendar,
                                        settings=settings)
        conference_id, code = conference.id, rec.code
        db.session.commit()
    run_jobs(app)
    mailbox.clear()
    with app.app_context():
        # 16/09: reminder window of 18/09; only PCCC, still owing its input, is asked.
        before = kinds(run_reminders(local(2025, 9, 16, 9), rules, calendar, settings), "reminder")
        assert [a["department"] for a in before] == ["PCCC"]
        # 19/09: PCCC is late. It gets a courteous request, never a head escalation; the lead unit and
        # DN&GSĐT are told; Thuế TP hears nothing.
        late = run_reminders(local(2025, 9, 19, 9), rules, calendar, settings)
        assert [(a["department"], a["recipient"]) for a in kinds(late, "overdue_digest")] == [
            ("DNGSDT", "consolidation")]
        assert [a["department"] for a in kinds(late, "agency_reminder")] == ["PCCC"]
        assert [(a["department"], a["agencies"]) for a in kinds(late, "overdue_coordination_digest")] == [
            ("QLDT", ["PCCC"])]
        # One request per agency and deadline, not one a day.
        again = run_reminders(local(2025, 9, 22, 9), rules, calendar, settings)
        assert kinds(again, "agency_reminder") == []
        conference = db.session.get(Conference, conference_id)
        listed = {(i.department, i.state) for i in overdue_assignments(conference, now=local(2025, 9, 22, 9))}
        assert ("Thuế thành phố Hải Phòng", AssignmentState.SUBMITTED) not in listed
        db.session.commit()
    run_jobs(app)
    assert mailbox.to("thue@haiphong.example.vn") == []
    ahead, request = mailbox.to("pccc@haiphong.example.vn")  # 16/09 ahead of the deadline, 19/09 after it
    assert "có ý kiến chậm nhất ngày 18/09/2025" in " ".join(ahead.text.split())
    assert ahead.subject == request.subject
    assert same_subject(request.subject, f"[{code}] Đề nghị cho ý kiến phối hợp trả lời kiến nghị của doanh nghiệp")
    assert ("Ban Quản lý Khu kinh tế Hải Phòng đề nghị Quý cơ quan quan tâm, có ý kiến sớm." in
            " ".join(request.text.split()))
    assert "thời hạn đề nghị: 18/09/2025" in request.text
    assert "Lãnh đạo" not in request.text and "khẩn trương" not in request.text
    lead = [m for m in mailbox.to("qldt@heza.example.vn") if "Cơ quan phối hợp chưa có ý kiến" in m.subject]
    assert len(lead) == 2  # 19/09 and 22/09
    assert same_subject(lead[0].subject, "[1 kiến nghị] Cơ quan phối hợp chưa có ý kiến — QLĐT — 19/09/2025")
    assert "Phòng Cảnh sát PCCC và CNCH, Công an thành phố, hạn cho ý kiến 18/09/2025" in lead[0].text
    assert "truongphong.qldt@heza.example.vn" in lead[0].rcpt_tos


def test_nothing_of_an_answered_recommendation_is_chased(app, rules, calendar, settings, mailbox):
    with app.app_context():
        conference, rec, owner, children = _coordinated(rules, calendar, settings, agencies=("THUE",))
        replies.give_coordination_input(children["THUE"], "Ý kiến.", actor=AGENCY, now=local(2025, 9, 12, 10),
                                        rules=rules, calendar=calendar, settings=settings)
        replies.save_draft_answer(owner, "Trả lời.", actor=ACTOR, now=local(2025, 9, 12, 11))
        replies.submit_for_approval(owner, actor=ACTOR, now=local(2025, 9, 12, 11), rules=rules,
                                    calendar=calendar, settings=settings)
        assert replies.approve_answer(owner, actor=LEADER, now=local(2025, 9, 12, 15), rules=rules,
                                      calendar=calendar, settings=settings)
        assert children["THUE"].state == AssignmentState.APPROVED  # its input was used, it is closed
        conference_id = conference.id
        db.session.commit()
    run_jobs(app)
    mailbox.clear()
    with app.app_context():
        for day in (16, 19, 24, 25, 26):
            actions = run_reminders(local(2025, 9, day, 9), rules, calendar, settings)
            assert [a for a in actions if a["action"] != "weekly_summary"] == [], day
        conference = db.session.get(Conference, conference_id)
        assert overdue_assignments(conference, now=local(2025, 9, 26, 9)) == []
        db.session.commit()
    run_jobs(app)
    assert [m.subject for m in mailbox.messages if "quá hạn" in m.subject or "Nhắc" in m.subject] == []


def test_nothing_of_a_screened_out_recommendation_is_chased(app_ctx, rules, calendar, settings):
    from webforms.domain.intake.screening import screen_out

    conference, rec, owner, children = _coordinated(rules, calendar, settings, agencies=("THUE",))
    assert screen_out(rec, "complaint", "", ACTOR, local(2025, 9, 10, 9), rules=rules, calendar=calendar,
                      settings=settings)
    for day in (16, 19, 24, 25):
        actions = run_reminders(local(2025, 9, day, 9), rules, calendar, settings)
        assert [a for a in actions if a["action"] != "weekly_summary"] == [], day
    assert overdue_assignments(conference, now=local(2025, 9, 26, 9)) == []


def test_the_coordination_request_gives_the_agency_its_own_deadline(app, rules, calendar, settings, mailbox):
    with app.app_context():
        _, rec, _, _ = _coordinated(rules, calendar, settings, agencies=("THUE",))
        code, title = rec.code, rec.title
        db.session.commit()
    run_jobs(app)
    (request,) = mailbox.to("thue@haiphong.example.vn")
    assert same_subject(request.subject, f"[{code}] Đề nghị phối hợp trả lời kiến nghị: {title}")
    assert "- Hạn cơ quan phối hợp cho ý kiến: 18/09/2025 (đang áp dụng)" in request.text
    assert "24/09/2025" not in request.text and "15/09/2025" not in request.text
