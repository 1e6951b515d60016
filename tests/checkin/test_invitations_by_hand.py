"""Invitees without an email (issue #12 item 5): their invitations are rendered too, mailed to the Office
in one message with the files, listed in the back office with downloads, and the conference page says
what was sent to whom. Real Redis, a real RQ worker, the real SMTP server; mails decoded from bytes."""

from __future__ import annotations

import io

import docx
from sqlalchemy import select

from tests import moments
from tests.documents.test_render import all_text
from tests.factories import create_conference, create_recommendation, create_registration
from tests.jobs import run_jobs
from tests.login import login_as
from webforms.domain.recipients import recipients_for
from webforms.domain.tick import tick
from webforms.extensions import db
from webforms.models import ConferenceStatus, Document, Invitee, InviteeCategory, OutboxMessage

WITHOUT_EMAIL = (
    (InviteeCategory.CITY_LEADER, "Đồng chí Lê Văn Lãnh Đạo", "UBND thành phố Hải Phòng"),
    (InviteeCategory.PORTAL, "Cổng Thông tin điện tử thành phố", "UBND thành phố Hải Phòng"),
)


def _confirmed_conference(rules):
    conference = create_conference(slug="dtdn-tay", status=ConferenceStatus.ANNOUNCED,
                                   starts_at=moments.CONFERENCE_START)
    db.session.add(Invitee(conference_id=conference.id, category=InviteeCategory.PRESS, name="Báo Hải Phòng",
                           email="baohp@press.example.vn"))
    for category, name, organisation in WITHOUT_EMAIL:
        db.session.add(Invitee(conference_id=conference.id, category=category, name=name,
                               organisation=organisation, email=""))
    for i in range(rules.plan.min_enterprises):
        registration = create_registration(conference)
        if i < rules.plan.min_recommendations:
            create_recommendation(registration)
    db.session.commit()
    return conference


def _decoded(mailbox):
    """Each message parsed from the bytes the SMTP server received (tests/smtp.py keeps them parsed with
    email.policy.default, as email.message_from_bytes(..., policy=email.policy.default) does)."""
    return [m.message for m in mailbox.messages]


def test_invitations_without_email_go_to_the_office_and_are_listed(app, settings, mailbox, rules, calendar):
    redis = app.extensions["doithoai"].redis
    with app.app_context():
        conference = _confirmed_conference(rules)
        slug, conference_id, title = conference.slug, conference.id, conference.title
        office = recipients_for(rules).office
        tick(moments.INTAKE_CLOSED, rules, calendar, settings, redis)
    run_jobs(app)
    messages = _decoded(mailbox)
    invitations = [m for m in messages if m["Subject"].startswith("Giấy mời tham dự")]
    assert len(invitations) == 1 + rules.plan.min_enterprises  # the press and every enterprise, by email
    assert all(m["To"] for m in invitations)
    (to_office,) = [m for m in messages if m["Subject"].startswith("Giấy mời cần gửi")]
    assert to_office["Subject"] == ("Giấy mời cần gửi qua hệ thống văn bản hoặc gửi trực tiếp - "
                                    f"{title}")
    assert {a.strip() for a in to_office["To"].split(",")} == set(office)
    body = to_office.get_body(preferencelist=("plain",)).get_content()
    assert "1. Đồng chí Lê Văn Lãnh Đạo - UBND thành phố Hải Phòng" in body
    assert "2. Cổng Thông tin điện tử thành phố - UBND thành phố Hải Phòng" in body
    assert f"http://localhost/quan-tri/hoi-nghi/{slug}/giay-moi" in body
    files = [(part.get_filename(), part.get_content()) for part in to_office.iter_attachments()]
    assert len(files) == 2 and all(name.endswith(".docx") for name, _ in files)
    texts = [all_text(data) for _, data in files]
    assert "GIẤY MỜI" in texts[0] and "Đồng chí Lê Văn Lãnh Đạo" in texts[0]
    assert "Cổng Thông tin điện tử thành phố" in texts[1]
    assert docx.Document(io.BytesIO(files[0][1])).paragraphs

    with app.app_context():
        hand_keys = {f"invitee:{i.id}" for i in db.session.scalars(select(Invitee).where(Invitee.email == ""))}
        rendered = set(db.session.scalars(select(Document.subject_key).where(
            Document.conference_id == conference_id, Document.kind == "invitation", Document.status == "done")))
        assert hand_keys <= rendered
        # Running the batch again (a sweep after a crash) sends nothing twice and renders nothing again.
        from webforms.domain import outbox

        outbox.queue_task("send_invitations", {"conference_id": conference_id,
                                               "as_of": moments.INTAKE_CLOSED.isoformat()},
                          queue="docs", dedupe_key="again")
        db.session.commit()
    count = len(mailbox.messages)
    run_jobs(app)
    assert len(mailbox.messages) == count
    with app.app_context():
        assert db.session.query(Document).filter(Document.kind == "invitation").count() == \
            1 + rules.plan.min_enterprises + len(WITHOUT_EMAIL)
        assert db.session.query(OutboxMessage).filter(
            OutboxMessage.dedupe_key.startswith("invitations_by_hand:")).count() == 1

    # The back office: the list with downloads, and the conference page says who got what.
    from tests.web.conftest import StaffClient

    app.test_client_class = StaffClient
    client = app.test_client()
    with app.app_context():
        login_as(client, "secretariat")
        page = client.get(f"/quan-tri/hoi-nghi/{slug}/giay-moi").get_data(as_text=True)
        assert "Cần gửi qua hệ thống văn bản / gửi trực tiếp" in page
        section = page.split("<h2>Gửi qua email</h2>")[0]
        assert "Đồng chí Lê Văn Lãnh Đạo" in section and "Cổng Thông tin điện tử thành phố" in section
        assert "Báo Hải Phòng" not in section
        assert "Email: baohp@press.example.vn" in page and "Đã gửi email" in page
        assert "đã gửi Văn phòng qua email (đã gửi)" in page
        links = [part.split('"')[0] for part in section.split('href="')[1:] if "/tai-ve" in part.split('"')[0]]
        assert len(links) == 2
        download = client.get(links[0])
        assert download.status_code == 200 and "Đồng chí Lê Văn Lãnh Đạo" in all_text(download.data)
        # Each invitation carries a QR code that opens its addressee's check-in row for staff.
        leader = db.session.scalar(select(Invitee).where(Invitee.name == "Đồng chí Lê Văn Lãnh Đạo"))
        snapshot = db.session.scalar(select(Document.snapshot).where(Document.subject_key == f"invitee:{leader.id}"))
        target = f"/quan-tri/hoi-nghi/{slug}/diem-danh/khach-moi/{leader.id}"
        assert snapshot["checkin_qr"] == "http://localhost" + target
        assert len(docx.Document(io.BytesIO(download.data)).inline_shapes) == 1
        assert f'id="kh-{leader.id}" class="cm-item focus"' in client.get(target).get_data(as_text=True)
        registration_code = db.session.scalar(select(Document.snapshot).where(
            Document.subject_key.startswith("registration:")).limit(1))["checkin_qr"].rsplit("/", 1)[1]
        assert registration_code.startswith("KN.")
        dashboard = client.get(f"/quan-tri/hoi-nghi/{slug}").get_data(as_text=True)
        assert "đã gửi email đến baohp@press.example.vn" in dashboard
        assert "Đồng chí Lê Văn Lãnh Đạo (UBND thành phố Hải Phòng):" in dashboard
        assert dashboard.count("cần gửi qua hệ thống văn bản / gửi trực tiếp</strong>") == 2
