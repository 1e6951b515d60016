"""No restart (issue 14 item 5, for rules files): web and workers use changed rules from their next request
or job; changed rules that fail the check are logged and the previous rules stay in use."""

from __future__ import annotations

import logging
import shutil

import pytest
from click.testing import CliRunner

from config.schema import FILES
from config.settings import PROJECT_ROOT
from webforms.cli.rules import rules_group

OLD_NAME = "Hải quan, xuất nhập khẩu"
NEW_NAME = "Hải quan, xuất khẩu, nhập khẩu, quá cảnh"


def rules_copy(tmp_path, name):
    target = tmp_path / name
    target.mkdir()
    for file in FILES:
        shutil.copy(PROJECT_ROOT / "config" / file, target / file)
    return target


@pytest.fixture
def own_app(tmp_path, settings, app):
    from webforms.app import create_app

    in_use = rules_copy(tmp_path, "in_use")
    return create_app(settings.with_(rules_dir=in_use, instance_dir=tmp_path / "instance")), in_use


def field_name(app, code="HAI_QUAN"):
    return app.extensions["doithoai"].rules.field(code).name


def rename_field(directory, old, new):
    path = directory / "fields.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(f'name: "{old}"', f'name: "{new}"'), encoding="utf-8")


def test_an_import_applies_at_the_next_request_without_a_restart(tmp_path, own_app):
    app, in_use = own_app
    client = app.test_client()
    client.get("/khong-co-trang-nay")
    assert field_name(app) == OLD_NAME
    edited = rules_copy(tmp_path, "edited")
    rename_field(edited, OLD_NAME, NEW_NAME)
    with app.app_context():  # the command's database is the app's
        result = CliRunner().invoke(rules_group, ["import", str(edited)], env={"DOITHOAI_RULES_DIR": str(in_use)})
    assert result.exit_code == 0, result.output
    assert field_name(app) == OLD_NAME  # nothing changes between requests
    client.get("/khong-co-trang-nay")
    assert field_name(app) == NEW_NAME
    assert app.extensions["doithoai"].calendar is not None


def test_rules_that_fail_the_check_are_logged_and_the_old_ones_stay(own_app, caplog):
    app, in_use = own_app
    client = app.test_client()
    path = in_use / "fields.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(f'name: "{OLD_NAME}"', f"name: {NEW_NAME}"),
                    encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="doithoai.rules"):
        client.get("/khong-co-trang-nay")
        client.get("/khong-co-trang-nay")
    assert field_name(app) == OLD_NAME
    errors = [r.getMessage() for r in caplog.records if r.name == "doithoai.rules"]
    assert len(errors) == 1  # once per change, not once per request
    assert "fields[8].'xuất khẩu': unknown key: an unquoted comma" in errors[0]
    assert "the previous rules stay in use" in errors[0]
    # fixed by the next edit: the rules apply again
    path.write_text(path.read_text(encoding="utf-8").replace(f"name: {NEW_NAME}", f'name: "{NEW_NAME}"'),
                    encoding="utf-8")
    client.get("/khong-co-trang-nay")
    assert field_name(app) == NEW_NAME


def test_a_job_uses_the_rules_changed_since_the_last_job(own_app):
    import workers.runtime as runtime

    app, in_use = own_app

    @runtime.app_job
    def job():
        from webforms.services import services

        return services().rules.field("HAI_QUAN").name

    previous, runtime._app = runtime._app, app  # the app a worker process builds once
    try:
        assert job() == OLD_NAME
        rename_field(in_use, OLD_NAME, NEW_NAME)
        assert job() == NEW_NAME
    finally:
        runtime._app = previous


def test_a_new_page_size_applies_at_the_next_request(own_app):
    from webforms.backoffice.helpers import policy

    app, in_use = own_app
    path = in_use / "security.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("page_size: 50", "page_size: 20"), encoding="utf-8")
    with app.test_request_context("/quan-tri/"):
        app.preprocess_request()
        assert policy().page_size == 20


def test_a_version_applied_on_one_host_is_in_force_on_another_without_a_restart(tmp_path, settings, app):
    """Two hosts (their own rules folder and instance directory) share only the database: a version applied
    on one is used by the other from its next request, by its next job, and by a process started later."""
    import datetime as dt

    import workers.runtime as runtime
    from webforms.app import create_app
    from webforms.backoffice.helpers import policy
    from webforms.domain.rules_versions import import_folder
    from webforms.extensions import db
    from webforms.rules_reload import shipped_dir

    host_a = create_app(settings.with_(rules_dir=rules_copy(tmp_path, "a"), instance_dir=tmp_path / "a-instance"))
    host_b = create_app(settings.with_(rules_dir=rules_copy(tmp_path, "b"), instance_dir=tmp_path / "b-instance"))
    host_b.test_client().get("/khong-co-trang-nay")
    assert field_name(host_b) == OLD_NAME

    edited = rules_copy(tmp_path, "edited")
    rename_field(edited, OLD_NAME, NEW_NAME)
    security = edited / "security.yaml"
    security.write_text(security.read_text(encoding="utf-8").replace("page_size: 50", "page_size: 20"),
                        encoding="utf-8")
    with host_a.app_context():
        version = import_folder(edited, shipped=shipped_dir(host_a), by="Văn phòng", reason="Thử hai máy",
                                now=dt.datetime.now(dt.UTC))
        db.session.commit()
    assert version.number == 2

    assert field_name(host_b) == OLD_NAME  # nothing changes between requests
    with host_b.test_request_context("/quan-tri/"):
        host_b.preprocess_request()
        assert policy().page_size == 20  # read by path: the folder the version was written to
    assert field_name(host_b) == NEW_NAME
    in_use = host_b.extensions["doithoai"].rules.source_dir
    assert in_use.parent == tmp_path / "b-instance" / "rules"  # the host's own copy, written from the database
    assert f'name: "{OLD_NAME}"' in (tmp_path / "b" / "fields.yaml").read_text(encoding="utf-8")

    @runtime.app_job
    def job():
        from webforms.services import services

        return services().rules.field("HAI_QUAN").name

    previous, runtime._app = runtime._app, host_a  # a worker of the first host, built before the version
    try:
        assert field_name(host_a) == OLD_NAME
        assert job() == NEW_NAME
    finally:
        runtime._app = previous

    later = create_app(settings.with_(rules_dir=rules_copy(tmp_path, "c"), instance_dir=tmp_path / "c-instance"))
    assert field_name(later) == NEW_NAME  # a process started later (the CLI, cron) starts on the latest version


def test_a_version_that_fails_the_check_is_logged_and_refused_at_start(tmp_path, settings, own_app, caplog):
    """A version stored by an older release whose schema has since become stricter: running processes keep
    their rules and say why once; a process that starts refuses to, with the file and line."""
    import datetime as dt

    from config.problems import RulesError
    from webforms.app import create_app
    from webforms.extensions import db
    from webforms.models import RulesVersion

    running, in_use = own_app
    files = {file: (in_use / file).read_text(encoding="utf-8") for file in FILES}
    files["fields.yaml"] = files["fields.yaml"].replace(f'name: "{OLD_NAME}"', f"name: {NEW_NAME}")
    with running.app_context():
        db.session.add(RulesVersion(number=1, files=files, changed=[], applied_by="x", reason="old",
                                    applied_at=dt.datetime.now(dt.UTC)))
        db.session.commit()
    with caplog.at_level(logging.ERROR, logger="doithoai.rules"):
        running.test_client().get("/khong-co-trang-nay")
        running.test_client().get("/khong-co-trang-nay")
    assert field_name(running) == OLD_NAME
    errors = [r.getMessage() for r in caplog.records if r.name == "doithoai.rules"]
    assert len(errors) == 1 and errors[0].startswith("rules version 1 is not valid")
    assert "fields.yaml:12: fields[8].'xuất khẩu': unknown key: an unquoted comma" in errors[0]
    with pytest.raises(RulesError, match=r"fields\.yaml:12: fields\[8\]"):
        create_app(settings.with_(rules_dir=rules_copy(tmp_path, "other"), instance_dir=tmp_path / "other-i"))
