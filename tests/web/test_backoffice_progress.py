"""The outbox page shows a progress bar for a long task from its RQ job's meta."""

from rq import Queue

from webforms.domain import outbox
from webforms.extensions import db


def test_outbox_page_shows_a_running_batch_progress(app, app_ctx, client, staff):
    row = outbox.queue_task("send_invitations", {"conference": 1}, queue="docs", dedupe_key="progress-test")
    db.session.commit()
    redis = app.extensions["doithoai"].redis
    job = Queue("docs", connection=redis).fetch_job(outbox.job_id_for([row.id]))
    assert job is not None  # enqueued after the commit
    job.meta["progress"] = {"done": 120, "total": 500}
    job.save_meta()
    staff("secretariat")
    page = client.get("/quan-tri/hop-thu-di").get_data(as_text=True)
    assert '<progress max="500" value="120"' in page
    assert "120/500 (24%)" in page
