"""`doithoai conference attendance SLUG [--mark CODE] [--json]` against the real database."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from tests.factories import VN, create_conference, create_enterprise, create_registration
from webforms.extensions import db
from webforms.models import AuditEvent, Invitee, InviteeCategory, Registration

DAY = dt.datetime(2025, 9, 4, 8, 30, tzinfo=VN)


def _scene():
    conference = create_conference(slug="hn-diem-danh", starts_at=DAY)
    a = create_registration(conference, create_enterprise(name="Công ty TNHH Bình An"),
                            tracking_code="KN.20250820.0001",
                            attendees=[{"name": "A", "position": "GĐ"}, {"name": "B", "position": "KT"}])
    create_registration(conference, create_enterprise(name="Công ty CP Cảng Xanh"), tracking_code="KN.20250820.0002")
    db.session.add(Invitee(conference_id=conference.id, category=InviteeCategory.CITY_LEADER,
                           name="Đồng chí Lê Văn C", position="Phó Chủ tịch UBND thành phố"))
    db.session.commit()
    return conference, a


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["conference", "attendance", *args])


def test_mark_sets_attended_once_and_json_lists_everyone(app, app_ctx):
    _scene()
    at = "2025-09-04T08:05:00+07:00"
    first = _run(app, "hn-diem-danh", "--mark", "KN.20250820.0001", "--now", at, "--json")
    assert first.exit_code == 0, first.output
    body = json.loads(first.output)
    assert body["marked"] == {"tracking_code": "KN.20250820.0001", "changed": True}
    assert body["enterprises_registered"] == 2
    assert body["enterprises_attending"] == 1
    assert body["delegates"] == 2  # the two people it registered, by default
    assert body["invitees"] == 1 and body["invitees_attending"] == 0
    rows = {r["tracking_code"]: r for r in body["registrations"]}
    assert rows["KN.20250820.0001"]["attended"] is True
    assert rows["KN.20250820.0001"]["checked_in_at"] == "2025-09-04T01:05:00+00:00"
    assert rows["KN.20250820.0002"]["attended"] is False

    again = _run(app, "hn-diem-danh", "--mark", "KN.20250820.0001", "--now", "2025-09-04T09:00:00+07:00")
    assert again.exit_code == 0, again.output
    assert "KN.20250820.0001 already attended" in again.output
    assert "enterprises 1/2 invitees 0/1 delegates 2" in again.output
    db.session.expire_all()
    reg = db.session.scalar(select(Registration).where(Registration.tracking_code == "KN.20250820.0001"))
    assert reg.attended is True and reg.delegates_present == 2
    assert reg.checked_in_at == dt.datetime(2025, 9, 4, 1, 5, tzinfo=dt.UTC)  # the first time stays
    assert db.session.scalars(select(AuditEvent.action)).all() == ["checkin.registration"]


def test_mark_is_refused_before_the_day_and_for_an_unknown_code(app, app_ctx):
    _scene()
    early = _run(app, "hn-diem-danh", "--mark", "KN.20250820.0001", "--now", "2025-09-03T16:59:00+07:00")
    assert early.exit_code == 1
    assert "Chưa đến ngày tổ chức Hội nghị" in early.output
    unknown = _run(app, "hn-diem-danh", "--mark", "KN.19990101.0001", "--now", "2025-09-04T08:00:00+07:00")
    assert unknown.exit_code == 1 and "no registration 'KN.19990101.0001'" in unknown.output
    missing = _run(app, "khong-co")
    assert missing.exit_code == 1 and "no conference 'khong-co'" in missing.output
    bad = _run(app, "hn-diem-danh", "--mark", "KN.20250820.0001", "--delegates", "0",
               "--now", "2025-09-04T08:00:00+07:00")
    assert bad.exit_code == 1 and "Số người tham dự phải từ 1" in bad.output
    db.session.expire_all()
    assert db.session.scalar(select(Registration.attended).where(Registration.tracking_code == "KN.20250820.0001")) \
        is False
