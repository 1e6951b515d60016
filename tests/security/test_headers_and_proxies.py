"""F13 caching and transport headers, F14 tokens out of logs, F15 drafts not public, F18/F20 a configured
number of trusted proxies for client addresses."""

import logging

import pytest
from gunicorn.config import Config

from tests.factories import create_conference, create_user
from tests.login import PASSWORD
from webforms.extensions import db
from webforms.logscrub import MARK, ScrubbingLogger, scrub
from webforms.models import ConferenceStatus

pytestmark = pytest.mark.security

TOKEN = "QZ9bsecretTOKENvalue_-123"


# -- F13 --------------------------------------------------------------------------------------------------

def test_private_pages_and_exports_are_not_stored(client, staff, app_ctx):
    conference = create_conference()
    db.session.commit()
    slug = conference.slug
    assert client.get("/quan-tri/dang-nhap").headers["Cache-Control"] == "no-store"
    assert client.get(f"/tra-loi/{TOKEN}").headers["Cache-Control"] == "no-store"  # even its 404
    staff("admin")
    for path in ("/quan-tri/kien-nghi", "/quan-tri/kien-nghi/xuat.csv", "/quan-tri/tai-khoan", "/quan-tri/"):
        response = client.get(path)
        assert response.status_code in (200, 302), path
        assert response.headers["Cache-Control"] == "no-store", path
    public = client.get(f"/hoi-nghi/{slug}")
    assert public.status_code == 200
    assert "no-store" not in public.headers.get("Cache-Control", "")
    assert "Strict-Transport-Security" not in public.headers  # not in development or testing


def test_production_sends_hsts(app, client):
    """Production is where cookies are Secure (configure_app); the same switch sends HSTS."""
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        response = client.get("/healthz")
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# -- F14 --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    f"GET /theo-doi/KN.20261202.0001?token={TOKEN} HTTP/1.1",
    f"GET /theo-doi/KN.20261202.0001/tep/3?lang=en&token={TOKEN} HTTP/1.1",
    f"POST /tra-loi/{TOKEN}/du-thao HTTP/1.1",
    f"GET /tra-loi/{TOKEN} HTTP/1.1",
    f"GET /hoi-nghi/xac-nhan/{TOKEN} HTTP/1.1",
])
def test_tokens_are_scrubbed_from_request_lines(line):
    cleaned = scrub(line)
    assert TOKEN not in cleaned and MARK in cleaned
    assert cleaned.split()[0] == line.split()[0] and cleaned.endswith("HTTP/1.1")


def test_the_gunicorn_access_log_has_no_tokens():
    class Response:
        status = "200 OK"
        sent = 10
        headers = ()

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/theo-doi/KN.1?token={TOKEN}", "SERVER_PROTOCOL": "HTTP/1.1",
               "PATH_INFO": "/theo-doi/KN.1", "QUERY_STRING": f"token={TOKEN}", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": f"https://x/tra-loi/{TOKEN}"}
    import datetime as dt

    class Request:
        headers = []

    atoms = ScrubbingLogger(Config()).atoms(Response(), Request(), environ, dt.timedelta(milliseconds=5))
    assert not [k for k, v in atoms.items() if isinstance(v, str) and TOKEN in v]


def test_the_development_request_log_has_no_tokens(app, caplog):
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s %s',
                               ("127.0.0.1", f"GET /tra-loi/{TOKEN} HTTP/1.1", "200", "-"), None)
    for log_filter in logging.getLogger("werkzeug").filters:
        log_filter.filter(record)
    assert TOKEN not in record.getMessage()


# -- F15 --------------------------------------------------------------------------------------------------

def test_a_draft_conference_is_not_public(client, app_ctx):
    draft = create_conference(status=ConferenceStatus.DRAFT, slug="hoi-nghi-nhap-2027-02-25")
    db.session.commit()
    for path in ("/hoi-nghi/hoi-nghi-nhap-2027-02-25", "/hoi-nghi/hoi-nghi-nhap-2027-02-25/dang-ky",
                 "/api/v1/conferences/hoi-nghi-nhap-2027-02-25"):
        assert client.get(path).status_code == 404, path
    assert draft.venue not in client.get("/hoi-nghi/hoi-nghi-nhap-2027-02-25").get_data(as_text=True)


# -- F18 / F20 --------------------------------------------------------------------------------------------

def test_a_copied_session_cookie_does_not_work_by_claiming_the_victims_address(client, app_ctx):
    user = create_user(role="secretariat", password=PASSWORD)
    db.session.commit()
    ua = {"User-Agent": "Victim/1.0"}
    token_page = client.get("/quan-tri/dang-nhap", environ_base={"REMOTE_ADDR": "10.9.0.1"}, headers=ua)
    assert token_page.status_code == 200
    from tests.login import csrf_from

    client.post("/quan-tri/dang-nhap", data={"email": user.email, "password": PASSWORD,
                                             "csrf_token": csrf_from(token_page.get_data(as_text=True))},
                environ_base={"REMOTE_ADDR": "10.9.0.1"}, headers=ua)
    assert client.get("/quan-tri/hoi-nghi", environ_base={"REMOTE_ADDR": "10.9.0.1"}, headers=ua).status_code == 200
    thief = client.application.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    stolen = thief.get("/quan-tri/hoi-nghi", environ_base={"REMOTE_ADDR": "10.66.0.9"},
                       headers={**ua, "X-Forwarded-For": "10.9.0.1"})
    assert stolen.status_code == 302


def test_behind_one_trusted_proxy_clients_get_their_own_rate_limit_bucket(settings):
    from webforms.app import create_app

    proxied = create_app(settings.with_(trusted_proxies=1))
    client = proxied.test_client()
    emails = (f"nguoi-{i}@heza.example.vn" for i in range(1000))  # one each: the per-account limit stays out

    def attempt(client_addr):
        from tests.login import csrf_from

        env = {"REMOTE_ADDR": "127.0.0.1"}  # the proxy
        headers = {"X-Forwarded-For": client_addr}
        token = csrf_from(client.get("/quan-tri/dang-nhap", environ_base=env, headers=headers).get_data(as_text=True))
        return client.post("/quan-tri/dang-nhap", data={"email": next(emails), "password": "x" * 12,
                                                         "csrf_token": token},
                           environ_base=env, headers=headers).status_code

    with proxied.app_context():
        from tests.security.test_login import per_minute
        from webforms.domain.accounts import security_policy

        allowed = per_minute(security_policy(settings.rules_dir).login_per_address)
    codes = [attempt("203.0.113.7") for _ in range(allowed + 1)]
    assert codes[-1] == 429 and codes[:-1] == [200] * allowed
    assert attempt("203.0.113.8") == 200  # another client behind the same proxy is not shut out
    # A client cannot choose its address by sending its own X-Forwarded-For through the proxy: the proxy
    # appends the real one, and only the last hop is believed.
    assert attempt("198.51.100.1, 203.0.113.7") == 429
