"""Property tests (hypothesis) for the functions every hostile value meets first: text cleaning, mail
headers, the tax code (MST), phone normalisation, and the working-day calendar."""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from email.message import EmailMessage

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.vn import mst

from config.rules import load_rules
from config.settings import PROJECT_ROOT
from webforms.domain.mail import header_safe
from webforms.domain.text import clean_text
from webforms.domain.validation import normalize_phone, normalize_tax_code
from webforms.domain.workdays import WorkingCalendar

pytestmark = pytest.mark.hostile

# Text with what people and scripts type: any code point (surrogates excluded: they cannot come
# through UTF-8), weighted towards whitespace, line breaks and control characters.
tricky = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(" \t\n\r\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\u00a0\u3000\u200b\ufeff"),
    ),
    max_size=300,
)


def _old_clean_text(value: str, multiline: bool) -> str:
    """The regex version clean_text replaced (quadratic on long runs of spaces): the reference."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", text)
    if not multiline:
        text = re.sub(r"\s*\n\s*", " ", text)
    return text.strip()


@settings(max_examples=300, deadline=None)
@given(value=tricky, multiline=st.booleans())
@example(value="a \n \n b", multiline=False)
@example(value="a\u2028Bcc: x@example.com", multiline=False)
def test_clean_text(value, multiline):
    cleaned = clean_text(value, multiline=multiline)
    assert cleaned == _old_clean_text(value, multiline)
    assert clean_text(cleaned, multiline=multiline) == cleaned
    assert unicodedata.is_normalized("NFC", cleaned)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\r]", cleaned)
    if not multiline:
        assert len(cleaned.splitlines()) <= 1


def test_clean_text_is_linear_on_long_whitespace_runs():
    """A 1,000,000-character field of spaces used to take minutes (a backtracking regex)."""
    for value in (" " * 1_000_000 + "x", "\t \u00a0" * 300_000, " \n" * 500_000):
        started = time.perf_counter()
        clean_text(value)
        clean_text(value, multiline=True)
        assert time.perf_counter() - started < 1.0


@settings(max_examples=300, deadline=None)
@given(value=tricky)
@example(value="Đã nhận\u2028Bcc: victim@example.com")
@example(value="x\u2029y")
def test_header_safe_values_are_one_line_and_accepted_by_the_email_package(value):
    subject = header_safe(value)
    assert len(subject) <= 200
    assert len(subject.splitlines()) <= 1
    message = EmailMessage()
    message["Subject"] = subject  # raises on a line break
    message["To"] = "a@example.vn"
    message.set_content("x")
    head = message.as_bytes().split(b"\n\n", 1)[0]
    names = [line.split(b":", 1)[0] for line in head.split(b"\n") if line[:1] not in (b" ", b"\t")]
    assert names.count(b"Subject") == 1
    assert b"Bcc" not in names


# -- tax code ------------------------------------------------------------------------------------------

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def check_digit(body: str) -> int:
    return 10 - sum(w * int(d) for w, d in zip(WEIGHTS, body, strict=True)) % 11


# python-stdnum's rules: the check digit, and an enterprise part (digits 3 to 9) that is not all zero.
valid_bodies = st.from_regex(r"\A[0-9]{9}\Z").filter(lambda b: check_digit(b) < 10 and b[2:] != "0000000")


@settings(max_examples=300, deadline=None)
@given(value=tricky)
@example(value="0100109106\x00-001")
@example(value="٠١٠٠١٠٩١٠٦")
@example(value="0100109106" + "-001" * 100)
def test_any_text_is_a_normalised_tax_code_or_a_vietnamese_message(value):
    number, message = normalize_tax_code(value)
    assert (number is None) != (message is None)
    if number is None:
        assert re.search("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", message)
    else:
        assert re.fullmatch(r"[0-9]{10}(-[0-9]{3})?", number)
        assert mst.is_valid(number)
        assert normalize_tax_code(number) == (number, None)


@settings(max_examples=200, deadline=None)
@given(body=valid_bodies, branch=st.integers(min_value=1, max_value=999), sep=st.sampled_from(["", " ", "-"]))
def test_valid_tax_codes_are_accepted_and_a_wrong_check_digit_is_refused(body, branch, sep):
    code = body + str(check_digit(body))
    assert normalize_tax_code(code) == (code, None)
    assert normalize_tax_code(f" {code}{sep}{branch:03d} ") == (f"{code}-{branch:03d}", None)
    wrong = body + str((check_digit(body) + 1) % 10)
    number, message = normalize_tax_code(wrong)
    assert number is None
    assert "sai chữ số kiểm tra" in message
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert normalize_tax_code(fullwidth) == (code, None)


# -- phone -------------------------------------------------------------------------------------------

PHONE = re.compile(r"\+84(?:[35789][0-9]{8}|2[0-9]{9})")


@settings(max_examples=400, deadline=None)
@given(value=st.one_of(tricky, st.from_regex(r"\A(\+84|0084|84|0)?[ .()/-]?[0-9 .\-]{6,14}\Z")))
@example(value="09١٢٣٤٥٦٧٨")
@example(value="0225٣٨٣٦١٢٣")
@example(value="+84 0912 345 678")
def test_any_text_is_a_plus84_number_in_ascii_digits_or_none(value):
    phone = normalize_phone(value)
    if phone is not None:
        assert PHONE.fullmatch(phone), phone
        assert normalize_phone(phone) == phone


@settings(max_examples=300, deadline=None)
@given(
    national=st.one_of(st.from_regex(r"\A[35789][0-9]{8}\Z"), st.from_regex(r"\A2[0-9]{9}\Z")),
    prefix=st.sampled_from(["0", "+84", "0084", "+84 0", "(0", "84"]),
    separators=st.lists(st.sampled_from(["", " ", ".", "-", "  "]), min_size=12, max_size=12),
    fullwidth=st.booleans(),
)
def test_every_way_of_writing_a_number_gives_the_same_plus84(national, prefix, separators, fullwidth):
    if prefix == "84" and len(national) not in (9, 10):
        return
    written = prefix + ")" * prefix.startswith("(") + "".join(
        d + s for d, s in zip(national, separators, strict=False)
    )
    if fullwidth:
        written = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in written)
    assert normalize_phone(written) == "+84" + national


# -- working days ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(load_rules(PROJECT_ROOT / "config").holidays)


dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2032, 12, 31))


@settings(max_examples=200, deadline=None)
@given(start=dates, a=st.integers(min_value=0, max_value=30), b=st.integers(min_value=0, max_value=30),
       sign=st.sampled_from([1, -1]))
def test_adding_working_days_is_additive_in_one_direction(cal, start, a, b, sign):
    assert cal.add_working_days(cal.add_working_days(start, sign * a), sign * b) == cal.add_working_days(
        start, sign * (a + b)
    )


@settings(max_examples=200, deadline=None)
@given(d1=dates, d2=dates, n=st.integers(min_value=-30, max_value=30))
def test_adding_working_days_keeps_the_order_of_dates(cal, d1, d2, n):
    d1, d2 = sorted((d1, d2))
    assert cal.add_working_days(d1, n) <= cal.add_working_days(d2, n)
    assert cal.working_days_between(d1, d2) >= 0
    w1, w2 = cal.next_working_day(d1), cal.next_working_day(d2)
    assert cal.working_days_between(w1, w2) == -cal.working_days_between(w2, w1)
    assert cal.add_working_days(w1, cal.working_days_between(w1, w2)) == w2


@settings(max_examples=200, deadline=None)
@given(day=dates)
def test_sundays_never_work_and_a_day_off_always_says_why(cal, day):
    reason = cal.day_off_reason(day)
    if day.weekday() == 6:
        assert reason
    if reason is not None:
        assert isinstance(reason, str)
        assert reason.strip()
    assert cal.is_working_day(day) == (reason is None)
    assert cal.is_working_day(cal.next_working_day(day))
    assert cal.next_working_day(day) >= day
