"""`doithoai rules export DIR` and `doithoai rules import DIR` (issue 14 item 6): the YAML files stay the
seed and the exchange format; an import is checked by the same schema before anything is written, and
becomes a version in the database (the session's, through an app on its own copy of the rules)."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from config.schema import FILES
from config.settings import PROJECT_ROOT
from webforms.cli.rules import rules_group
from webforms.extensions import db
from webforms.models import AuditEvent, RulesVersion


def rules_copy(tmp_path, name="in_use"):
    target = tmp_path / name
    target.mkdir()
    for file in FILES:
        shutil.copy(PROJECT_ROOT / "config" / file, target / file)
    return target


@pytest.fixture
def in_use(tmp_path, settings, app):
    """The rules folder of an app sharing the session's database, whose context the commands run in."""
    from webforms.app import create_app

    folder = rules_copy(tmp_path)
    own = create_app(settings.with_(rules_dir=folder, instance_dir=tmp_path / "instance"))
    with own.app_context():
        yield folder


def run(in_use, *args):
    return CliRunner().invoke(rules_group, list(args), env={"DOITHOAI_RULES_DIR": str(in_use)})


def test_export_writes_the_checked_rules(tmp_path, in_use):
    result = run(in_use, "export", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert f"exported 8 rules files of version 1 to {tmp_path / 'out'}" in result.output
    for file in FILES:
        assert (tmp_path / "out" / file).read_bytes() == (in_use / file).read_bytes()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILES)


def test_export_refuses_a_version_that_no_longer_passes_the_check(tmp_path, in_use):
    """A version stored before the schema became stricter is not written out as if it were valid."""
    import datetime as dt

    files = {file: (in_use / file).read_text(encoding="utf-8") for file in FILES}
    files["security.yaml"] = files["security.yaml"].replace("page_size: 50", "page_sise: 50")
    db.session.add(RulesVersion(number=1, files=files, changed=[], applied_by="x", reason="old",
                                applied_at=dt.datetime.now(dt.UTC)))
    db.session.commit()
    result = run(in_use, "export", str(tmp_path / "out"))
    assert result.exit_code == 1
    line = files["security.yaml"].splitlines().index("page_sise: 50") + 1
    assert f"security.yaml:{line}: page_sise: unknown key (did you mean 'page_size'?)" in result.output
    assert "1 problem(s) in version 1" in result.output
    assert not (tmp_path / "out").exists()


def test_import_of_a_broken_folder_changes_nothing(tmp_path, in_use):
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
    assert db.session.query(RulesVersion).count() == 0


def test_import_of_a_valid_folder_is_a_new_version_and_can_be_undone(tmp_path, in_use):
    old_plan = (in_use / "plan.yaml").read_text(encoding="utf-8")
    edited = rules_copy(tmp_path, "edited")
    (edited / "plan.yaml").write_text(old_plan.replace("min_enterprises: 15", "min_enterprises: 12"),
                                      encoding="utf-8")
    result = run(in_use, "import", str(edited), "--reason", "Kế hoạch năm 2027")
    assert result.exit_code == 0, result.output
    assert (in_use / "plan.yaml").read_text(encoding="utf-8") == old_plan  # the shipped folder stays as shipped
    assert "min_enterprises: 12" in db.session.get(RulesVersion, 2).files["plan.yaml"]
    assert f"imported {edited} as version 2: plan.yaml" in result.output
    assert "web and workers use it from their next request or job" in result.output
    listed = run(in_use, "versions").output.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["2", "1"]
    assert listed[0].endswith("\tplan.yaml\tKế hoạch năm 2027")
    assert listed[1].endswith("\t-\tBản đang dùng trước lần sửa đầu tiên")
    assert db.session.get(RulesVersion, 1).files["plan.yaml"] == old_plan
    exported = run(in_use, "export", str(tmp_path / "out"))
    assert "of version 2" in exported.output
    assert "min_enterprises: 12" in (tmp_path / "out" / "plan.yaml").read_text(encoding="utf-8")

    undone = run(in_use, "restore", "1")
    assert undone.exit_code == 0, undone.output
    assert undone.output.strip() == "version 1 restored as version 3: plan.yaml"
    db.session.expire_all()
    assert db.session.get(RulesVersion, 3).files["plan.yaml"] == old_plan
    audited = db.session.query(AuditEvent).filter(AuditEvent.action.like("rules.%")).order_by(AuditEvent.id).all()
    assert [(e.action, e.target_id) for e in audited] == [("rules.import", "2"), ("rules.restore", "3")]
    assert run(in_use, "check").exit_code == 0
    assert run(in_use, "restore", "9").output.strip() == "error: there is no version 9"


def test_the_rules_folder_cannot_be_its_own_import_or_export(in_use):
    for command in ("import", "export"):
        result = run(in_use, command, str(in_use))
        assert result.exit_code == 1
        assert "is the rules folder itself" in result.output
