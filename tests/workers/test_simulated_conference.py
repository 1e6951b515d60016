"""A simulated conference: time moves from creation to D+15 working days through tick(now) calls,
with the real Redis, a real RQ worker and the real SMTP server. Each moment is ticked twice."""

import datetime as dt
import email
import email.policy
import io
import re
from collections import Counter

import docx
from sqlalchemy import select

from tests import moments
from tests.factories import create_conference, create_recommendation, create_registration
from tests.jobs import run_jobs
from webforms.domain.conferences import announce_conference
from webforms.domain.recipients import recipients_for
from webforms.domain.tick import tick
from webforms.extensions import db
from webforms.models import (
    Conference,
    ConferenceStatus,
    Document,
    Invitee,
    InviteeCategory,
    MilestoneRun,
    OutboxMessage,
    OutboxStatus,
    Registration,
)

CREATED = moments.local(2025, 8, 15, 9)
ANNOUNCE_DAY_MORNING = moments.local(2025, 8, 22, 8)
ANNOUNCED = moments.local(2025, 8, 22, 10)
CONFERENCE_DAY_MIDNIGHT = moments.local(2025, 9, 4, 0, 0, 1)  # answers_prepared_by (D-1) has passed
RESULTS_LEAD = moments.local(2025, 9, 11, 9)  # reminder_lead working days before D+7 (15/09)
DAY_AFTER_D_PLUS_7 = moments.local(2025, 9, 16, 10)

TIMELINE = (CREATED, moments.D_MINUS_10, ANNOUNCE_DAY_MORNING, ANNOUNCED, moments.INTAKE_OPEN,
            moments.INTAKE_LAST_SECOND, moments.INTAKE_CLOSED, moments.D_MINUS_1, CONFERENCE_DAY_MIDNIGHT,
            moments.AFTER_CONFERENCE, RESULTS_LEAD, moments.D_PLUS_7, DAY_AFTER_D_PLUS_7, moments.D_PLUS_14,
            moments.D_PLUS_15)

INVITEES = (
    (InviteeCategory.CITY_LEADER, "Ông Lê Văn Lãnh Đạo", "lanhdao@haiphong.example.vn"),
    (InviteeCategory.AGENCY, "Sở Tài chính", "stc@haiphong.example.vn"),
    (InviteeCategory.PRESS, "Báo Hải Phòng", "baohp@press.example.vn"),
)


def simulate(app, settings, *, enterprises: int, recommendations: int):
    """Walk the timeline; returns the actions seen per moment. The Office announces at ANNOUNCED,
    the enterprises register and send recommendations during intake."""
    svc = app.extensions["doithoai"]
    seen = {}
    with app.app_context():
        conference = create_conference(slug="dtdn-2025", starts_at=moments.CONFERENCE_START,
                                       status=ConferenceStatus.DRAFT)
        for category, name, email in INVITEES:
            db.session.add(Invitee(conference_id=conference.id, category=category, name=name, email=email))
        db.session.commit()
        conference_id = conference.id
    for now in TIMELINE:
        with app.app_context():
            conference = db.session.get(Conference, conference_id)
            if now == ANNOUNCED:
                announce_conference(conference, now=now, rules=svc.rules, calendar=svc.calendar)
                db.session.commit()
            if now == moments.INTAKE_OPEN:
                for i in range(enterprises):
                    registration = create_registration(conference, registered_at=now)
                    if i < recommendations:
                        create_recommendation(registration, received_at=now)
                db.session.commit()
            first = tick(now, svc.rules, svc.calendar, settings, svc.redis)
            second = tick(now, svc.rules, svc.calendar, settings, svc.redis)
            assert second == [], f"second tick at {now} acted again: {second}"
            seen[now] = first
        run_jobs(app)
    return seen


def keys(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(MilestoneRun.milestone)))


def test_quorum_met_confirms_and_invites_everyone_once(app, settings, mailbox, rules):
    seen = simulate(app, settings, enterprises=15, recommendations=5)
    assert keys(app) == sorted([
        "announce_by:lead", "announce_by:due", "intake_closes", "answers_prepared_by", "results_report",
        "conclusion_notice:lead", "conclusion_notice:due", "conclusion_notice:overdue:2025-09-16",
        "conclusion_notice:overdue:2025-09-24", "conclusion_notice:overdue:2025-09-25",
        # Never issued in this walk: the results report is reminded on its day and each day after.
        "results_report:due", "results_report:overdue:2025-09-16", "results_report:overdue:2025-09-24",
        "results_report:overdue:2025-09-25",
    ])
    assert [a["action"] for a in seen[moments.INTAKE_CLOSED]] == ["confirmed"]
    assert seen[moments.INTAKE_LAST_SECOND] == []
    assert seen[moments.D_MINUS_1] == []
    with app.app_context():
        assert db.session.scalar(select(Conference.status)) == ConferenceStatus.CONFIRMED
        statuses = Counter(db.session.scalars(select(OutboxMessage.status)))
        assert set(statuses) == {OutboxStatus.SENT}, statuses

    messages = mailbox.messages
    message_ids = [m.message["Message-ID"] for m in messages]
    assert len(message_ids) == len(set(message_ids)), "an email was sent twice"
    assert_every_email_reads_right(app, messages, settings, rules)

    # The milestone drafts one invitation per addressee and asks the Office to issue them; nothing
    # reaches an invitee before issue (tests/checkin/test_invitations_by_hand.py issues and reads them).
    assert not [m for m in messages if m.subject.startswith("Giấy mời tham dự")]
    invitee_addresses = {email for _, _, email in INVITEES}
    with app.app_context():
        invitee_addresses |= set(db.session.scalars(select(Registration.contact_email)))
        drafts = list(db.session.scalars(select(Document).where(Document.kind == "invitation")))
    assert len(invitee_addresses) == 18 and len(drafts) == 18
    assert {d.state for d in drafts} == {"draft"}
    (request,) = [m for m in messages if m.subject.startswith("Giấy mời dự thảo chờ duyệt")]
    assert "đã lập 18 giấy mời dự thảo" in request.text and request.attachments() == []
    assert not [m for m in messages for name, _ in m.attachments() if name.startswith("Giay-moi")]

    leaders = set(recipients_for(rules).leaders)
    to_leaders = [m for m in messages if leaders <= set(m.rcpt_tos)]
    assert sorted(m.subject.split(" - ")[0] for m in to_leaders) == [
        "Bảng tổng hợp kiến nghị kèm dự thảo trả lời", "Hội nghị đủ điều kiện tổ chức"]
    assert all(any(n.startswith("Bang-tong-hop-kien-nghi-") for n, _ in m.attachments()) for m in to_leaders)
    office = set(rules.department("VP").emails)
    reminders = [m.subject for m in messages if set(m.rcpt_tos) == office]
    assert len([s for s in reminders if "đăng thông báo kết luận" in s]) == 5
    # What each reminder asks matches its day: before the deadline, on the day, after it.
    asks = {m.subject.split(" đăng thông báo kết luận")[0]: " ".join(m.text.split()) for m in messages
            if set(m.rcpt_tos) == office and "đăng thông báo kết luận" in m.subject}
    assert "đăng thông báo kết luận trước thời hạn trên." in asks["[Nhắc việc] Sắp đến hạn"]
    assert "đăng thông báo kết luận trong ngày hôm nay." in asks["[Nhắc việc] Hôm nay là hạn"]
    assert "Thông báo kết luận đã quá hạn." in asks["[Nhắc việc] Quá hạn"]
    assert len([s for s in reminders if "đăng thông báo " in s and "kết luận" not in s]) == 2
    report = [m for m in messages if m.subject.startswith("Dự thảo báo cáo kết quả")]
    assert len(report) == 1
    assert [n for n, _ in report[0].attachments()][0].startswith("Bao-cao-ket-qua-")
    assert re.search(r"chậm nhất ngày \d\d/\d\d/\d{4}\.", report[0].text)  # a day, no clock time
    assert "23:59" not in report[0].text
    assert not [m for m in messages if "dừng/hoãn" in m.subject]


def test_quorum_missed_by_one_enterprise_proposes_postponement(app, settings, mailbox, rules):
    seen = simulate(app, settings, enterprises=14, recommendations=5)
    assert [a["action"] for a in seen[moments.INTAKE_CLOSED]] == ["postponement_proposed"]
    assert keys(app) == ["announce_by:due", "announce_by:lead", "intake_closes"]
    messages = mailbox.messages
    assert not [m for m in messages if m.subject.startswith("Giấy mời")]
    proposals = [m for m in messages if "dừng/hoãn" in m.subject]
    assert len(proposals) == 1
    expected = set(rules.department("VP").emails) | set(rules.consolidating_department.emails)
    assert set(proposals[0].rcpt_tos) == expected
    (name, data), = proposals[0].attachments()
    assert name.startswith("Bao-cao-de-xuat-dung-hoac-hoan-")
    assert name.endswith(".docx")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "Sở Tài chính" in text
    with app.app_context():
        kinds = Counter(db.session.scalars(select(Document.kind)))
        assert kinds == {"postponement_report": 1}


def assert_every_email_reads_right(app, messages, settings, rules):
    """Each email of the conference, decoded from the bytes the server got: the subject the outbox meant, the
    sender's domain in the Message-ID, the date in +0700, one closing and the sender block from the rules."""
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "mail"))
        meant = {row.message_id: row.payload["subject"] for row in rows}
    domain = settings.mail_default_sender.rsplit("@", 1)[1].rstrip(">")
    unit = rules.consolidating_department
    for received in messages:
        message = email.message_from_bytes(received.raw, policy=email.policy.default)
        assert str(message["Subject"]) == meant[message["Message-ID"]]
        assert message["Message-ID"].endswith(f"@{domain}>")
        assert message["Date"].datetime.utcoffset() == dt.timedelta(hours=7)
        text = received.text
        assert text.count("Trân trọng./.") == 1, text
        assert f"{unit.name} – {rules.plan.agency.short_name}" in text
        assert f"Email: {unit.emails[0]}" in text
        assert "Kính gửi: " in text and text.count("Kính gửi") == 1, text
        assert unit.name not in [line.strip() for line in text.splitlines()], text  # signed once, by the closing
        assert 'Hội nghị "Hội nghị' not in text and "Hội nghị Hội nghị" not in text
        assert received.html.count("Trân trọng./.") == 1
