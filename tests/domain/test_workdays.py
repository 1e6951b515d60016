import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.rules import CalendarEntry, HolidayOverrides, load_rules
from config.settings import PROJECT_ROOT
from webforms.domain.workdays import WorkingCalendar

D = dt.date


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(load_rules(PROJECT_ROOT / "config").holidays)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 1, 1), False),  # Tết Dương lịch
        (D(2025, 1, 27), False),  # Tết Ất Tỵ, 28 tháng Chạp (the month had 29 days)
        (D(2025, 1, 31), False),
        (D(2025, 2, 3), True),  # back to work after Tết
        (D(2025, 4, 7), False),  # Giỗ Tổ observed Monday
        (D(2025, 4, 26), True),  # Saturday swapped into a working day
        (D(2025, 4, 30), False),
        (D(2025, 5, 1), False),
        (D(2025, 5, 2), False),  # the day swapped off for 26/04
        (D(2025, 9, 1), False),  # the day adjacent to Quốc khánh
        (D(2025, 9, 2), False),
        (D(2025, 9, 3), True),
        (D(2026, 2, 16), False),  # Tết Bính Ngọ
        (D(2026, 2, 20), False),
        (D(2026, 8, 22), True),  # make-up Saturday for 31/08/2026
        (D(2026, 8, 31), False),
        (D(2026, 1, 2), False),  # from config/holidays.yaml (12729/VPCP-KGVX)
        (D(2026, 1, 10), True),  # make-up Saturday from config/holidays.yaml
        (D(2025, 8, 30), False),  # an ordinary Saturday
        (D(2025, 8, 29), True),  # an ordinary Friday
    ],
)
def test_known_days(cal, day, working):
    assert cal.is_working_day(day) is working


def test_day_off_reasons_are_vietnamese(cal):
    assert "Quốc khánh" in cal.day_off_reason(D(2025, 9, 2))
    assert "cuối tuần" in cal.day_off_reason(D(2025, 8, 30))
    assert "12729" not in cal.day_off_reason(D(2026, 1, 2))  # the name, not the source, is the reason
    assert "Tết Dương lịch" in cal.day_off_reason(D(2026, 1, 2))
    assert cal.day_off_reason(D(2025, 9, 3)) is None


def test_add_working_days_across_national_day(cal):
    assert cal.add_working_days(D(2025, 9, 4), -5) == D(2025, 8, 26)
    assert cal.add_working_days(D(2025, 9, 4), -7) == D(2025, 8, 22)
    assert cal.add_working_days(D(2025, 9, 4), 7) == D(2025, 9, 15)
    assert cal.add_working_days(D(2025, 9, 4), 14) == D(2025, 9, 24)
    assert cal.add_working_days(D(2025, 9, 4), 0) == D(2025, 9, 4)


def test_add_working_days_across_tet_and_year_boundary(cal):
    # 31/12/2025 (Wed) + 1: 01/01 holiday, 02/01 decreed day off, 03-04 weekend -> Mon 05/01/2026.
    assert cal.add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 5)
    # Back from 12/01/2026: the make-up Saturday 10/01 counts.
    assert cal.add_working_days(D(2026, 1, 12), -1) == D(2026, 1, 10)
    # Friday 13/02/2026 + 1 skips the whole Tết week.
    assert cal.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert cal.add_working_days(D(2026, 2, 23), -1) == D(2026, 2, 13)


def test_add_working_days_around_labour_day_swap(cal):
    # Fri 25/04/2025 + 1 = the swapped Saturday 26/04; + 2 = Mon 28/04.
    assert cal.add_working_days(D(2025, 4, 25), 1) == D(2025, 4, 26)
    assert cal.add_working_days(D(2025, 4, 25), 2) == D(2025, 4, 28)
    assert cal.add_working_days(D(2025, 4, 29), 1) == D(2025, 5, 5)  # 30/4, 1/5, 2/5, weekend skipped


def test_working_days_between(cal):
    assert cal.working_days_between(D(2025, 9, 4), D(2025, 9, 15)) == 7
    assert cal.working_days_between(D(2025, 9, 15), D(2025, 9, 4)) == -7
    assert cal.working_days_between(D(2025, 9, 4), D(2025, 9, 4)) == 0


def test_explain_lists_skipped_days(cal):
    computation = cal.explain_add(D(2025, 9, 4), -5)
    assert [d.date for d in computation.skipped] == [D(2025, 9, 2), D(2025, 9, 1), D(2025, 8, 31), D(2025, 8, 30)]


def test_overrides_win_over_the_package():
    overrides = HolidayOverrides(
        days_off=(CalendarEntry(D(2025, 9, 3), "Nghỉ thử", "test"),),
        working_days=(CalendarEntry(D(2025, 9, 1), "Làm bù thử", "test"),),
    )
    cal = WorkingCalendar(overrides)
    assert cal.is_working_day(D(2025, 9, 1))
    assert cal.day_off_reason(D(2025, 9, 3)) == "Nghỉ thử"


working_dates = st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 12, 31))


@settings(max_examples=200, deadline=None)
@given(start=working_dates, n=st.integers(min_value=-40, max_value=40))
def test_result_is_always_a_working_day(cal, start, n):
    result = cal.add_working_days(start, n)
    if n != 0:
        assert cal.is_working_day(result)
        assert (result > start) == (n > 0)
        assert cal.working_days_between(start, result) == n


@settings(max_examples=200, deadline=None)
@given(start=working_dates, n=st.integers(min_value=1, max_value=40))
def test_forward_then_back_returns_to_a_working_day(cal, start, n):
    start = cal.next_working_day(start)
    assert cal.add_working_days(cal.add_working_days(start, n), -n) == start


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (D(2025, 1, 27), "Nghỉ Tết Nguyên đán (28 tháng Chạp)"),  # tháng Chạp Giáp Thìn had 29 days
        (D(2027, 2, 4), "Nghỉ Tết Nguyên đán (28 tháng Chạp)"),  # tháng Chạp Bính Ngọ has 29 days
        (D(2024, 2, 8), "Nghỉ Tết Nguyên đán (29 tháng Chạp)"),  # tháng Chạp Quý Mão had 30 days
        (D(2025, 5, 2), "Nghỉ hoán đổi (làm bù thứ Bảy 26/04/2025)"),
    ],
)
def test_tet_and_swap_labels(cal, day, label):
    assert cal.day_off_reason(day) == label


def test_the_twelfth_lunar_month_is_computed_not_listed():
    from webforms.domain.workdays import lunar_month_length_before

    # Tết 29/01/2025, 17/02/2026, 06/02/2027, 10/02/2024 (Hồ Ngọc Đức's tables, UTC+7).
    assert [lunar_month_length_before(d) for d in (D(2025, 1, 29), D(2026, 2, 17), D(2027, 2, 6),
                                                    D(2024, 2, 10))] == [29, 29, 29, 30]
    with pytest.raises(ValueError):
        lunar_month_length_before(D(2025, 3, 3))


def test_24_november_is_decided_in_holidays_yaml(cal):
    """The package makes 24/11 a day off from 2026; holidays.yaml decides it, with its source."""
    rules = load_rules(PROJECT_ROOT / "config")
    (entry,) = [e for e in rules.holidays.working_days if e.date == D(2026, 11, 24)]
    assert "Điều 112" in entry.source
    assert cal.is_working_day(D(2026, 11, 24))


def test_confirmed_years_and_projections(cal):
    assert cal.is_confirmed(2025) and cal.is_confirmed(2026) and not cal.is_confirmed(2027)
    assert not cal.explain_add(D(2026, 9, 3), 7).tentative
    # D in December 2026, D+14 working days in January 2027: computed through an unannounced year.
    crossing = cal.explain_add(D(2026, 12, 16), 14)
    assert crossing.result == D(2027, 1, 6)
    assert crossing.tentative and crossing.unconfirmed_years == (2027,)
    assert cal.explain_add(D(2027, 1, 6), -14).tentative


def test_holidays_is_pinned_to_the_installed_version():
    import tomllib
    from importlib.metadata import version

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    pins = [d for d in project["project"]["dependencies"] if d.startswith("holidays")]
    assert pins == [f"holidays=={version('holidays')}"]
