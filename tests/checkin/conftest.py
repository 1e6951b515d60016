from tests.web.conftest import StaffClient, client, staff  # noqa: F401 - the back-office fixtures
