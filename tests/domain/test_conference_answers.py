"""Answers given at the conference (issue #12 item 3): who answered and what was said are recorded, every
assignment of the item closes (nothing chased), and the enterprise gets its written confirmation through
the Board's approval, in the wording the reply letter uses. Refused before the conference starts."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.domain.test_reminders import ACTOR, setup_items
from tests.jobs import run_jobs
from tests.moments import INTAKE_OPEN, local
from tests.signing_helpers import issue_approved_letter
from webforms.domain import recommendation_admin as recs
from webforms.domain import replies
from webforms.domain.audit import Actor
from webforms.domain.reminders import run_reminders
from webforms.extensions import db
from webforms.models import AssignmentRole, AssignmentState, Recommendation, RecommendationStatus

STAFF = Actor(kind="staff", name="vanphong@heza.example.vn", ip="127.0.0.1")
LEADER = Actor(kind="staff", name="truongban@heza.example.vn", ip="127.0.0.1")
ANSWER = "Hồ sơ điều chỉnh dự án đủ điều kiện; Phòng Quản lý Đầu tư giải quyết trong 05 ngày làm việc."


def _record(rec, now, rules, calendar, settings, **kwargs):
    return recs.record_conference_answer(
        rec, answered_by=kwargs.get("answered_by", "Phó Trưởng ban Nguyễn Văn B"), answer=kwargs.get("answer", ANSWER),
        department_code="QLDT", now=now, actor=STAFF, rules=rules, calendar=calendar, settings=settings)


@pytest.mark.slow
def test_an_answer_at_the_conference_is_recorded_closed_and_confirmed_in_writing(
        app, rules, calendar, settings, mailbox, signing_setup):
    with app.app_context():
        _, (rec,) = setup_items(rules, calendar, settings)
        owner = rec.assignments[0]
        replies.declare_coordination(owner, ["THUE"], actor=ACTOR, now=INTAKE_OPEN, rules=rules,
                                     calendar=calendar, settings=settings)
        with pytest.raises(recs.RecommendationError, match="Hội nghị chưa bắt đầu"):
            _record(rec, local(2025, 9, 4, 8, 29), rules, calendar, settings)
        with pytest.raises(recs.RecommendationError, match="người trả lời"):
            _record(rec, local(2025, 9, 4, 10), rules, calendar, settings, answered_by="  ")
        # Typed the day after, from the minutes: the answer stands at the conference's time.
        assert _record(rec, local(2025, 9, 5, 9), rules, calendar, settings)
        assert not _record(rec, local(2025, 9, 5, 9), rules, calendar, settings)
        assert rec.status == RecommendationStatus.ANSWERED_AT_CONFERENCE
        assert rec.answer == ANSWER and rec.answered_at == local(2025, 9, 4, 8, 30)
        assert recs.conference_answer(rec)["answered_by"] == "Phó Trưởng ban Nguyễn Văn B"
        coordinating = rec.assignments[1]
        assert coordinating.state == AssignmentState.REVOKED and coordinating.closed_at is not None
        assert owner.state == AssignmentState.SUBMITTED and owner in replies.submitted_answers()
        code, email = rec.code, rec.registration.contact_email
        enterprise = rec.registration.enterprise.name
        db.session.commit()
    run_jobs(app)
    (to_board,) = [m for m in mailbox.to("dngsdt@heza.example.vn") if code in m.subject]
    mailbox.clear()
    with app.app_context():
        for day in (8, 11, 12, 15, 16, 18, 19, 22, 24, 25):
            actions = run_reminders(local(2025, 9, day, 9), rules, calendar, settings)
            assert [a for a in actions if a["action"] != "weekly_summary"] == [], day
        rec = db.session.scalar(db.select(Recommendation).where(Recommendation.code == code))
        assert replies.approve_answer(rec.assignments[0], actor=LEADER, now=local(2025, 9, 26, 10), rules=rules,
                                      calendar=calendar, settings=settings)
        assert rec.answered_at == local(2025, 9, 4, 8, 30)  # the approval is of the confirmation
        db.session.commit()
        issue_approved_letter(code, signing_setup, local(2025, 9, 26, 11))  # the văn thư issues the letter
        assert db.session.get(Recommendation, rec.id).answered_at == local(2025, 9, 4, 8, 30)
    run_jobs(app)
    assert mailbox.to("qldt@heza.example.vn") == [] and mailbox.to("thue@haiphong.example.vn") == []
    (confirmation,) = mailbox.to(email)
    assert code in confirmation.subject
    ((name, data),) = confirmation.attachments()
    assert name == f"Tra-loi-kien-nghi-{code}.pdf"
    text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
                    .stdout.decode().split())
    assert (f"Tại Hội nghị đối thoại doanh nghiệp năm 2025 ngày 04/09/2025, lãnh đạo Ban Quản lý Khu kinh tế "
            f"Hải Phòng đã trả lời trực tiếp kiến nghị của {enterprise}. Ban Quản lý Khu kinh tế Hải Phòng thông "
            "báo bằng văn bản nội dung trả lời như sau:") in text
    assert ANSWER in text
    assert f"Ban Quản lý Khu kinh tế Hải Phòng thông báo để {enterprise} biết, thực hiện./." in text
    assert "có ý kiến như sau" not in text


def test_approving_an_answer_at_the_conference_before_it_starts_is_refused(app_ctx, rules, calendar, settings):
    _, (rec,) = setup_items(rules, calendar, settings)
    owner = rec.assignments[0]
    replies.choose_answer_mode(owner, "at_conference", actor=ACTOR, now=INTAKE_OPEN)
    replies.submit_for_approval(owner, actor=ACTOR, now=INTAKE_OPEN, rules=rules, calendar=calendar,
                                settings=settings)
    with pytest.raises(replies.ReplyError, match="Hội nghị chưa diễn ra"):
        replies.approve_answer(owner, actor=LEADER, now=local(2025, 9, 3, 15), rules=rules, calendar=calendar,
                               settings=settings)
    assert owner.state == AssignmentState.SUBMITTED
    assert replies.approve_answer(owner, actor=LEADER, now=local(2025, 9, 4, 11), rules=rules, calendar=calendar,
                                  settings=settings)
    assert rec.status == RecommendationStatus.ANSWERED_AT_CONFERENCE


AGENCY = Actor(kind="department_link", name="thue@haiphong.example.vn", ip="127.0.0.1")


def test_undoing_an_answer_at_the_conference_reopens_what_it_closed(app, rules, calendar, settings, mailbox):
    """A leader's answer recorded on the wrong item is taken back: the owner's work and every coordinating
    assignment the answer closed are as they were, and are chased again by their deadlines (coordination
    input D+10 = 18/09/2025, coordinated reply D+14 = 24/09/2025). The agency whose link the answer
    revoked gets a new one; the agency whose input was in stays done."""
    from webforms.domain.links import LinkError, link_url, read_link

    def kinds(actions, kind):
        return [a for a in actions if a["action"] == kind]

    with app.app_context():
        _, (rec,) = setup_items(rules, calendar, settings)
        owner = rec.assignments[0]
        replies.declare_coordination(owner, ["THUE", "PCCC"], actor=ACTOR, now=INTAKE_OPEN, rules=rules,
                                     calendar=calendar, settings=settings)
        children = {a.department.code: a for a in rec.assignments if a.parent_id == owner.id}
        replies.give_coordination_input(children["THUE"], "Ý kiến của Thuế TP.", actor=AGENCY,
                                        now=local(2025, 9, 2, 10), rules=rules, calendar=calendar, settings=settings)
        before = {code: (a.state, a.closed_at, a.due_at) for code, a in children.items()}
        owner_before = (owner.draft_answer, owner.due_at)
        old_link = link_url(children["PCCC"], settings)
        assert _record(rec, local(2025, 9, 4, 10), rules, calendar, settings)
        # The input in stays in (nothing chases it; the Board's approval closes it); the one awaited stops.
        assert children["PCCC"].state == AssignmentState.REVOKED and children["THUE"].state == AssignmentState.SUBMITTED

        assert recs.undo_answered_at_conference(rec, now=local(2025, 9, 4, 11), actor=STAFF)
        assert rec.status == RecommendationStatus.ASSIGNED and rec.answer == "" and rec.answered_at is None
        assert (owner.state, owner.draft_answer, owner.due_at, owner.closed_at) == (
            AssignmentState.OPEN, *owner_before, None)
        # The revoked one is asked again as a new assignment (a new link); the old row stays in the history.
        live = {a.department.code: a for a in rec.assignments
                if a.role == AssignmentRole.COORDINATING and a.state != AssignmentState.REVOKED}
        after = {code: (a.state, a.closed_at, a.due_at) for code, a in live.items()}
        assert after == before, f"coordinating assignments after the undo {after}, before the answer {before}"
        assert live["PCCC"].id != children["PCCC"].id and live["PCCC"].parent_id == owner.id
        code = rec.code
        db.session.commit()
    run_jobs(app)
    mailbox.clear()
    with app.app_context():
        # The next sweep gives the agency whose link was revoked its new link.
        sent = run_reminders(local(2025, 9, 4, 12), rules, calendar, settings)
        assert [(a["department"], a["recommendations"]) for a in kinds(sent, "assignment_notice")] == [
            ("PCCC", [code])]
        # 16/09: the agency still owing its input is asked ahead of its D+10; Thuế TP, whose input is in, not.
        ahead = kinds(run_reminders(local(2025, 9, 16, 9), rules, calendar, settings), "reminder")
        assert [(a["department"], a["due"]) for a in ahead] == [("PCCC", "2025-09-18")]
        # 19/09: it is late: a request between agencies; the lead unit and DN&GSĐT are told.
        late = run_reminders(local(2025, 9, 19, 9), rules, calendar, settings)
        assert [a["department"] for a in kinds(late, "agency_reminder")] == ["PCCC"]
        assert [(a["department"], a["agencies"]) for a in kinds(late, "overdue_coordination_digest")] == [
            ("QLDT", ["PCCC"])]
        # 22/09: the lead unit is reminded of its D+14, the agencies are not.
        owner_due = kinds(run_reminders(local(2025, 9, 22, 9), rules, calendar, settings), "reminder")
        assert [(a["department"], a["due"]) for a in owner_due] == [("QLDT", "2025-09-24")]
        db.session.commit()
    run_jobs(app)
    assert mailbox.to("thue@haiphong.example.vn") == []
    request, ahead_mail, late_mail = mailbox.to("pccc@haiphong.example.vn")
    new_link = re.search(r"http://localhost(/tra-loi/[A-Za-z0-9_.\-]+)", request.text).group(1)
    assert new_link != old_link.removeprefix("http://localhost")
    with app.app_context():
        token = new_link.removeprefix("/tra-loi/")
        opened = read_link(token, secret_key=settings.secret_key, now=local(2025, 9, 19, 10), rules=rules,
                           calendar=calendar)
        assert opened.department.code == "PCCC" and opened.state == AssignmentState.OPEN
        with pytest.raises(LinkError):
            read_link(old_link.rsplit("/", 1)[1], secret_key=settings.secret_key, now=local(2025, 9, 19, 10),
                      rules=rules, calendar=calendar)
    assert "có ý kiến chậm nhất ngày 18/09/2025" in " ".join(ahead_mail.text.split())
    assert "thời hạn đề nghị: 18/09/2025" in late_mail.text
