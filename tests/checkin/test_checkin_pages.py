"""The check-in page through real HTTP with real logins: who came, how many, CSRF, roles, errors."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from tests.factories import create_conference, create_enterprise, create_registration
from tests.login import csrf_from
from webforms.extensions import db
from webforms.models import ConferenceStatus, Invitee, InviteeAttendance, InviteeCategory, Registration
from webforms.timeutil import utcnow


def _today_conference(**kwargs):
    """A conference that started an hour ago: check-in is open."""
    conference = create_conference(slug="hn-hom-nay", starts_at=utcnow() - dt.timedelta(hours=1),
                                   status=ConferenceStatus.CONFIRMED, **kwargs)
    binh_an = create_registration(conference, create_enterprise(name="Công ty TNHH Bình An"),
                                  attendees=[{"name": "A", "position": "GĐ"}, {"name": "B", "position": "KT"}])
    cang = create_registration(conference, create_enterprise(name="Công ty CP Cảng Xanh"))
    leader = Invitee(conference_id=conference.id, category=InviteeCategory.CITY_LEADER, name="Đồng chí Lê Văn C",
                     position="Phó Chủ tịch UBND thành phố")
    db.session.add(leader)
    db.session.commit()
    return conference, binh_an, cang, leader


def _page(client, slug, **params):
    response = client.get(f"/quan-tri/hoi-nghi/{slug}/diem-danh", query_string=params)
    return response, response.get_data(as_text=True)


def test_staff_mark_arrivals_and_the_counters_follow(client, staff, app_ctx):
    conference, binh_an, cang, leader = _today_conference()
    staff("secretariat")
    response, page = _page(client, conference.slug)
    assert response.status_code == 200
    assert "Công ty TNHH Bình An" in page and "Công ty CP Cảng Xanh" in page and "Đồng chí Lê Văn C" in page
    assert re.search(r"<strong>0</strong> / 2 doanh nghiệp có mặt", page)
    token = csrf_from(page)
    marked = client.post(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/doanh-nghiep/{binh_an.id}",
                         data={"csrf_token": token, "delegates": "3"})
    assert marked.status_code == 302
    assert marked.headers["Location"].endswith(f"#dn-{binh_an.id}")
    client.post(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/khach-moi/{leader.id}",
                data={"csrf_token": token, "delegates": ""})
    _, page = _page(client, conference.slug)
    assert re.search(r"<strong>1</strong> / 2 doanh nghiệp có mặt", page)
    assert re.search(r"<strong>1</strong> / 1 khách mời có mặt", page)
    assert re.search(r"<strong>4</strong> đại biểu", page)
    assert "Có mặt: 3 người" in page
    db.session.expire_all()
    reg = db.session.get(Registration, binh_an.id)
    assert reg.attended is True and reg.delegates_present == 3 and reg.checked_in_by.startswith("canbo")
    assert db.session.get(InviteeAttendance, leader.id).delegates == 1
    assert db.session.get(Registration, cang.id).attended is False

    # Pressing again changes nothing; undo clears it.
    client.post(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/doanh-nghiep/{binh_an.id}",
                data={"csrf_token": token, "delegates": "3"})
    client.post(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/khach-moi/{leader.id}",
                data={"csrf_token": token, "undo": "1"})
    db.session.expire_all()
    assert db.session.get(Registration, binh_an.id).delegates_present == 3
    assert db.session.get(InviteeAttendance, leader.id) is None


def test_a_wrong_count_is_shown_next_to_its_field_and_nothing_changes(client, staff, app_ctx):
    conference, binh_an, _, _ = _today_conference()
    staff("consolidation")
    token = csrf_from(_page(client, conference.slug)[1])
    response = client.post(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/doanh-nghiep/{binh_an.id}",
                           data={"csrf_token": token, "delegates": "0"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="dn-{binh_an.id}-error"' in page
    assert "Số người tham dự phải từ 1 đến 99." in page
    assert f'aria-describedby="dn-{binh_an.id}-error"' in page
    response = client.post(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/doanh-nghiep/{binh_an.id}",
                           data={"csrf_token": token, "delegates": "ba"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Registration, binh_an.id).attended is False


def test_without_csrf_or_with_the_wrong_role_nothing_is_marked(client, staff, app_ctx):
    conference, binh_an, _, _ = _today_conference()
    staff("secretariat")
    assert client.post(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/doanh-nghiep/{binh_an.id}",
                       data={"delegates": "2"}).status_code == 400
    client.post("/quan-tri/dang-xuat", data={"csrf_token": csrf_from(_page(client, conference.slug)[1])})
    staff("leader")  # leaders view the dashboard but do not record the conference
    assert _page(client, conference.slug)[0].status_code == 403
    db.session.expire_all()
    assert db.session.get(Registration, binh_an.id).attended is False


def test_check_in_is_refused_before_the_conference_day(client, staff, app_ctx):
    conference = create_conference(slug="hn-sau", starts_at=utcnow() + dt.timedelta(days=3),
                                   status=ConferenceStatus.CONFIRMED)
    reg = create_registration(conference)
    db.session.commit()
    staff("secretariat")
    response, page = _page(client, conference.slug)
    assert response.status_code == 200
    assert "Chưa đến ngày tổ chức Hội nghị" in page
    response = client.post(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/doanh-nghiep/{reg.id}",
                           data={"csrf_token": csrf_from(page), "delegates": "1"})
    assert response.status_code == 422
    assert "Chưa đến ngày tổ chức Hội nghị" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).attended is False
    english = client.get(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh?lang=en").get_data(as_text=True)
    assert "The conference day has not come yet: check-in opens on the day." in english


def test_search_and_the_qr_targets_open_one_row(client, staff, app_ctx):
    conference, binh_an, _, leader = _today_conference()
    staff("secretariat")
    _, page = _page(client, conference.slug, q="cảng")
    assert "Công ty CP Cảng Xanh" in page and "Công ty TNHH Bình An" not in page
    assert re.search(r"<strong>0</strong> / 2 doanh nghiệp có mặt", page)  # the counters count everyone
    response = client.get(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/ma/{binh_an.tracking_code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="dn-{binh_an.id}" class="cm-item focus"' in page and "Công ty CP Cảng Xanh" not in page
    response = client.get(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/khach-moi/{leader.id}")
    assert f'id="kh-{leader.id}" class="cm-item focus"' in response.get_data(as_text=True)
    assert client.get(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/ma/KN.0").status_code == 404
    other = create_conference(slug="hn-khac")
    db.session.commit()
    assert client.get(f"/quan-tri/hoi-nghi/{other.slug}/diem-danh/khach-moi/{leader.id}").status_code == 404
    assert db.session.scalars(select(Registration.attended)).all() == [False, False]


def test_the_page_reads_a_large_conference_in_a_few_queries(client, staff, app_ctx):
    from sqlalchemy import event

    conference = create_conference(slug="hn-lon", starts_at=utcnow() - dt.timedelta(hours=1),
                                   status=ConferenceStatus.CONFIRMED)
    for _ in range(120):
        create_registration(conference)
    db.session.commit()
    staff("secretariat")
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert re.search(r"<strong>0</strong> / 120 doanh nghiệp có mặt", response.get_data(as_text=True))
    assert len(statements) <= 10, len(statements)
