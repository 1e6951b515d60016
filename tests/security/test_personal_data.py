"""Item 11: a notice on the form; staff export everything held about one enterprise and erase the people's
data, both audited."""

import json

import pytest
from sqlalchemy import select

from tests.factories import valid_tax_code
from tests.intake_helpers import registration_payload
from tests.web.test_intake import form_url, open_conference
from webforms.extensions import db
from webforms.models import AuditEvent, Recommendation, Registration

pytestmark = pytest.mark.security


def test_the_form_says_what_is_collected_why_for_how_long_and_who_receives_it(client, app_ctx, rules, calendar):
    page = client.get(form_url(open_conference(rules, calendar))).get_data(as_text=True)
    for words in ("Thông báo về xử lý dữ liệu cá nhân", "Dữ liệu thu thập", "Mục đích", "Bên nhận",
                  "Thời hạn lưu trữ", "Nghị định số 13/2023/NĐ-CP"):
        assert words in page, words
    retention = rules.checked.security.retention  # the periods the rules set, as the daily anonymisation uses
    assert (f"người liên hệ được lưu {retention.contacts_days} ngày" in page
            and f"người tham dự {retention.attendees_days} ngày" in page), page


def test_export_then_erase_one_enterprise(app, client, app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    tax_code = valid_tax_code(5151)
    payload = registration_payload(tax_code=tax_code, **{"contact.email": "ca.nhan@congty.example",
                                                          "contact.name": "Phạm Thị Riêng"})
    response = client.post(f"/api/v1/conferences/{conference.slug}/registrations", json=payload)
    assert response.status_code == 202
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["privacy", "export", "--tax-code", tax_code], catch_exceptions=False)
    assert exported.exit_code == 0
    data = json.loads(exported.output)
    registration = data["registrations"][0]
    assert registration["contact"]["email"] == "ca.nhan@congty.example"
    assert registration["attendees"] and registration["recommendations"][0]["title"]
    assert data["history"]  # what was done with it, from the audit log
    erased = runner.invoke(args=["privacy", "erase", "--tax-code", tax_code, "--yes"], catch_exceptions=False)
    assert erased.exit_code == 0
    db.session.expire_all()
    reg = db.session.scalar(select(Registration))
    assert (reg.contact_name, reg.contact_email, reg.contact_phone, reg.attendees) == (
        "[đã xóa]", "da-xoa@invalid", "", [])
    assert db.session.scalar(select(Recommendation.title))  # the public record stays
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == tax_code)))
    assert {"privacy.export", "privacy.erase"} <= actions
    again = runner.invoke(args=["privacy", "export", "--tax-code", tax_code], catch_exceptions=False)
    assert "Phạm Thị Riêng" not in again.output and "ca.nhan@congty.example" not in again.output
    assert runner.invoke(args=["privacy", "export", "--tax-code", "0000000000"]).exit_code != 0
