"""Inputs for intake tests: a valid registration in the API's shape, the same as form fields, CSRF."""

from __future__ import annotations

import copy
import re

from tests.factories import valid_tax_code

_counter = iter(range(1, 10**6))


def registration_payload(*, tax_code: str | None = None, recommendations: int = 2, **overrides) -> dict:
    n = next(_counter)
    data = {
        "enterprise": {
            "tax_code": tax_code or valid_tax_code(500 + n),
            "name": f"Công ty TNHH Cơ khí Chính xác Hải Phòng {n}",
            "zone": "KCN-VSIP",
            "address": "Lô CN5, KCN VSIP Hải Phòng, xã Thủy Nguyên, thành phố Hải Phòng",
            "sector": "Sản xuất linh kiện cơ khí",
        },
        "contact": {
            "name": "Trần Thị Bình",
            "position": "Trưởng phòng Hành chính",
            "email": f"binh{n}@cokhi.example.vn",
            "phone": "0912 345 678",
        },
        "attendees": [
            {"name": "Trần Thị Bình", "position": "Trưởng phòng Hành chính"},
            {"name": "Lê Văn Cường", "position": "Phó Giám đốc"},
        ],
        "recommendations": [
            {
                "title": f"Vướng mắc thủ tục điều chỉnh giấy chứng nhận đăng ký đầu tư {i + 1}",
                "content": "Doanh nghiệp đề nghị hướng dẫn thành phần hồ sơ điều chỉnh tiến độ dự án.",
                "field": "DAU_TU",
                "agency": "Phòng Quản lý Đầu tư",
            }
            for i in range(recommendations)
        ],
        "declaration": True,
    }
    for path, value in overrides.items():
        set_path(data, path, value)
    return data


def set_path(data: dict, dotted: str, value) -> None:
    """set_path(d, "enterprise__tax_code", x) or set_path(d, "recommendations.0.content", x)."""
    parts = dotted.replace("__", ".").split(".")
    target = data
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


def form_fields(payload: dict, *, attendee_rows: int = 3) -> dict:
    """The same registration as the HTML form posts it (WTForms FormField/FieldList names)."""
    payload = copy.deepcopy(payload)
    fields = {}
    for key, value in payload["enterprise"].items():
        fields[f"enterprise-{key}"] = value
    for key, value in payload["contact"].items():
        fields[f"contact-{key}"] = value
    for i in range(attendee_rows):
        attendee = payload["attendees"][i] if i < len(payload["attendees"]) else {"name": "", "position": ""}
        for key, value in attendee.items():
            fields[f"attendees-{i}-{key}"] = value
    for i, rec in enumerate(
        payload["recommendations"] or [{"title": "", "content": "", "field": "", "agency": ""}]
    ):
        for key, value in rec.items():
            fields[f"recommendations-{i}-{key}"] = value
    if payload.get("declaration") is True:
        fields["declaration"] = "y"
    return fields


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


def fetch_form(client, url: str) -> dict:
    """GET the form and return its hidden fields (CSRF token, submission key)."""
    page = client.get(url).get_data(as_text=True)
    token = _CSRF.search(page)
    assert token, "the form page carries a CSRF token"
    hidden = {"csrf_token": token.group(1)}
    key = _KEY.search(page)
    if key:
        hidden["submission_key"] = key.group(1)
    return hidden


LINK_PATTERN = re.compile(r"/theo-doi/(KN\.\d{8}\.\d{4})\?token=([A-Za-z0-9_\-]+)")


def private_link(app, mailbox, address: str) -> tuple[str, str]:
    """(tracking code, private token) of the last receipt mailed to `address`: the API answers the same
    whatever happened (F17), so the link reaches the registrant by email only. Runs the queued jobs."""
    from tests.jobs import run_jobs
    from webforms.extensions import db

    db.session.rollback()  # SQLite: the worker writes from another session
    run_jobs(app)
    links = [m for received in mailbox.to(address) for m in LINK_PATTERN.finditer(received.text)]
    assert links, f"no receipt with a private link for {address}"
    return links[-1].group(1), links[-1].group(2)


def registration_of(tax_code: str):
    """The registration made with `tax_code` (one conference), read from the database."""
    from sqlalchemy import select

    from webforms.extensions import db
    from webforms.models import Enterprise, Registration

    return db.session.scalar(select(Registration).join(Enterprise).where(Enterprise.tax_code == tax_code)
                             .order_by(Registration.id.desc()))
