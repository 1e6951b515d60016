"""One schema for every rules file (config/schema.py): `doithoai rules check`, and web, worker and cron
refusing to start with the same lines (issue 14 item 1)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config.problems import RulesError
from config.rules import check_rules, load_rules
from config.schema import FILES
from config.settings import PROJECT_ROOT
from config.startup import REFUSAL

CONFIG = PROJECT_ROOT / "config"
BIN = Path(sys.executable).parent
DOITHOAI = str(BIN / "doithoai")
RQ = str(BIN / "rq")


def copy_config(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    target.mkdir()
    for name in FILES:
        shutil.copy(CONFIG / name, target / name)
    return target


def edit(directory: Path, name: str, old: str, new: str) -> int:
    """Replace `old` (once) in a copied file; the 1-based line it was on."""
    path = directory / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return line


def process_env(rules_dir: Path, **extra) -> dict:
    env = dict(os.environ)
    env.update(DOITHOAI_ENV="testing", SECRET_KEY="rules-test-" + "k" * 40, DOITHOAI_RULES_DIR=str(rules_dir),
               **extra)
    return env


# -- the shipped files -----------------------------------------------------------------------------

def test_the_shipped_rules_are_valid():
    result = subprocess.run([DOITHOAI, "rules", "check", str(CONFIG)], capture_output=True, text=True,
                            check=False, env=process_env(CONFIG))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"OK: 8 rules files in {CONFIG} are valid"


FULL_FIELD_NAMES = {
    "DAU_TU": "Đầu tư (chủ trương, giấy chứng nhận đăng ký đầu tư, điều chỉnh dự án)",
    "DOANH_NGHIEP": "Doanh nghiệp và giám sát đầu tư",
    "QUY_HOACH": "Quy hoạch",
    "XAY_DUNG": "Xây dựng (giấy phép, thẩm định, nghiệm thu)",
    "DAT_DAI": "Đất đai",
    "MOI_TRUONG": "Môi trường",
    "LAO_DONG": "Lao động, giấy phép lao động, nội quy lao động",
    "THUE": "Thuế",
    "HAI_QUAN": "Hải quan, xuất nhập khẩu",
    "PCCC": "Phòng cháy, chữa cháy",
    "BHXH": "Bảo hiểm xã hội",
    "HA_TANG": "Hạ tầng khu công nghiệp (điện, nước, giao thông)",
    "KHAC": "Thủ tục hành chính khác",
}
BUDGET_ITEM_NAMES = [
    "Thuê trang trí hội trường, khánh tiết",
    "In ấn tài liệu Hội nghị",
    "Nước uống, giải khát giữa giờ",
    "Văn phòng phẩm",
    "Chi khác (thông tin, tuyên truyền)",
]


def test_every_name_in_the_shipped_files_is_its_full_text():
    rules = load_rules(CONFIG)
    assert {f.code: f.name for f in rules.fields} == FULL_FIELD_NAMES
    assert rules.zone("KCN-DEEPC").name == "KCN DEEP C (I, II, III)"
    assert rules.zone("KCN-DEEPC3").name == "KCN Cảng cửa ngõ quốc tế Hải Phòng (Deep C3)"
    assert rules.zone("KKT-DVCH").name == "Khu kinh tế Đình Vũ – Cát Hải"
    assert [item.name for item in rules.checked.documents.budget.items] == BUDGET_ITEM_NAMES
    # No name anywhere ends inside an open parenthesis: the mark a comma cut leaves.
    names = [f.name for f in rules.fields] + [z.name for z in rules.zones] + BUDGET_ITEM_NAMES
    names += [d.name for d in rules.departments]
    assert [n for n in names if n.count("(") != n.count(")")] == []


def test_holidays_take_confirmed_years_and_a_source_per_day(tmp_path):
    rules_dir = copy_config(tmp_path)
    (rules_dir / "holidays.yaml").write_text(
        "confirmed_years: [2025, 2026]\n"
        "days_off:\n"
        "  - {date: 2026-01-02, name: Nghỉ bù Tết Dương lịch, source: \"Công văn 12729/VPCP-KGVX\"}\n"
        "  - {date: 2026-02-16, name: Tết Nguyên đán}\n"
        "working_days: []\n", encoding="utf-8")
    rules = load_rules(rules_dir)
    assert rules.holidays.confirmed_years == (2025, 2026)
    assert [d.source for d in rules.holidays.days_off] == ["Công văn 12729/VPCP-KGVX", ""]


# -- what each broken copy says --------------------------------------------------------------------

def misspelt_key(d: Path) -> str:
    line = edit(d, "plan.yaml", "reminder_lead: 2", "reminder_leed: 2")
    return f"plan.yaml:{line}: reminder_leed: unknown key (did you mean 'reminder_lead'?)"


def unquoted_comma(d: Path) -> str:
    line = edit(d, "fields.yaml", 'name: "Hải quan, xuất nhập khẩu"', "name: Hải quan, xuất nhập khẩu")
    return (f"fields.yaml:{line}: fields[8].'xuất nhập khẩu': unknown key: an unquoted comma inside {{…}} cut "
            "the value before it")


def unknown_milestone(d: Path) -> str:
    line = edit(d, "plan.yaml", "- name: answers_prepared_by", "- name: answers_ready_by")
    return f"plan.yaml:{line}: milestones[2].name: unknown milestone 'answers_ready_by': the engine has no handler"


def bad_department_email(d: Path) -> str:
    line = edit(d, "departments.yaml", "emails: [qlld@heza.example.vn]", "emails: [qlld.heza.example.vn]")
    return f"departments.yaml:{line}: departments[4].emails[0]: not an email address"


def unknown_role(d: Path) -> str:
    line = edit(d, "plan.yaml", "view_audit: [admin, leader]", "view_audit: [admin, leaders]")
    return f"plan.yaml:{line}: permissions.view_audit[1]: unknown role 'leaders'"


BREAKAGES = [misspelt_key, unquoted_comma, unknown_milestone, bad_department_email, unknown_role]
PROCESS_BREAKAGES = (unquoted_comma, bad_department_email)


def expected_line(rules_dir: Path, says: str) -> str:
    # Files are named as the processes see them: relative to the working directory when inside it.
    try:
        prefix = rules_dir.resolve().relative_to(Path.cwd())
    except ValueError:
        prefix = rules_dir
    return f"{prefix}/{says}"


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.__name__)
def test_rules_check_names_the_file_and_line(tmp_path, breakage):
    rules_dir = copy_config(tmp_path)
    says = expected_line(rules_dir, breakage(rules_dir))
    result = subprocess.run([DOITHOAI, "rules", "check", str(rules_dir)], capture_output=True, text=True,
                            check=False, env=process_env(CONFIG))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(says), result.stderr
    assert lines[-1] == f"{len(lines) - 1} problem(s) in {rules_dir}"
    with pytest.raises(RulesError) as caught:
        check_rules(rules_dir)
    assert str(caught.value) == "\n".join(lines[:-1])


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.__name__)
def test_web_worker_and_cron_refuse_to_start_with_the_same_lines(tmp_path, settings, breakage):
    from webforms.app import create_app

    rules_dir = copy_config(tmp_path)
    says = expected_line(rules_dir, breakage(rules_dir))
    check = subprocess.run([DOITHOAI, "rules", "check", str(rules_dir)], capture_output=True, text=True,
                           check=False, env=process_env(CONFIG))
    problems = check.stderr.splitlines()[:-1]

    with pytest.raises(RulesError) as caught:  # the web app factory (gunicorn 'webforms.app:create_app()')
        create_app(settings.with_(rules_dir=rules_dir, instance_dir=tmp_path / "instance"))
    assert str(caught.value).splitlines() == problems
    if breakage not in PROCESS_BREAKAGES:
        return  # each process takes seconds: two breakages of different files and kinds stand for all

    redis = f"redis://127.0.0.1:6379/{os.environ.get('TEST_REDIS_DB', '13')}"
    entry_points = {
        "cron": [RQ, "cron", "workers.cron", "--url", redis],
        "worker pool": [RQ, "worker-pool", "default", "--num-workers", "1", "--worker-class",
                        "workers.checked.Worker", "--url", redis, "--burst"],
        "doithoai worker": [DOITHOAI, "worker", "--burst"],
    }
    for name, command in entry_points.items():
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60,  # noqa: S603
                                env=process_env(rules_dir))
        assert result.returncode != 0, name
        lines = result.stderr.strip().splitlines()
        assert REFUSAL in lines, (name, result.stderr[-2000:])
        assert lines[lines.index(REFUSAL) + 1:] == problems, name
        assert lines[lines.index(REFUSAL) + 1].startswith(says)


# -- cross-checks ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "old", "new", "says"), [
    ("plan.yaml", "offset: -5\n", "offset: -8\n", r"offset -8 of 'intake_closes' is out of order"),
    ("plan.yaml", "offset: 14\n", "offset: 5\n", r"'coordinated_reply' is out of order"),
    ("plan.yaml", "  - name: written_reply\n    offset: 7", "  - name: written_reply\n    offset: 0",
     r"'written_reply' is out of order: written replies are due after the conference"),
    ("departments.yaml", "code: QLLD", "code: QHXD", r"departments\[4\]\.code: 'QHXD' is already used by"),
    ("departments.yaml", "fields: [LAO_DONG]", "fields: []", r"fields.yaml:\d+: fields\[6\]\.code: field 'LAO_DONG' is "
                                                            r"named by no department"),
    ("departments.yaml", "head_email: truongphong.qldt@heza.example.vn", "head_email: truongphong",
     r"departments\[1\]\.head_email: not an email address"),
    ("departments.yaml", "leaders: [truongban@heza.example.vn,", "leaders: [truongban@,",
     r"notifications\.leaders\[0\]: not an email address"),
    ("zones.yaml", "office: VPDD-DV}\n  - {code: KKT-VBPN", "office: VPDD-XX}\n  - {code: KKT-VBPN",
     r"zones\[0\]\.office: 'VPDD-XX' is not a department"),
    ("plan.yaml", "min_enterprises: 15", 'min_enterprises: "15"', r"min_enterprises: Input should be a valid "
                                                                  r"integer \(found '15'\)"),
    ("departments.yaml", "digest: true", "digest: ture", r"notifications\.digest: Input should be a valid boolean"),
    ("security.yaml", "min_length: 12", "min_length: 6", r"password\.min_length: must be 12 or more"),
    ("deadline_engine.yaml", "office: VP", "office: VPX", r"office: 'VPX' is not a department"),
    ("documents.yaml", "    budget_estimate: BQL-VP\n", "", r"numbering\.symbols: the symbol of 'budget_estimate' "
                                                            r"is required"),
    ("documents.yaml", "  blank_number: true", "  blank_number: true\n  blank_number: false",
     r"documents.yaml:\d+: numbering\.blank_number: this key is given twice"),
    ("plan.yaml", "timezone: Asia/Ho_Chi_Minh", "timezone: Asia/Hanoi_City", r"timezone: not a known time zone"),
    ("holidays.yaml", "date: 2026-01-02", "date: 2026-02-30", r"holidays.yaml:\d+: days_off\[0\]\.date"),
    ("plan.yaml", "  edit_rules_holidays:", "  edit_rules_holiday:",
     r"plan.yaml:\d+: permissions\.edit_rules_holiday: 'edit_rules_holiday' names no rules file"),
])
def test_cross_checks_and_types(tmp_path, name, old, new, says):
    rules_dir = copy_config(tmp_path)
    edit(rules_dir, name, old, new)
    with pytest.raises(RulesError) as caught:
        check_rules(rules_dir)
    assert re.search(says, str(caught.value)), str(caught.value)
    assert re.search(r"\.yaml:\d+: ", str(caught.value))


def test_a_missing_file_and_bad_yaml_are_named(tmp_path):
    rules_dir = copy_config(tmp_path)
    (rules_dir / "security.yaml").unlink()
    (rules_dir / "zones.yaml").write_text("zones:\n  - {code: A, name: [unclosed\n", encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        check_rules(rules_dir)
    message = str(caught.value)
    assert "security.yaml: the file is missing" in message
    assert re.search(r"zones.yaml:\d+: not valid YAML", message)
