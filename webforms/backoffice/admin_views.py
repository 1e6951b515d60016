"""Documents, the outbox, the audit log and staff accounts."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from redis.exceptions import RedisError
from sqlalchemy import select

from webforms.backoffice.access import permission_required
from webforms.backoffice.forms import ROLE_LABELS, ActionForm, PasswordResetForm, UserCreateForm
from webforms.backoffice.helpers import current_actor, get_or_404, page_number, policy
from webforms.backoffice.routes import bp
from webforms.document_files import document_file
from webforms.domain import accounts, admin_queries
from webforms.domain.audit import record
from webforms.domain.conclusions import conclusion_for
from webforms.domain.outbox import outbox_task_progress, queue_task, retry_failed
from webforms.extensions import db
from webforms.models import Conference, Document, OutboxMessage, OutboxStatus, User
from webforms.services import services
from webforms.timeutil import utcnow
from webforms.unit_of_work import undo_on

# -- documents ------------------------------------------------------------------------------------

# Kinds generated for the conference as a whole; invitations and reply letters are one per addressee
# or recommendation and come from their own flows (sending invitations, approving an answer).
GENERATED_KINDS = ("announcement", "consolidated_table", "conclusion_notice", "results_report",
                   "postponement_report", "budget_estimate")
RENDER_TASK = "render_document"


def _progress(row_id: int, redis) -> dict | None:
    try:
        return outbox_task_progress(row_id, redis)
    except (RedisError, OSError):
        return None  # Redis down: the row's own status still shows; the sweep will enqueue it later


def pending_renders(conference: Conference | None) -> list[dict]:
    """The render tasks not finished yet (newest first), with their job's status and progress."""
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "task",
               OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED]))
        .order_by(OutboxMessage.id.desc()).limit(200)
    ).all()
    rows = [r for r in rows if (r.payload or {}).get("task") == RENDER_TASK
            and (conference is None or r.payload.get("args", {}).get("conference_id") == conference.id)]
    redis = services().redis
    titles = dict(db.session.execute(select(Conference.id, Conference.title).where(
        Conference.id.in_({r.payload.get("args", {}).get("conference_id") for r in rows}))).all()) if rows else {}
    return [{"row": r, "kind": r.payload["args"].get("kind", ""),
             "conference": titles.get(r.payload["args"].get("conference_id"), ""),
             "progress": _progress(r.id, redis) if r.status != OutboxStatus.FAILED else None}
            for r in rows[:50]]


@bp.get("/van-ban")
@permission_required("view_dashboard")
def documents():
    slug = request.args.get("conference", "")
    page = admin_queries.list_documents(slug or None, page=page_number(), per_page=policy().page_size)
    conference = db.session.scalar(select(Conference).where(Conference.slug == slug)) if slug else None
    return render_template("backoffice/documents.html", page=page, slug=slug, action_form=ActionForm(),
                           conference=conference, generated_kinds=GENERATED_KINDS,
                           renders=pending_renders(conference),
                           conferences=db.session.execute(select(Conference.slug, Conference.title)
                                                          .order_by(Conference.starts_at.desc())).all())


@bp.post("/van-ban/<slug>/<kind>/tao")
@permission_required("manage_documents")
def document_generate(slug: str, kind: str):
    """Generate (or regenerate: a new version) one document of the conference, in the docs worker."""
    conference = db.session.scalar(select(Conference).where(Conference.slug == slug))
    if conference is None or kind not in GENERATED_KINDS:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if kind == "conclusion_notice" and conclusion_for(conference) is None:
        flash(_("Chưa có kết luận của chủ trì Hội nghị: vui lòng nhập kết luận trước khi tạo thông báo."), "error")
        return redirect(url_for("backoffice.conclusions", slug=conference.slug))
    now = utcnow()
    # A fresh nonce in the key: a deliberate regenerate is a new task, never deduplicated away.
    nonce = f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"
    row = queue_task(RENDER_TASK, {"conference_id": conference.id, "kind": kind, "subject": {},
                                   "as_of": now.isoformat()},
                     queue="docs", dedupe_key=f"render:{conference.slug}:{kind}:{nonce}")
    record(current_actor(), "document.generate", "conference", conference.slug, now=now, kind=kind,
           outbox=row.id)
    flash(_("Đã đưa yêu cầu tạo văn bản “%(kind)s” vào hàng đợi; tiến độ hiện ở bảng dưới đây.",
            kind=_document_label(kind)), "info")
    return redirect(url_for("backoffice.documents", conference=conference.slug))


def _document_label(kind: str) -> str:
    from webforms.backoffice.labels import DOCUMENT_KIND, label

    return label(DOCUMENT_KIND, kind)


@bp.get("/van-ban/<int:document_id>/tai-ve")
@permission_required("view_dashboard")
def document_download(document_id: int):
    return document_file(get_or_404(Document, document_id))


@bp.post("/van-ban/<int:document_id>/cong-khai")
@permission_required("manage_documents")
def document_publish(document_id: int):
    document = get_or_404(Document, document_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    publish = request.form.get("publish") == "1"
    with undo_on(ValueError) as refused:
        admin_queries.set_document_published(document, publish, now=utcnow(), actor=current_actor())
    if refused:
        flash(_("Chỉ công khai được văn bản đã tạo xong."), "error")
    else:
        flash(_("Đã công khai văn bản.") if publish else _("Đã thôi công khai văn bản."), "info")
    return redirect(url_for("backoffice.documents", conference=request.args.get("conference", "")))


# -- outbox ---------------------------------------------------------------------------------------

@bp.get("/hop-thu-di")
@permission_required("retry_outbox")
def outbox():
    status = request.args.get("status", "")
    page = admin_queries.list_outbox(status, page=page_number(), per_page=policy().page_size)
    redis = services().redis
    # Long tasks (an invitation batch) report done/total in their RQ job's meta: shown as a progress bar.
    progress = {m.id: outbox_task_progress(m.id, redis) for m in page.rows
                if m.kind == "task" and m.status in ("pending", "sending")}
    return render_template("backoffice/outbox.html", page=page, status=status, action_form=ActionForm(),
                           counts=admin_queries.outbox_counts(), progress=progress)


@bp.post("/hop-thu-di/<int:row_id>/gui-lai")
@permission_required("retry_outbox")
def outbox_retry(row_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    row = retry_failed(row_id)
    if row is None:
        flash(_("Chỉ gửi lại được thư đã lỗi."), "error")
    else:
        record(current_actor(), "outbox.retry", "outbox", row_id, now=utcnow())
        flash(_("Đã đưa thư vào hàng đợi gửi lại."), "info")
    return redirect(url_for("backoffice.outbox", status=request.args.get("status", "")))


# -- audit log ------------------------------------------------------------------------------------

def _date_arg(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/nhat-ky")
@permission_required("view_audit")
def audit_log():
    flt = admin_queries.AuditFilter(actor=request.args.get("actor", "")[:200],
                                    action=request.args.get("action", "")[:80],
                                    target=request.args.get("target", "")[:80],
                                    since=_date_arg("since"), until=_date_arg("until"))
    page = admin_queries.list_audit(flt, page=page_number(), per_page=policy().page_size,
                                    tz=services().rules.plan.timezone)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("backoffice/audit.html", page=page, flt=flt, args=args)


# -- users ----------------------------------------------------------------------------------------

@bp.route("/tai-khoan", methods=["GET", "POST"])
@permission_required("manage_users")
def users():
    form = UserCreateForm()
    if form.validate_on_submit():
        with undo_on(accounts.AccountError) as refused:
            accounts.create_user(email=form.email.data, role=form.role.data, password=form.password.data,
                                 name=form.name.data or "", policy=policy(), now=utcnow(), actor=current_actor())
        if isinstance(refused.error, accounts.WeakPassword):
            form.password.errors.append(str(refused.error))
        elif refused:
            form.password.errors.append(_("Email đã có hoặc mật khẩu ngắn hơn %(n)d ký tự.",
                                          n=policy().min_password_length))
        else:
            flash(_("Đã tạo tài khoản."), "info")
            return redirect(url_for("backoffice.users"))
    return render_template("backoffice/users.html", users=accounts.list_users(), form=form,
                           reset_form=PasswordResetForm(), action_form=ActionForm(), roles=ROLE_LABELS,
                           now=utcnow())


@bp.post("/tai-khoan/<int:user_id>/dat-lai-mat-khau")
@permission_required("manage_users")
def user_reset_password(user_id: int):
    user = get_or_404(User, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        with undo_on(accounts.AccountError) as refused:
            accounts.reset_password(user, form.password.data, policy=policy(), now=utcnow(), actor=current_actor())
        if refused:
            flash(str(refused.error), "error")
        else:
            flash(_("Đã đặt lại mật khẩu và mở khóa tài khoản %(email)s.", email=user.email), "info")
    else:
        flash(_("Vui lòng nhập mật khẩu."), "error")
    return redirect(url_for("backoffice.users"))


@bp.post("/tai-khoan/<int:user_id>/kich-hoat")
@permission_required("manage_users")
def user_set_active(user_id: int):
    user = get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    accounts.set_active(user, request.form.get("active") == "1", now=utcnow(), actor=current_actor())
    return redirect(url_for("backoffice.users"))
