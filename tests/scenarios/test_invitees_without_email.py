"""(d) Invitees without an email address (city leaders, the press: invitations that go through the
document system or by hand): their invitations are drafted with everyone's, the Office is asked once to
have them approved, signed and issued, with the list of those it sends through the document system, and
the back office shows where each one stands. Nothing reaches an invitee before issue."""

from tests.login import csrf, login_as
from tests.scenarios import timeline as t
from webforms.domain.recipients import recipients_for

BY_HAND = (("city_leader", "Đồng chí Lê Văn Thành", "Phó Chủ tịch", "Ủy ban nhân dân thành phố Hải Phòng"),
           ("press", "Trung tâm Báo chí và Truyền thông", "", "Sở Văn hóa, Thể thao và Du lịch"))
BY_MAIL = ("agency", "Sở Tài chính", "", "Sở Tài chính thành phố Hải Phòng", "stc@haiphong.example.vn")


def test_invitations_without_email_go_to_the_office_once(run):
    with run.at(t.CREATED):
        slug = run.cli("conference", "create", "--title", "Hội nghị đối thoại doanh nghiệp năm 2026",
                       "--date", t.DATE, "--time", t.TIME, "--venue", "Hội trường Ban Quản lý").strip()
        office = run.app.test_client()
        with run.app.app_context():
            login_as(office, "secretariat")
        for category, name, position, organisation, *email in (*BY_HAND, BY_MAIL):
            response = office.post(f"/quan-tri/hoi-nghi/{slug}/khach-moi", data={
                "csrf_token": csrf(office, f"/quan-tri/hoi-nghi/{slug}/khach-moi"), "category": category,
                "name": name, "position": position, "organisation": organisation, "email": email[0] if email else ""})
            assert response.status_code == 302, response.get_data(as_text=True)
    with run.at(t.ANNOUNCED):
        run.cli("conference", "announce", slug)
    registrations = [run.register(slug, t.INTAKE) for _ in range(15)]
    run.new_mail()

    run.tick(t.INTAKE_CLOSED)
    mails = run.new_mail()
    with run.app.app_context():
        office_addresses = set(recipients_for(run.app.extensions["doithoai"].rules).office)
    by_hand = [m for m in mails if set(m.rcpt_tos) & office_addresses
               and any(name in m.text for _, name, *_ in BY_HAND)]
    assert len(by_hand) == 1, [m.subject for m in mails]
    (letter,) = by_hand
    assert letter.subject.startswith("Giấy mời dự thảo chờ duyệt, ký số và ban hành")
    assert letter.attachments() == []  # no draft leaves as a file; the Office issues them first
    for number, (_, name, *_) in enumerate(BY_HAND, start=1):
        assert f"{number}. {name}" in letter.text, name
    # Nothing reaches an invitee or an enterprise before the invitations are issued.
    assert not [m for m in mails if m.subject.startswith("Giấy mời tham dự")]
    contacts = {r["payload"]["contact"]["email"] for r in registrations} | {BY_MAIL[4]}
    assert not [m for m in mails if set(m.rcpt_tos) & contacts]

    with run.at(t.INTAKE_CLOSED):
        with run.app.app_context():
            login_as(office, "secretariat")  # a staff session lasts hours, not weeks
        page = office.get(f"/quan-tri/hoi-nghi/{slug}/giay-moi").get_data(as_text=True)
    for _, name, *_ in BY_HAND:
        assert name in page
    assert BY_MAIL[4] in page or BY_MAIL[1] in page

    for now in (t.D_MINUS_1_PASSED, t.AFTER):
        run.tick(now)
    assert not [m for m in run.new_mail() if set(m.rcpt_tos) & office_addresses
                and any(name in m.text for _, name, *_ in BY_HAND)]
    run.assert_nothing_sent_twice()
