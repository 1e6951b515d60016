"""The security suite (issue 16) uses the web suite's clients and staff logins."""

from tests.web.conftest import client, staff  # noqa: F401 - pytest fixtures
