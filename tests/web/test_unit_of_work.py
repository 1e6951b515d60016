"""One unit of work per request (webforms/unit_of_work.py), with real files on disk: a request that fails
leaves no file and no row behind, one that succeeds keeps both; a file whose row is removed goes once that
removal has committed. And the file hooks belong to `db.session`, not to every SQLAlchemy Session."""

from __future__ import annotations

import io

from sqlalchemy.orm import Session

from tests.jobs import run_jobs
from tests.web.test_reply import LINK, PDF, csrf, future_recommendation, link_from_mail, rec_by_code, stored_files
from webforms.extensions import db
from webforms.models import Attachment, AuditEvent
from webforms.unit_of_work import _ON_ROLLBACK, remove_after_commit, remove_on_rollback


def _coordinating_link(app, client, rules, calendar, settings, mailbox) -> tuple[str, str, bytes]:
    code = future_recommendation(app, rules, calendar, settings)
    run_jobs(app)
    path = link_from_mail(mailbox, "qldt@heza.example.vn")
    page = client.get(path)
    form = {"coordination-csrf_token": csrf(page.data, "coordination"), "coordination-agencies": ["THUE"],
            "coordination-note": "Đề nghị cho ý kiến về ưu đãi thuế."}
    assert client.post(path + "/phoi-hop", data=form).status_code == 302
    run_jobs(app)
    (to_tax,) = mailbox.to("thue@haiphong.example.vn")
    tax_path = LINK.search(to_tax.text).group(1)
    return code, tax_path, client.get(tax_path).data


def test_a_refused_request_leaves_no_file_and_a_committed_one_keeps_it(app, client, rules, calendar, settings,
                                                                     mailbox):
    code, tax_path, tax_page = _coordinating_link(app, client, rules, calendar, settings, mailbox)

    def give_input(text: str):
        return client.post(tax_path + "/y-kien-phoi-hop", data={
            "input-csrf_token": csrf(tax_page, "input"), "input-text": text,
            "input-attachments": [(io.BytesIO(PDF), "Bảng tính ưu đãi.pdf")]})

    # The file is accepted and stored, then the input is refused (nothing left once control characters are
    # removed): the domain raises after the file is on disk, and only the unit of work removes it.
    refused = give_input("\x01\x02\x03")
    assert refused.status_code == 302
    assert stored_files(settings) == set()
    page = client.get(tax_path).get_data(as_text=True)
    assert "Vui lòng nhập ý kiến phối hợp." in page  # the refusal, flashed by the blueprint's handler
    assert "Đã gửi ý kiến phối hợp" not in page
    with app.app_context():
        assert db.session.scalars(db.select(Attachment)).all() == []
        assert rec_by_code(code).assignments[1].state == "open"
        assert db.session.scalar(db.select(AuditEvent.id).where(
            AuditEvent.action == "coordination.attachment_add")) is None

    assert give_input("Doanh nghiệp được hưởng ưu đãi theo Nghị định 31.").status_code == 302
    with app.app_context():
        (item,) = db.session.scalars(db.select(Attachment)).all()
        assert stored_files(settings) == {item.stored_name}
        assert (settings.resolved_uploads_dir / item.stored_name).read_bytes() == PDF
        assert rec_by_code(code).assignments[1].state == "submitted"


def test_a_removed_draft_file_goes_from_disk_with_its_row(app, client, rules, calendar, settings, mailbox):
    future_recommendation(app, rules, calendar, settings)
    run_jobs(app)
    path = link_from_mail(mailbox, "qldt@heza.example.vn")
    page = client.get(path)
    draft = {"draft-csrf_token": csrf(page.data, "draft"), "draft-answer": "Dự thảo có tài liệu kèm theo.",
             "draft-answer_mode": "in_writing", "draft-attachments": [(io.BytesIO(PDF), "Công văn.pdf")]}
    assert client.post(path + "/du-thao", data=draft).status_code == 302
    with app.app_context():
        (item,) = db.session.scalars(db.select(Attachment)).all()
        item_id, stored_name = item.id, item.stored_name
    assert stored_files(settings) == {stored_name}
    page = client.get(path)
    response = client.post(f"{path}/tep/{item_id}/xoa", data={"remove-csrf_token": csrf(page.data, "remove")})
    assert response.status_code == 302
    assert stored_files(settings) == set()
    with app.app_context():
        assert db.session.get(Attachment, item_id) is None


def test_files_follow_the_outer_transaction_of_db_session(app, tmp_path):
    kept, dropped, deleted, spared = (tmp_path / name for name in ("kept", "dropped", "deleted", "spared"))
    for path in (kept, dropped, deleted, spared):
        path.write_bytes(b"x")
    with app.app_context():
        remove_on_rollback(kept)
        remove_after_commit(deleted)
        db.session.commit()
        assert kept.exists() and not deleted.exists()

        remove_on_rollback(dropped)
        remove_after_commit(spared)
        nested = db.session.begin_nested()
        nested.rollback()  # a SAVEPOINT rolled back: the outer transaction still decides
        assert dropped.exists()
        db.session.rollback()
        assert not dropped.exists() and spared.exists()

        # A plain Session (a script's own) runs none of these hooks.
        with Session(db.engine) as plain:
            plain.info[_ON_ROLLBACK] = [str(kept)]
            plain.begin()
            plain.rollback()
        assert kept.exists()
