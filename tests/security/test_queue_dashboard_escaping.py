"""F21: rq-dashboard's job pages escape every job field they interpolate (underscore's <%- %>)."""

import math
import re

import pytest
from rq import Queue
from rq.worker import SimpleWorker

from webforms.backoffice.queue_dashboard import URL_PREFIX
from workers.queues import DEFAULT

pytestmark = pytest.mark.security

HOSTILE = "<img src=x onerror=alert(1)>"


def test_job_pages_interpolate_only_escaped(app, client, staff, app_ctx):
    redis = app_ctx.extensions["doithoai"].redis
    queue = Queue(DEFAULT, connection=redis)
    job = queue.enqueue(math.sqrt, HOSTILE, description=HOSTILE)  # fails: must be real number, not str
    SimpleWorker([queue], connection=redis).work(burst=True, with_scheduler=False, logging_level="ERROR")
    staff("admin")
    data = client.get(f"{URL_PREFIX}/0/data/job/{job.id}.json").get_json()
    assert HOSTILE in data["description"]  # the text does reach the page
    for path in (f"/0/view/job/{job.id}", f"/0/view/jobs/{DEFAULT}/failed/10/asc/1"):
        page = client.get(URL_PREFIX + path).get_data(as_text=True)
        templates = re.findall(r'<script[^>]*type="text/template"[^>]*>(.*?)</script>', page, re.S)
        assert templates, path
        for template in templates:
            assert "<%=" not in template, (path, template)
        assert "<%- d.description %>" in page or "<%- d.exc_info %>" in page
