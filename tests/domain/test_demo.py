"""The demo conference of `make run` (doithoai seed-demo): its data file is checked, and the agency's names
come from the rules, so another agency's rules give a demo with no word of HEZA. It is created with the
calendar and the settings, as the back office creates one; create_conference refuses a calendar without
the settings its warning would be sent with (it failed after the INSERT before)."""

from __future__ import annotations

import datetime as dt

import pytest

from config.rules import load_rules
from tests.documents.test_signers import HEZA_WORDS, SECOND_AGENCY, copy_config
from webforms.domain.demo import DEMO_FILE, DemoDataError, demo_data, seed_demo
from webforms.domain.workdays import calendar_for

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


def test_the_demo_is_in_the_agency_of_the_rules(tmp_path, db_session, settings):
    rules = load_rules(copy_config(tmp_path, *SECOND_AGENCY))
    conference, created = seed_demo(rules, calendar_for(rules.holidays), settings, NOW)
    assert created
    agency = "Ban Quản lý các Khu công nghệ cao và công nghiệp Đà Nẵng"
    assert conference.venue == f"Hội trường tầng 3, trụ sở {agency}"
    assert conference.announcement_text.startswith(f"{agency} tổ chức Hội nghị đối thoại doanh nghiệp")
    assert conference.host_agency == agency
    organisations = [invitee.organisation for invitee in conference.invitees]
    assert "UBND thành phố Đà Nẵng" in organisations and len(organisations) == len(demo_data().invitees)
    shown = " ".join([conference.title, conference.venue, conference.announcement_text, *organisations,
                      *(invitee.name for invitee in conference.invitees)])
    assert "{" not in shown
    assert [word for word in HEZA_WORDS if word in shown] == []
    starts = conference.starts_at.astimezone(rules.plan.timezone)
    assert starts.time() == dt.time(8, 30)
    assert conference.title == f"Hội nghị đối thoại doanh nghiệp năm {starts.year}"


def test_a_demo_file_that_is_not_valid_is_refused_with_its_field(tmp_path):
    bad = tmp_path / "demo.yaml"
    bad.write_text(DEMO_FILE.read_text(encoding="utf-8").replace("lead_working_days: 20", "lead_working_days: 0")
                   .replace("trụ sở {agency}", "trụ sở {agencyy}").replace("năm {year}", "năm {year")
                   + "\nvenu: typo\n", encoding="utf-8")
    with pytest.raises(DemoDataError) as refused:
        demo_data(bad)
    message = str(refused.value)
    assert str(bad) in message
    assert "lead_working_days" in message and "venu" in message
    assert "unknown placeholder(s) ['agencyy']; known: ['agency', 'place', 'year']" in message
    assert "title" in message and "brace" in message


def test_a_conference_checked_against_the_calendar_needs_the_settings_its_warning_goes_with(db_session, rules,
                                                                                             calendar):
    from webforms.domain.conferences import create_conference
    from webforms.models import Conference

    with pytest.raises(TypeError, match="needs the settings"):
        create_conference(title="Hội nghị", starts_at=dt.datetime(2027, 3, 4, 8, 30, tzinfo=rules.plan.timezone),
                          venue="Hội trường", rules=rules, calendar=calendar)
    assert db_session.scalar(db_session.query(Conference.id).exists().select()) is False
