import pytest

from tests.login import login_as


@pytest.fixture
def staff(client, app_ctx):
    """staff("secretariat") logs the test client in with a fresh account of that role."""

    def _login(role: str = "admin", **kwargs):
        return login_as(client, role, **kwargs)

    return _login
