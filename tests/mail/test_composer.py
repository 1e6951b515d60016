"""The one composer: what the SMTP server receives decodes, with Python's parser, to what was meant."""

from __future__ import annotations

import datetime as dt
import email
import email.utils
import re
from email import policy
from email.header import decode_header, make_header

from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.jobs import run_jobs
from webforms.domain import outbox
from webforms.domain.mail import ascii_file_name, display_name_safe, header_safe, mime_message, sender_domain
from webforms.extensions import db
from webforms.services import services

VIETNAMESE = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
    "AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐEÈÉẺẼẸÊỀẾỂỄỆIÌÍỈĨỊOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢUÙÚỦŨỤƯỪỨỬỮỰYỲÝỶỸỴ"
    "0123456789"
)
PUNCTUATION = "[]().,:;–-/&'\"?!%"
word = st.text(alphabet=VIETNAMESE + PUNCTUATION, min_size=1, max_size=12)
separator = st.sampled_from([" ", " ", " ", " ", "  "])


@st.composite
def phrases(draw, max_size: int = 300) -> str:
    """Vietnamese text of 1 to max_size characters: words, mostly one space apart, sometimes two."""
    words = draw(st.lists(word, min_size=1, max_size=60))
    text = words[0]
    for w in words[1:]:
        text += draw(separator) + w
    size = draw(st.integers(min_value=1, max_value=max_size))
    return text[:size].strip() or "A"


SUBJECT_CASES = [
    "[KN.20261202.0001] Đã nhận đăng ký tham dự và kiến nghị – Hội nghị đối thoại doanh nghiệp năm 2026",
    "Giấy mời tham dự Hội nghị đối thoại doanh nghiệp năm 2026",
    "[KN.20261202.0002-1] Trả lời kiến nghị của doanh nghiệp: Vướng mắc thủ tục điều chỉnh giấy chứng nhận đăng ký "
    "đầu tư dự án mở rộng nhà xưởng",
    "[KN.20261202.0003-1] Đề nghị phối hợp trả lời kiến nghị: Thủ tục lắp đặt điện mặt trời mái nhà tự sản xuất, "
    "tự tiêu thụ",
]


def _sent(mailbox, count: int):
    received = mailbox.wait_for(count)
    assert len(received) == count
    return [email.message_from_bytes(r.raw, policy=policy.default) for r in received]


def test_the_reviewed_subjects_keep_their_spaces(app, mailbox):
    """The four subjects the review found merged ("thamdự", "đốithoại", "nghịcủa", "điệnmặt")."""
    with app.app_context():
        for i, subject in enumerate(SUBJECT_CASES):
            outbox.queue_mail(to=[f"Công ty TNHH Thương mại và Dịch vụ Hải Phòng số {i} <dn{i}@example.vn>"],
                              subject=subject, text="Nội dung.", dedupe_key=f"subject-case:{i}",
                              message_domain=sender_domain(services().settings))
        db.session.commit()
    run_jobs(app)
    decoded = sorted((str(m["Subject"]) for m in _sent(mailbox, len(SUBJECT_CASES))), key=SUBJECT_CASES.index)
    assert decoded == SUBJECT_CASES


# Each example is a real SMTP round trip: no shrinking (minutes of them); a failure shows its example as drawn.
@hypothesis_settings(max_examples=25, phases=[Phase.explicit, Phase.reuse, Phase.generate], deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(phrases(), phrases()), min_size=1, max_size=8))
def test_subjects_and_display_names_decode_as_written(app, mailbox, settings, cases):
    mailbox.clear()
    with app.app_context():
        rows = []
        for i, (subject, name) in enumerate(cases):
            row = outbox.queue_mail(to=[f"{_quoted(name)} <nguoinhan{i}@example.vn>"], subject=subject,
                                    text="Nội dung thư.", html="<p>Nội dung</p>", dedupe_key=None,
                                    message_domain=sender_domain(services().settings))
            rows.append((row.message_id, header_safe(subject), display_name_safe(name)))
        db.session.commit()
    run_jobs(app)
    by_id = {str(m["Message-ID"]): m for m in _sent(mailbox, len(cases))}
    for message_id, subject, name in rows:
        message = by_id[message_id]
        assert str(message["Subject"]) == subject
        assert message["To"].addresses[0].display_name == name
        assert message["From"].addresses[0].display_name == email.utils.parseaddr(settings.mail_default_sender)[0]
    meant = {message_id: (subject, name) for message_id, subject, name in rows}
    for received in mailbox.messages:
        assert max(len(line) for line in received.raw.split(b"\r\n")) <= 998
        # A second, older decoder: the standard library's compat32 decode_header, strict about RFC 2047 §6.2.
        old = email.message_from_bytes(received.raw, policy=policy.compat32)
        subject, name = meant[old["Message-ID"]]
        assert _compat32_decoded(old["Subject"]) == subject
        assert _compat32_decoded(email.utils.parseaddr(old["To"])[0]) == name
        assert received.raw.split(b"\r\n\r\n", 1)[0].isascii()  # headers need no SMTPUTF8


def _compat32_decoded(value: str) -> str:
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", value)
    return str(make_header(decode_header(unfolded)))


def _quoted(name: str) -> str:
    """`name` as the display name of an address string ("…" with its quotes and backslashes escaped)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_date_message_id_calendar_and_file_names(app, mailbox, rules, settings):
    now = dt.datetime(2026, 12, 24, 1, 0, tzinfo=dt.UTC)
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nSUMMARY:H\xe1\xbb\x99i ngh\xe1\xbb\x8b\r\nEND:VCALENDAR\r\n"
    with app.app_context():
        row = outbox.queue_mail(to=["dn@example.vn"], subject="Giấy mời", text="x", dedupe_key="composer:1",
                                attachments=[{"filename": "hoi-nghi.ics", "content_type": "text/calendar",
                                              "data_b64": "QkVHSU46VkNBTEVOREFSDQpNRVRIT0Q6UFVCTElTSA0K"}],
                                message_domain=sender_domain(services().settings))
        # MAIL_DEFAULT_SENDER's domain, not "doithoai.local"
        assert row.message_id.endswith("@" + settings.mail_default_sender.rsplit("@", 1)[1])
        message = mime_message(row.payload, sender="Ban Quản lý <doithoai@heza.example.vn>",
                               message_id=row.message_id, now=now, timezone=rules.plan.timezone,
                               attachment_bytes=lambda a: ics)
        db.session.rollback()
    assert message["Date"] == "Thu, 24 Dec 2026 08:00:00 +0700"
    part = next(message.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "PUBLISH"
    assert part.get_param("charset") == "utf-8"
    assert ascii_file_name("Giấy mời Hội nghị đối thoại doanh nghiệp năm 2026", "docx") == (
        "Giay-moi-Hoi-nghi-doi-thoai-doanh-nghiep-nam-2026.docx")
    assert re.fullmatch(r"[A-Za-z0-9.-]+", ascii_file_name("Bảng tổng hợp kiến nghị: KCN Đình Vũ / 2026", "docx"))


def test_an_address_with_a_vietnamese_local_part_goes_out_with_smtputf8(app, mailbox):
    """Flask-Mail's own address sanitizer refuses such an address; the composer's message still goes out."""
    with app.app_context():
        outbox.queue_mail(to=["Nguyễn Văn An <nguyễn@example.vn>"], subject="Thư thử", text="x", dedupe_key="utf8:1",
                          message_domain=sender_domain(services().settings))
        outbox.queue_mail(to=["người@dùng.việtnam"], subject="Thư thử", text="x", dedupe_key="utf8:2",
                          message_domain=sender_domain(services().settings))
        db.session.commit()
    run_jobs(app)
    received = sorted(mailbox.wait_for(2), key=lambda r: r.rcpt_tos)
    assert [r.rcpt_tos for r in received] == [["nguyễn@example.vn"], ["người@dùng.việtnam"]]
    message = email.message_from_bytes(received[0].raw, policy=policy.default)
    assert message["To"].addresses[0].display_name == "Nguyễn Văn An"
    assert str(message["Subject"]) == "Thư thử"


def test_the_consolidating_department_is_not_told_about_itself_in_the_third_person(app_ctx, rules):
    from types import SimpleNamespace

    from webforms.domain.mail import compose

    own = rules.consolidating_department
    other = next(d for d in rules.departments if d.is_internal and not d.consolidates)
    item = SimpleNamespace(recommendation=SimpleNamespace(code="KN.20261202.0001-1", title="Thủ tục"),
                           enterprise=SimpleNamespace(name="Công ty TNHH A"), link="http://x/1",
                           deadlines=[SimpleNamespace(name="answers_prepared_by", applies=True,
                                                      due=dt.datetime(2026, 12, 29, tzinfo=dt.UTC))])
    mine = compose("assignments_digest_to_department", {"department": own, "items": [item]}, rules)
    theirs = compose("assignments_digest_to_department", {"department": other, "items": [item]}, rules)
    assert f"để {own.name} chủ trì" not in mine.text
    assert "đề nghị Phòng chủ trì tham mưu trả lời" in mine.text and "đề nghị Phòng chủ trì" in mine.html
    assert f"{own.name} chuyển 1 kiến nghị của doanh nghiệp để {other.name} chủ trì trả lời." in theirs.text
    for composed in (mine, theirs):
        assert composed.text.count("Trân trọng./.") == 1
        assert f"Điện thoại: {own.phone} – Email: {own.emails[0]}" in composed.text
        assert rules.plan.agency.short_name in composed.html


def test_every_email_template_compiles_and_none_names_the_agency_itself(app_ctx, rules):
    from pathlib import Path

    from flask import current_app

    folder = Path(current_app.root_path) / "templates" / "emails"
    names = sorted(p.name for p in folder.iterdir() if p.suffix in (".txt", ".html"))
    assert len(names) > 40
    for name in names:
        current_app.jinja_env.get_template(f"emails/{name}")
        source = (folder / name).read_text(encoding="utf-8")
        assert rules.plan.agency.short_name not in source, name  # from plan.agency, never written in
        assert "host_agency" not in source, name
        # One form of address in every email (Decree 30/2020's "Kính gửi: …"), and the sender signs once, in
        # emails/_closing: a body that ends with the unit's name signs twice.
        assert source.count("Kính gửi") == source.count("Kính gửi: "), name
        assert "Kính gửi: " in source or name.startswith("_") or name == "base.html", name
        assert not re.search(r"(^|<br>)\{\{ consolidating\.name \}\}(</p>)?$", source, re.M), name


def test_a_receipt_is_signed_and_its_message_id_is_on_the_senders_domain(app, client, mailbox, rules, calendar,
                                                                         settings):
    from tests.intake_helpers import registration_payload
    from tests.web.test_intake import open_conference

    with app.app_context():
        slug = open_conference(rules, calendar).slug
    assert client.post(f"/api/v1/conferences/{slug}/registrations", json=registration_payload()).status_code == 202
    run_jobs(app)
    (receipt,) = mailbox.messages
    domain = settings.mail_default_sender.rsplit("@", 1)[1].rstrip(">")
    assert receipt.message["Message-ID"].endswith(f"@{domain}>")  # was "@doithoai.local"
    # to an address nobody has confirmed: addressed by the tax code, not by what was typed (F8)
    assert receipt.text.startswith("Kính gửi: Người liên hệ của doanh nghiệp mã số thuế ")
    assert "Trân trọng./." in receipt.text and rules.consolidating_department.emails[0] in receipt.text
