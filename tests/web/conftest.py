import pytest
from flask.testing import FlaskClient

from tests.login import login_as


class StaffClient(FlaskClient):
    """A test client whose requests start with an empty `g`, as in production.

    With the `app_ctx` fixture active, Flask 3.1 reuses that app context (and its `g`) for every
    request, so Flask-Login's cached `g._login_user` and Flask-WTF's `g.csrf_token` would leak from
    one request, or one client, to the next.
    """

    def open(self, *args, **kwargs):
        from flask import g, has_app_context

        if has_app_context():
            for name in list(g):
                g.pop(name)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = StaffClient
    return app.test_client()


@pytest.fixture
def staff(client, app_ctx):
    """staff("secretariat") logs the test client in with a fresh account of that role."""

    def _login(role: str = "admin", **kwargs):
        return login_as(client, role, **kwargs)

    return _login
