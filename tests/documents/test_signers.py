"""Signers, drafting units and the agency come from the rules (issue 14 item 2, documents part).
Each test renders the real template and re-opens the .docx."""

from __future__ import annotations

import pytest

from config.problems import RulesError
from config.rules import load_rules
from config.schema import FILES
from config.settings import PROJECT_ROOT
from tests.documents.conftest import build_full_conference
from tests.documents.test_render import _render, all_text
from webforms.domain.documents import KINDS

PLAN_SIGNER = ("KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", "Bùi Ngọc Hải")


def signature_block(text: str) -> str:
    """The text after "Nơi nhận:": the recipients and the signature block."""
    return text[text.rindex("Nơi nhận:"):]


@pytest.mark.parametrize(("kind", "authority", "title", "name"), [
    ("announcement", *PLAN_SIGNER),
    ("invitation", *PLAN_SIGNER),
    ("results_report", *PLAN_SIGNER),
    ("postponement_report", *PLAN_SIGNER),
    ("reply_letter", *PLAN_SIGNER),
    ("conclusion_notice", "TL. TRƯỞNG BAN", "CHÁNH VĂN PHÒNG", ""),
    ("consolidated_table", "", "TRƯỞNG PHÒNG DOANH NGHIỆP VÀ GIÁM SÁT ĐẦU TƯ", ""),
    ("budget_estimate", "", "CHÁNH VĂN PHÒNG", ""),
])
def test_each_kind_has_its_own_signer(kind, authority, title, name, full_conference, rules, subjects):
    context, data = _render(kind, full_conference.conference, rules, subjects.get(kind, {}))
    assert context["signer"] == {"authority": authority, "title": title, "name": name}
    block = signature_block(all_text(data)).splitlines()
    assert title in block
    if authority:
        assert authority in block
    if name:
        assert name in block
    else:  # the Deputy Head does not "sign" the table addressed to him, nor the estimate he approves
        assert "Bùi Ngọc Hải" not in block
        assert "KT. TRƯỞNG BAN" not in block


def test_a_conference_signer_set_in_the_back_office_signs_the_unlisted_kinds(full_conference, rules, subjects):
    conference = full_conference.conference
    conference.signer_authority, conference.signer_title, conference.signer_name = "", "TRƯỞNG BAN", "Lê Văn C"
    for kind in ("announcement", "invitation", "reply_letter"):
        _, data = _render(kind, conference, rules, subjects.get(kind, {}))
        block = signature_block(all_text(data)).splitlines()
        assert "TRƯỞNG BAN" in block and "Lê Văn C" in block
    _, data = _render("conclusion_notice", conference, rules, {})
    assert "Lê Văn C" not in all_text(data)
    assert "TL. TRƯỞNG BAN" in signature_block(all_text(data)).splitlines()


@pytest.mark.parametrize(("index", "unit"), [(0, "QHXD"), (1, "QLLĐ"), (2, "QLĐT"), (3, "TNMT")])
def test_a_reply_letter_bears_the_drafting_units_symbol_and_archive_line(index, unit, full_conference, rules):
    rec = full_conference.recommendations[index]
    _, data = _render("reply_letter", full_conference.conference, rules, {"recommendation": rec.code})
    text = all_text(data)
    assert f"Số:       /BQL-{unit}" in text
    assert f"- Lưu: VP, {unit}." in text.splitlines()
    assert "DN&GSĐT" not in text


def copy_config(tmp_path, *replacements: tuple[str, str]):
    target = tmp_path / "rules"
    target.mkdir()
    for name in FILES:
        text = (PROJECT_ROOT / "config" / name).read_text(encoding="utf-8")
        for old, new in replacements:
            text = text.replace(old, new)
        (target / name).write_text(text, encoding="utf-8")
    return target


def test_a_reply_letter_is_signed_by_the_deputy_in_charge_of_its_field(tmp_path, full_conference):
    rules_dir = copy_config(tmp_path, ("signers:\n", "signers:\n"
                                       "  reply_letter:\n"
                                       "    default: {authority: KT. TRƯỞNG BAN, title: PHÓ TRƯỞNG BAN, "
                                       "name: Đỗ Văn D}\n"
                                       "    by_field:\n"
                                       "      XAY_DUNG: {authority: KT. TRƯỞNG BAN, title: PHÓ TRƯỞNG BAN, "
                                       "name: Phạm Thị E}\n"))
    rules = load_rules(rules_dir)
    building, labour = full_conference.recommendations[0], full_conference.recommendations[1]
    _, data = _render("reply_letter", full_conference.conference, rules, {"recommendation": building.code})
    assert "Phạm Thị E" in signature_block(all_text(data)).splitlines()
    _, data = _render("reply_letter", full_conference.conference, rules, {"recommendation": labour.code})
    block = signature_block(all_text(data)).splitlines()
    assert "Đỗ Văn D" in block and "Phạm Thị E" not in block


def test_a_signer_for_an_unknown_field_or_a_stray_placeholder_is_refused(tmp_path):
    rules_dir = copy_config(tmp_path, ("signers:\n", "signers:\n  reply_letter:\n    by_field:\n"
                                                    "      CAU_DUONG: {title: PHÓ TRƯỞNG BAN, name: X}\n"),
                            ("    announcement: TB-BQL", "    announcement: TB-{unit}"))
    with pytest.raises(RulesError) as caught:
        load_rules(rules_dir)
    message = str(caught.value)
    assert "signers.reply_letter.by_field.CAU_DUONG: 'CAU_DUONG' is not a field in fields.yaml" in message
    assert "numbering.symbols.announcement: no {…} may appear here (found 'TB-{unit}')" in message


# A second agency: the same code with another agency's rules shows that agency and no word of HEZA.
SECOND_AGENCY = (
    # plan.yaml breaks the name where the header breaks it ("\n" inside the quoted YAML string).
    ("BAN QUẢN LÝ KHU KINH TẾ\\nHẢI PHÒNG", "BAN QUẢN LÝ CÁC KHU CÔNG NGHỆ CAO\\nVÀ CÔNG NGHIỆP ĐÀ NẴNG"),
    ("Ban Quản lý Khu kinh tế Hải Phòng", "Ban Quản lý các Khu công nghệ cao và công nghiệp Đà Nẵng"),
    ("UBND THÀNH PHỐ HẢI PHÒNG", "UBND THÀNH PHỐ ĐÀ NẴNG"),
    ("place: Hải Phòng", "place: Đà Nẵng"),
    ("Hải Phòng", "Đà Nẵng"),
    ("Bùi Ngọc Hải", "Trần Thị Bích"),
    ("Heza", "Dseza"), ("heza", "dseza"),
    ("DN&GSĐT", "QLDN"),
)
HEZA_WORDS = ("Hải Phòng", "HẢI PHÒNG", "Heza", "HEZA", "Bùi Ngọc Hải", "DN&GSĐT")


def test_a_second_agency_sees_its_own_names_in_every_document(tmp_path, app_ctx):
    rules = load_rules(copy_config(tmp_path, *SECOND_AGENCY))
    assert rules.plan.agency.name == "BAN QUẢN LÝ CÁC KHU CÔNG NGHỆ CAO\nVÀ CÔNG NGHIỆP ĐÀ NẴNG"
    full = build_full_conference(rules)
    # The test's own data (venue, invitees' and enterprises' names) is the second agency's too.
    full.conference.venue = "Hội trường tầng 2, trụ sở Ban Quản lý"
    for invitee in full.invitees:
        invitee.organisation = invitee.organisation.replace("Hải Phòng", "Đà Nẵng")
    for registration in full.registrations:
        registration.enterprise.name = registration.enterprise.name.replace("Hải Phòng", "Đà Nẵng")
        registration.enterprise.address = "Khu công nghệ cao Đà Nẵng"
    subjects = {"invitation": {"invitee": full.invitees[0].id},
                "reply_letter": {"recommendation": full.recommendations[0].code},
                "conference_notice": {"change": "cancelled", "reason": "Chưa đủ điều kiện tổ chức."}}
    for kind in KINDS:
        _, data = _render(kind, full.conference, rules, subjects.get(kind, {}))
        text = all_text(data)
        assert "BAN QUẢN LÝ CÁC KHU CÔNG NGHỆ CAO" in text and "VÀ CÔNG NGHIỆP ĐÀ NẴNG" in text, kind
        assert "UBND THÀNH PHỐ ĐÀ NẴNG" in text, kind
        assert "Đà Nẵng, ngày" in text, kind
        assert [word for word in HEZA_WORDS if word in text] == [], kind
