"""rq-dashboard inside the back office: admins only, CSRF kept, and every page working against RQ 3
with real jobs in the real Redis (queued, started by a worker, finished, failed, scheduled)."""

from __future__ import annotations

import datetime as dt
import math
import re

import pytest
from rq import Queue
from rq.job import Job
from rq.worker import SimpleWorker

from tests.login import csrf, csrf_from, login_as
from webforms.backoffice.queue_dashboard import BLUEPRINT, URL_PREFIX
from webforms.models import Role
from workers.queues import DEFAULT, DOCS, MAIL


def dashboard_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith(f"{BLUEPRINT}.")]


def fill(rule, values) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


def call(client, rule, method, token):
    """The rule's URL with `method` and a valid CSRF token, so the access check is what answers;
    `/0/` is werkzeug's 308 to `/` (the default instance), followed."""
    headers = {"X-CSRFToken": token} if method == "POST" else None
    response = client.open(fill(rule, values()), method=method, headers=headers)
    if response.status_code == 308:
        response = client.open(response.headers["Location"], method=method, headers=headers)
    return response


@pytest.fixture
def jobs(app_ctx):
    """One job in each state the dashboard lists, made by a real worker where a worker makes it."""
    redis = app_ctx.extensions["doithoai"].redis
    default = Queue(DEFAULT, connection=redis)
    failing = default.enqueue(math.sqrt, -1)  # ValueError: math domain error
    finishing = default.enqueue(len, "ba")
    SimpleWorker([default], connection=redis).work(burst=True, with_scheduler=False, logging_level="ERROR")
    queued = Queue(MAIL, connection=redis).enqueue(len, "chờ")
    scheduled = Queue(DOCS, connection=redis).enqueue_in(dt.timedelta(hours=1), len, "sau")
    assert failing.get_status(refresh=True) == "failed"
    assert finishing.get_status(refresh=True) == "finished"
    return {"failed": failing.id, "finished": finishing.id, "queued": queued.id, "scheduled": scheduled.id}


def values(job_id="x"):
    return {"instance_number": 0, "queue_name": DEFAULT, "registry_name": "failed", "per_page": 10,
            "order": "asc", "page": 1, "job_id": job_id, "filename": "css/main.css"}


def test_anonymous_is_sent_to_login_on_every_dashboard_route(app, client):
    checked = 0
    token = csrf_from(client.get("/quan-tri/dang-nhap").get_data(as_text=True))
    for rule in dashboard_rules(app):
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = call(client, rule, method, token)
            assert response.status_code == 302, (rule.endpoint, method)
            assert "/quan-tri/dang-nhap" in response.headers["Location"]
            checked += 1
    assert checked >= 15


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_every_other_role_is_refused(app, client, staff, rules, role):
    assert not rules.plan.may(role, "view_queues")
    staff(role)
    token = csrf(client)
    for rule in dashboard_rules(app):
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert call(client, rule, method, token).status_code == 403, (rule.endpoint, method)


def test_every_page_and_data_feed_works_against_rq3(app, client, staff, jobs):
    staff("admin")
    for path in ("/", "/0/view/workers", f"/0/view/jobs/{DEFAULT}/failed/10/asc/1",
                 f"/0/view/job/{jobs['failed']}"):
        response = client.get(URL_PREFIX + path)
        assert response.status_code == 200, path
        assert "RQ-dashboard" in response.get_data(as_text=True)

    queues = {q["name"]: q for q in client.get(f"{URL_PREFIX}/0/data/queues.json").get_json()["queues"]}
    assert queues[DEFAULT]["failed_job_registry_count"] == 1
    assert queues[DEFAULT]["finished_job_registry_count"] == 1
    assert queues[MAIL]["count"] == 1
    assert queues[DOCS]["scheduled_job_registry_count"] == 1

    def listed(queue, registry):
        data = client.get(f"{URL_PREFIX}/0/data/jobs/{queue}/{registry}/10/asc/1.json").get_json()
        return [job["id"] for job in data["jobs"]]

    assert listed(DEFAULT, "failed") == [jobs["failed"]]
    assert listed(DEFAULT, "finished") == [jobs["finished"]]
    assert listed(MAIL, "queued") == [jobs["queued"]]
    assert listed(DOCS, "scheduled") == [jobs["scheduled"]]

    failed = client.get(f"{URL_PREFIX}/0/data/job/{jobs['failed']}.json").get_json()
    assert failed["status"] == "failed"
    assert "ValueError" in failed["exc_info"]
    assert client.get(f"{URL_PREFIX}/0/data/workers.json").status_code == 200


def test_its_buttons_keep_csrf_and_work_with_the_header_its_script_sends(app, client, staff, jobs):
    staff("admin")
    redis = app.extensions["doithoai"].redis
    requeue = f"{URL_PREFIX}/job/{jobs['failed']}/requeue"
    assert client.post(requeue).status_code == 400  # no token: Flask-WTF refuses, nothing changes
    assert Job.fetch(jobs["failed"], connection=redis).get_status() == "failed"

    page = client.get(f"{URL_PREFIX}/").get_data(as_text=True)
    token = re.search(r'data-csrf-token="([^"]+)"', page).group(1)
    assert client.post(requeue, headers={"X-CSRFToken": token}).status_code == 200
    assert Job.fetch(jobs["failed"], connection=redis).get_status() == "queued"


def test_an_unknown_job_is_404_not_500(client, staff, jobs):
    staff("admin")
    page = client.get(f"{URL_PREFIX}/").get_data(as_text=True)
    token = re.search(r'data-csrf-token="([^"]+)"', page).group(1)
    assert client.get(f"{URL_PREFIX}/0/data/job/khong-co.json").status_code == 404
    assert client.get(f"{URL_PREFIX}/0/view/job/khong-co").status_code == 404
    assert client.post(f"{URL_PREFIX}/job/khong-co/requeue", headers={"X-CSRFToken": token}).status_code == 404
    assert client.post(f"{URL_PREFIX}/queue/khong-co/compact", headers={"X-CSRFToken": token}).status_code == 404
    assert client.post(f"{URL_PREFIX}/queue/{MAIL}/compact", headers={"X-CSRFToken": token}).status_code == 200


def test_its_state_changing_get_is_refused(client, staff, jobs, app):
    staff("admin")
    assert client.get(f"{URL_PREFIX}/requeue/{DEFAULT}").status_code == 405
    assert client.head(f"{URL_PREFIX}/requeue/{DEFAULT}").status_code == 405
    assert Job.fetch(jobs["failed"], connection=app.extensions["doithoai"].redis).get_status() == "failed"


def test_inline_scripts_are_allowed_on_the_dashboard_only(client, staff):
    staff("admin")
    assert "'unsafe-inline'" in client.get(f"{URL_PREFIX}/").headers["Content-Security-Policy"].split("script-src")[1]
    assert "script-src" not in client.get("/quan-tri/hoi-nghi").headers["Content-Security-Policy"]


def test_admins_see_the_link_others_do_not(client, app_ctx, app):
    admin = app.test_client()
    login_as(admin, "admin")
    assert f'href="{URL_PREFIX}/"' in admin.get("/quan-tri/hoi-nghi").get_data(as_text=True)
    leader = app.test_client()
    login_as(leader, "leader")
    assert URL_PREFIX not in leader.get("/quan-tri/hoi-nghi").get_data(as_text=True)
