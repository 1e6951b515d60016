import datetime as dt
import shutil

import pytest
import yaml

from config.rules import RulesError, load_rules
from config.schema import FILES
from config.settings import PROJECT_ROOT
from tests.moments import CONFERENCE_START, VN
from webforms.domain.plan import milestones_for
from webforms.domain.workdays import WorkingCalendar


@pytest.fixture(scope="module")
def rules():
    return load_rules(PROJECT_ROOT / "config")


@pytest.fixture(scope="module")
def cal(rules):
    return WorkingCalendar(rules.holidays)


def by_name(milestones):
    return {m.name: m for m in milestones}


def test_reference_conference_milestones(rules, cal):
    ms = by_name(milestones_for(CONFERENCE_START, rules.plan, cal))
    assert ms["announce_by"].due.date() == dt.date(2025, 8, 22)
    assert ms["intake_closes"].due.isoformat() == "2025-08-26T23:59:59+07:00"
    assert ms["answers_prepared_by"].due.date() == dt.date(2025, 9, 3)
    assert ms["conference"].due == CONFERENCE_START
    assert ms["written_reply"].due.date() == dt.date(2025, 9, 15)
    assert ms["coordinated_reply"].due.date() == dt.date(2025, 9, 24)
    assert ms["results_report"].due.date() == dt.date(2025, 9, 15)
    assert ms["intake_closes"].owner == "DNGSDT"
    assert ms["announce_by"].owner == "VP"


def test_milestones_are_ordered_and_in_local_time(rules, cal):
    ms = milestones_for(CONFERENCE_START, rules.plan, cal)
    assert [m.due for m in ms] == sorted(m.due for m in ms)
    assert all(m.due.utcoffset() == dt.timedelta(hours=7) for m in ms)
    assert all(m.label and m.description for m in ms)


def test_same_instant_given_in_utc_gives_same_plan(rules, cal):
    utc = CONFERENCE_START.astimezone(dt.UTC)
    assert [m.due for m in milestones_for(utc, rules.plan, cal)] == [
        m.due for m in milestones_for(CONFERENCE_START, rules.plan, cal)
    ]


def test_naive_start_is_refused(rules, cal):
    with pytest.raises(ValueError, match="timezone-aware"):
        milestones_for(dt.datetime(2025, 9, 4, 8, 30), rules.plan, cal)  # noqa: DTZ001 - the point of the test


def test_offsets_come_from_yaml(tmp_path, rules):
    for name in FILES:
        shutil.copy(PROJECT_ROOT / "config" / name, tmp_path / name)
    plan = yaml.safe_load((tmp_path / "plan.yaml").read_text(encoding="utf-8"))
    for m in plan["milestones"]:
        if m["name"] == "intake_closes":
            m["offset"] = -3
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    changed = load_rules(tmp_path)
    ms = by_name(milestones_for(CONFERENCE_START, changed.plan, WorkingCalendar(changed.holidays)))
    assert ms["intake_closes"].due.date() == dt.date(2025, 8, 28)


def test_broken_rules_are_refused_with_the_reason(tmp_path):
    for name in FILES:
        shutil.copy(PROJECT_ROOT / "config" / name, tmp_path / name)
    deps = yaml.safe_load((tmp_path / "departments.yaml").read_text(encoding="utf-8"))
    deps["departments"][1]["fields"].append("NO_SUCH_FIELD")
    (tmp_path / "departments.yaml").write_text(yaml.safe_dump(deps, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RulesError, match="NO_SUCH_FIELD"):
        load_rules(tmp_path)


def test_local_timezone_constant_matches_plan(rules):
    assert rules.plan.timezone == VN
