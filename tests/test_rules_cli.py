"""`doithoai rules export DIR` and `doithoai rules import DIR` (issue 14 item 6): the YAML files stay the
seed and the exchange format; an import is checked by the same schema before anything is written."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from config.schema import FILES
from config.settings import PROJECT_ROOT
from webforms.cli.rules import rules_group


def rules_copy(tmp_path, name="in_use"):
    target = tmp_path / name
    target.mkdir()
    for file in FILES:
        shutil.copy(PROJECT_ROOT / "config" / file, target / file)
    return target


def run(in_use, *args):
    return CliRunner().invoke(rules_group, list(args), env={"DOITHOAI_RULES_DIR": str(in_use)})


def test_export_writes_the_checked_rules(tmp_path):
    in_use = rules_copy(tmp_path)
    result = run(in_use, "export", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert f"exported 8 rules files from {in_use} to {tmp_path / 'out'}" in result.output
    for file in FILES:
        assert (tmp_path / "out" / file).read_bytes() == (in_use / file).read_bytes()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILES)


def test_export_refuses_rules_that_do_not_pass_the_check(tmp_path):
    in_use = rules_copy(tmp_path)
    text = (in_use / "security.yaml").read_text(encoding="utf-8").replace("page_size: 50", "page_sise: 50")
    (in_use / "security.yaml").write_text(text, encoding="utf-8")
    result = run(in_use, "export", str(tmp_path / "out"))
    assert result.exit_code == 1
    line = text.splitlines().index("page_sise: 50") + 1
    assert f"security.yaml:{line}: page_sise: unknown key (did you mean 'page_size'?)" in result.output
    assert not (tmp_path / "out").exists()


def test_import_of_a_broken_folder_changes_nothing(tmp_path):
    in_use = rules_copy(tmp_path)
    before = {file: (in_use / file).read_bytes() for file in FILES}
    edited = rules_copy(tmp_path, "edited")
    text = (edited / "departments.yaml").read_text(encoding="utf-8")
    (edited / "departments.yaml").write_text(text.replace("qhxd@heza.example.vn", "qhxd@"), encoding="utf-8")
    (edited / "plan.yaml").write_text((edited / "plan.yaml").read_text(encoding="utf-8").replace(
        "min_enterprises: 15", "min_enterprises: 12"), encoding="utf-8")
    result = run(in_use, "import", str(edited))
    assert result.exit_code == 1
    assert "departments.yaml:" in result.output and "departments[2].emails[0]: not an email address" in result.output
    assert {file: (in_use / file).read_bytes() for file in FILES} == before
    assert not (in_use / "versions").exists()


def test_import_of_a_valid_folder_is_a_new_version_and_can_be_undone(tmp_path):
    in_use = rules_copy(tmp_path)
    old_plan = (in_use / "plan.yaml").read_text(encoding="utf-8")
    edited = rules_copy(tmp_path, "edited")
    (edited / "plan.yaml").write_text(old_plan.replace("min_enterprises: 15", "min_enterprises: 12"),
                                      encoding="utf-8")
    result = run(in_use, "import", str(edited), "--reason", "Kế hoạch năm 2027")
    assert result.exit_code == 0, result.output
    assert "min_enterprises: 12" in (in_use / "plan.yaml").read_text(encoding="utf-8")
    assert f"imported {edited} into {in_use} as version 2: plan.yaml" in result.output
    assert "web and workers use it from their next request or job" in result.output
    listed = run(in_use, "versions").output.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["2", "1"]
    assert listed[0].endswith("\tplan.yaml\tKế hoạch năm 2027")
    assert listed[1].endswith("\t-\tBản đang dùng trước lần sửa đầu tiên")
    assert (in_use / "versions" / "0001" / "plan.yaml").read_text(encoding="utf-8") == old_plan

    undone = run(in_use, "restore", "1")
    assert undone.exit_code == 0, undone.output
    assert undone.output.strip() == "version 1 restored as version 3: plan.yaml"
    assert (in_use / "plan.yaml").read_text(encoding="utf-8") == old_plan
    assert run(in_use, "check").exit_code == 0
    assert run(in_use, "restore", "9").output.strip() == "error: there is no version 9"


def test_the_rules_folder_cannot_be_its_own_import_or_export(tmp_path):
    in_use = rules_copy(tmp_path)
    for command in ("import", "export"):
        result = run(in_use, command, str(in_use))
        assert result.exit_code == 1
        assert "is the rules folder itself" in result.output
