"""What every page shares: the agency's name from the rules (never written in a template), machine-readable
times to the second in local time, and forms whose hidden inputs carry no id."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from webforms.formatting import datetime_attribute


def test_page_templates_take_the_agency_name_from_the_rules(app, client):
    services = app.extensions["doithoai"]
    saved = services.rules
    plan = dataclasses.replace(saved.plan, agency=dataclasses.replace(saved.plan.agency,
                                                                      short_name="Sở Thử nghiệm Tỉnh Mẫu"))
    services.rules = dataclasses.replace(saved, plan=plan)
    try:
        for lang in ("vi", "en"):
            html = client.get(f"/?lang={lang}").get_data(as_text=True)
            assert "Sở Thử nghiệm Tỉnh Mẫu" in html.split("<title>")[1].split("</title>")[0]
            assert html.count("Sở Thử nghiệm Tỉnh Mẫu") == 3  # title, introduction, footer
            assert "Khu kinh tế Hải Phòng" not in html and "Economic Zone" not in html
    finally:
        services.rules = saved


def test_time_attributes_are_local_seconds_with_the_offset():
    value = dt.datetime(2026, 12, 1, 19, 24, 55, 466078, tzinfo=dt.UTC)
    assert datetime_attribute(value) == "2026-12-02T02:24:55+07:00"
    assert datetime_attribute(None) == ""


def test_hidden_inputs_carry_no_id(client):
    html = client.get("/quan-tri/dang-nhap").get_data(as_text=True)
    (token,) = re.findall(r"<input[^>]*name=\"csrf_token\"[^>]*>", html)
    assert "id=" not in token
