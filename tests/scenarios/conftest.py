import pytest

from tests.scenarios.driver import Run


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/scenarios/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.scenario)


@pytest.fixture
def run(app, mailbox):
    with app.app_context():
        from webforms.domain.departments import sync_departments
        from webforms.extensions import db

        sync_departments(app.extensions["doithoai"].rules)
        db.session.commit()
    return Run(app=app, smtp=mailbox)
