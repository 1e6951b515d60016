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
def own_app(tmp_path, settings):
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
