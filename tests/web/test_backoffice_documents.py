"""Generating and regenerating a conference's documents from the documents page: the request queues one
render task (never deduplicated away), the page shows it pending, and the docs worker makes a new version."""

from sqlalchemy import func, select

from tests.factories import create_conference
from tests.jobs import run_jobs
from tests.login import csrf
from webforms.extensions import db
from webforms.models import AuditEvent, Document, OutboxMessage

DOCS = "/quan-tri/van-ban"


def _render_rows() -> list[OutboxMessage]:
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "task")
                              .order_by(OutboxMessage.id)).all()
    return [r for r in rows if r.payload["task"] == "render_document"]


def _versions(conference_id: int, kind: str) -> list[tuple[int, str]]:
    return [tuple(r) for r in db.session.execute(
        select(Document.version, Document.status).where(Document.conference_id == conference_id,
                                                        Document.kind == kind).order_by(Document.version))]


def test_generate_then_regenerate_makes_new_versions(app, client, staff, app_ctx, settings):
    conference = create_conference(slug="hn-tao-vb", title="Hội nghị đối thoại doanh nghiệp quý III")
    db.session.commit()
    conference_id = conference.id
    staff("secretariat")
    page = client.get(f"{DOCS}?conference=hn-tao-vb").get_data(as_text=True)
    assert "Tạo / tạo lại: Thông báo tổ chức Hội nghị" in page
    assert "Tạo / tạo lại: Dự toán kinh phí" in page
    url = f"{DOCS}/hn-tao-vb/announcement/tao"
    assert 'action="' + url + '"' in page

    response = client.post(url, data={"csrf_token": csrf(client, DOCS)})
    assert response.status_code == 302 and "conference=hn-tao-vb" in response.headers["Location"]
    (row,) = _render_rows()
    assert row.queue == "docs" and row.status == "pending"
    assert row.payload["args"]["conference_id"] == conference_id and row.payload["args"]["kind"] == "announcement"
    assert row.dedupe_key.startswith("render:hn-tao-vb:announcement:")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "document.generate")) == 1
    pending = client.get(f"{DOCS}?conference=hn-tao-vb").get_data(as_text=True)
    assert "Đã đưa yêu cầu tạo văn bản “Thông báo tổ chức Hội nghị” vào hàng đợi" in pending
    assert "Văn bản đang tạo" in pending and "<progress" in pending

    db.session.rollback()  # end this session's transaction: SQLite takes the write lock at BEGIN
    run_jobs(app)
    db.session.expire_all()
    assert _versions(conference_id, "announcement") == [(1, "done")]
    assert [r.status for r in _render_rows()] == ["sent"]
    done = client.get(f"{DOCS}?conference=hn-tao-vb").get_data(as_text=True)
    assert "Văn bản đang tạo" not in done and "v1" in done

    # A deliberate regenerate right away is a second task, not deduplicated: a new version.
    client.post(url, data={"csrf_token": csrf(client, DOCS)})
    client.post(f"{DOCS}/hn-tao-vb/consolidated_table/tao", data={"csrf_token": csrf(client, DOCS)})
    assert len(_render_rows()) == 3
    db.session.rollback()
    run_jobs(app)
    db.session.expire_all()
    assert _versions(conference_id, "announcement") == [(1, "done"), (2, "done")]
    assert _versions(conference_id, "consolidated_table") == [(1, "done")]
    download = client.get(f"{DOCS}/{db.session.scalar(select(Document.id).where(Document.version == 2))}/tai-ve")
    assert download.status_code == 200 and download.data.startswith(b"PK")


def test_generate_refuses_unknown_kinds_missing_csrf_and_other_roles(app, client, staff, app_ctx):
    create_conference(slug="hn-tu-choi")
    db.session.commit()
    staff("leader")  # may read the documents, not make them
    page = client.get(f"{DOCS}?conference=hn-tu-choi").get_data(as_text=True)
    assert "Tạo / tạo lại" not in page
    assert client.post(f"{DOCS}/hn-tu-choi/announcement/tao",
                       data={"csrf_token": csrf(client, DOCS)}).status_code == 403
    client.post("/quan-tri/dang-xuat", data={"csrf_token": csrf(client, DOCS)})
    staff("consolidation")
    token = csrf(client, DOCS)
    assert client.post(f"{DOCS}/hn-tu-choi/reply_letter/tao", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{DOCS}/hn-khong-co/announcement/tao", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{DOCS}/hn-tu-choi/announcement/tao", data={}).status_code == 400
    assert _render_rows() == []


def test_documents_page_generate_actions_in_english(client, staff, app_ctx):
    create_conference(slug="hn-en")
    db.session.commit()
    staff("secretariat")
    page = client.get(f"{DOCS}?conference=hn-en&lang=en").get_data(as_text=True)
    assert "Generate / regenerate: Conference announcement" in page
    assert "Tạo / tạo lại" not in page
