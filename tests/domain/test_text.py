"""Regressions found by the hostile-input suite: text cleaning and phone numbers."""

import time
from email.message import EmailMessage

from webforms.domain.mail import header_safe
from webforms.domain.text import clean_text
from webforms.domain.validation import normalize_phone


def test_clean_text_is_linear_on_a_long_run_of_spaces():
    # The regex \s*\n\s* backtracked quadratically: 100,000 spaces took about 50 s of CPU per field.
    started = time.perf_counter()
    assert clean_text(" " * 1_000_000 + "x") == "x"
    assert time.perf_counter() - started < 1.0


def test_single_line_text_folds_every_line_break_with_its_spaces():
    assert clean_text("a \n \n b\r\nc") == "a b c"
    assert clean_text("Công ty\u2028Bcc: x@example.com") == "Công ty Bcc: x@example.com"
    assert clean_text("đoạn một\u2029đoạn hai", multiline=True) == "đoạn một\nđoạn hai"


def test_unicode_line_separator_cannot_break_a_subject():
    # U+2028 went through header_safe, then EmailMessage refused the subject: the mail job marked the
    # row failed and the department never got its assignment email.
    message = EmailMessage()
    message["Subject"] = header_safe("[KN.20250820.0001-1] Giao trả lời kiến nghị: A\u2028B")
    assert str(message["Subject"]).endswith("A B")


def test_phone_digits_of_other_scripts_are_refused_and_full_width_read_as_ascii():
    assert normalize_phone("09١٢٣٤٥٦٧٨") is None  # was stored as "+849١٢٣٤٥٦٧٨"
    assert normalize_phone("０９１２ ３４５ ６７８") == "+84912345678"


def test_a_lone_surrogate_becomes_a_replacement_character():
    # JSON can carry "\ud800"; stored as such it made the database driver raise (a 500 from the API).
    assert clean_text("a\ud800b\udfff") == "a\ufffdb\ufffd"
    clean_text("x\udc80").encode("utf-8")
