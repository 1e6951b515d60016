"""Approve, issue and withdraw documents; the outgoing register (sổ đăng ký văn bản đi) and its export."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from webforms.backoffice.access import permission_required
from webforms.backoffice.forms import ActionForm
from webforms.backoffice.helpers import current_actor, get_or_404
from webforms.backoffice.routes import bp
from webforms.document_files import signed_file
from webforms.domain.audit import record
from webforms.domain.documents import register
from webforms.domain.documents.issuing import (
    IssueRefused,
    approve_document,
    issue_document,
    verify_url,
    withdraw_document,
)
from webforms.domain.documents.signing import SigningConfig, SigningError
from webforms.models import Document, TransitionRefused
from webforms.services import services
from webforms.timeutil import utcnow
from webforms.unit_of_work import undo_on

MAX_SIGNED_BYTES = 30 * 1024 * 1024


class IssueForm(FlaskForm):
    signed_file = FileField(_l("Tệp PDF đã ký số"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Lý do thu hồi"), validators=[DataRequired(_l("Vui lòng nêu lý do thu hồi.")),
                                                             Length(max=1000)])


def _back(document: Document):
    return redirect(url_for("backoffice.document_issue_page", document_id=document.id))


def _config() -> SigningConfig | None:
    try:
        return SigningConfig.from_env()
    except SigningError:
        return None


@bp.get("/van-ban/<int:document_id>/ban-hanh")
@permission_required("view_dashboard")
def document_issue_page(document_id: int):
    document = get_or_404(Document, document_id)
    config = _config()
    return render_template(
        "backoffice/document_issue.html", document=document, action_form=ActionForm(), issue_form=IssueForm(),
        withdraw_form=WithdrawForm(), token_configured=config is not None and config.token is not None,
        verify=verify_url(services().settings, document.verify_code) if document.verify_code else "",
    )


@bp.post("/van-ban/<int:document_id>/duyet")
@permission_required("approve_answer")
def document_approve(document_id: int):
    document = get_or_404(Document, document_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with undo_on(TransitionRefused) as refused:
        approve_document(document)
    if refused:
        flash(_("Văn bản không ở trạng thái dự thảo nên không duyệt được."), "error")
        return _back(document)
    record(current_actor(), "document.approve", "document", str(document.id), now=utcnow(), kind=document.kind)
    flash(_("Đã duyệt nội dung văn bản; văn bản chờ ký số và ban hành."), "success")
    return _back(document)


@bp.post("/van-ban/<int:document_id>/ban-hanh")
@permission_required("manage_documents")
def document_issue(document_id: int):
    document = get_or_404(Document, document_id)
    form = IssueForm()
    if not form.validate_on_submit():
        abort(400)
    svc = services()
    upload = form.signed_file.data
    signed = None
    if upload is not None and getattr(upload, "filename", ""):
        signed = upload.stream.read(MAX_SIGNED_BYTES + 1)
        if len(signed) > MAX_SIGNED_BYTES:
            flash(_("Tệp đã ký quá lớn."), "error")
            return _back(document)
    elif request.form.get("use_token") != "1":
        flash(_("Vui lòng chọn tệp PDF đã ký số, hoặc ký trên hệ thống."), "error")
        return _back(document)
    now = utcnow()
    with undo_on(IssueRefused, SigningError) as refused:
        result = issue_document(document, svc.rules, svc.settings, now, signed_pdf=signed,
                                config=SigningConfig.from_env())
    if refused:
        flash(str(refused.error), "error")
        return _back(document)
    record(current_actor(), "document.issue", "document", str(document.id), now=now, number=result.number_text,
           sha256=document.signed_sha256, uploaded=signed is not None)
    flash(_("Đã ban hành văn bản số %(number)s.", number=result.number_text), "success")
    return _back(document)


@bp.post("/van-ban/<int:document_id>/thu-hoi")
@permission_required("manage_documents")
def document_withdraw(document_id: int):
    document = get_or_404(Document, document_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Vui lòng nêu lý do thu hồi."), "error")
        return _back(document)
    with undo_on(IssueRefused, TransitionRefused) as refused:
        withdraw_document(document, form.reason.data)
    if refused:
        flash(_("Văn bản này không thu hồi được."), "error")
        return _back(document)
    record(current_actor(), "document.withdraw", "document", str(document.id), now=utcnow(),
           reason=form.reason.data.strip())
    flash(_("Đã thu hồi văn bản."), "info")
    return _back(document)


@bp.get("/van-ban/<int:document_id>/ban-chinh-thuc")
@permission_required("view_dashboard")
def document_signed_download(document_id: int):
    document = get_or_404(Document, document_id)
    return signed_file(document)


# -- the invitations of a conference, approved and issued together (one register number each) ------------

def _conference_or_404(slug: str):
    from sqlalchemy import select

    from webforms.extensions import db
    from webforms.models import Conference

    conference = db.session.scalar(select(Conference).where(Conference.slug == slug))
    if conference is None:
        abort(404)
    return conference


def _to_dispatch(conference):
    return redirect(url_for("backoffice.invitation_dispatch", slug=conference.slug))


@bp.post("/hoi-nghi/<slug>/giay-moi/duyet")
@permission_required("approve_answer")
def invitations_approve(slug: str):
    from webforms.domain.invitation_dispatch import approve_drafts

    conference = _conference_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    approved = approve_drafts(conference)
    for document in approved:
        record(current_actor(), "document.approve", "document", str(document.id), now=utcnow(), kind=document.kind)
    flash(_("Đã duyệt %(n)d giấy mời; giấy mời chờ ký số và ban hành.", n=len(approved)), "success")
    return _to_dispatch(conference)


@bp.post("/hoi-nghi/<slug>/giay-moi/ban-hanh")
@permission_required("manage_documents")
def invitations_issue(slug: str):
    """Queue the signing and issue of every approved invitation (a worker task: 300 take minutes)."""
    import hashlib

    from webforms.domain.invitation_dispatch import approved_ids
    from webforms.domain.outbox import queue_task

    conference = _conference_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    config = _config()
    if config is None or config.token is None:
        flash(_("Chưa cấu hình thiết bị ký số: hãy ban hành từng giấy mời bằng tệp đã ký số."), "error")
        return _to_dispatch(conference)
    ids = approved_ids(conference)
    if not ids:
        flash(_("Không có giấy mời nào đã duyệt chờ ban hành."), "info")
        return _to_dispatch(conference)
    digest = hashlib.sha256(" ".join(map(str, ids)).encode()).hexdigest()[:16]
    row = queue_task("issue_invitations", {"document_ids": ids, "actor": current_actor().name}, queue="docs",
                     dedupe_key=f"issue_invitations:{conference.id}:{digest}")
    record(current_actor(), "invitations.issue_requested", "conference", conference.slug, now=utcnow(),
           documents=len(ids), outbox=row.id)
    flash(_("Đang ký số và ban hành %(n)d giấy mời; tiến độ ở trang hàng đợi.", n=len(ids)), "info")
    return _to_dispatch(conference)


def _year() -> int:
    try:
        return int(request.args.get("nam", ""))
    except ValueError:
        return utcnow().astimezone(services().rules.plan.timezone).year


@bp.get("/so-van-ban-di")
@permission_required("view_dashboard")
def register_page():
    year = _year()
    rows = [register.entry_row(e) for e in register.entries(year)]
    this_year = utcnow().astimezone(services().rules.plan.timezone).year
    return render_template("backoffice/register.html", rows=rows, year=year, years=range(this_year, this_year - 6, -1))


@bp.get("/so-van-ban-di.xlsx")
@permission_required("view_dashboard")
def register_export():
    import io

    from webforms.backoffice.labels import DOCUMENT_KIND

    year = _year()
    rows = [register.entry_row(e) for e in register.entries(year)]
    data = register.register_xlsx(rows, title=_("Sổ đăng ký văn bản đi năm %(year)d", year=year),
                                  kind_labels={k: str(v) for k, v in DOCUMENT_KIND.items()})
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"so-van-ban-di-{year}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

