"""Approving department answers: a list of submitted answers, approve or send back with a comment."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from webforms.backoffice.access import permission_required
from webforms.backoffice.routes import bp
from webforms.domain import replies
from webforms.domain.audit import Actor
from webforms.extensions import db
from webforms.models import Assignment
from webforms.services import services
from webforms.timeutil import utcnow
from webforms.unit_of_work import undo_on


class ApproveForm(FlaskForm):
    """Only the CSRF token."""


class SendBackForm(FlaskForm):
    comment = TextAreaField(
        _l("Ý kiến chỉnh sửa"),
        validators=[
            DataRequired(message=_l("Vui lòng ghi ý kiến khi trả lại dự thảo.")),
            Length(max=replies.REASON_MAX),
        ],
    )


def _actor() -> Actor:
    return Actor(
        kind="user",
        name=current_user.email,
        ip=request.remote_addr or "",
        user_agent=request.user_agent.string or "",
    )


def _domain_args() -> dict:
    svc = services()
    return {"now": utcnow(), "rules": svc.rules, "calendar": svc.calendar, "settings": svc.settings}


def _assignment(assignment_id: int) -> Assignment:
    return db.session.get(Assignment, assignment_id) or abort(404)


@bp.get("/duyet-tra-loi")
@permission_required("approve_answer")
def approvals():
    return render_template(
        "backoffice/approvals.html",
        items=replies.submitted_answers(),
        approve_form=ApproveForm(),
        send_back_form=SendBackForm(),
        bulk_form=BulkForm(),
    )


@bp.post("/duyet-tra-loi/<int:assignment_id>/duyet")
@permission_required("approve_answer")
def approve(assignment_id: int):
    assignment = _assignment(assignment_id)
    if not ApproveForm().validate_on_submit():
        abort(400)
    with undo_on(replies.ReplyError) as refused:
        approved = replies.approve_answer(assignment, actor=_actor(), approver_id=current_user.id,
                                          **_domain_args())
    if refused:
        flash(str(refused.error), "error")
        return redirect(url_for("backoffice.approvals"))
    if approved:
        flash(_("Đã duyệt trả lời kiến nghị %(code)s; văn bản trả lời chờ ký số và ban hành.",
                code=assignment.recommendation.code), "success")
    else:
        flash(_("Kiến nghị %(code)s không còn chờ duyệt.", code=assignment.recommendation.code), "info")
    return redirect(url_for("backoffice.approvals"))


@bp.post("/duyet-tra-loi/<int:assignment_id>/tra-lai")
@permission_required("approve_answer")
def send_back(assignment_id: int):
    assignment = _assignment(assignment_id)
    form = SendBackForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("backoffice.approvals"))
    if replies.send_back(assignment, form.comment.data, actor=_actor(), **_domain_args()):
        flash(_("Đã trả lại dự thảo kiến nghị %(code)s cho đơn vị.", code=assignment.recommendation.code), "success")
    else:
        flash(_("Kiến nghị %(code)s không còn chờ duyệt.", code=assignment.recommendation.code), "info")
    return redirect(url_for("backoffice.approvals"))


class BulkForm(FlaskForm):
    """The selected assignments (checkboxes named `ids`), the action, and the comment a send-back needs."""

    comment = TextAreaField(_l("Ý kiến chỉnh sửa (bắt buộc khi trả lại)"), validators=[Length(max=replies.REASON_MAX)])


@bp.post("/duyet-tra-loi/hang-loat")
@permission_required("approve_answer")
def bulk_decide():
    """Approve or send back every selected answer in one transaction: all of them, or none."""
    form = BulkForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("backoffice.approvals"))
    action = request.form.get("action", "")
    ids = sorted({int(v) for v in request.form.getlist("ids") if v.isdigit()})
    if action not in ("approve", "send_back"):
        abort(400)
    if not ids:
        flash(_("Vui lòng chọn ít nhất một kiến nghị."), "error")
        return redirect(url_for("backoffice.approvals"))
    comment = (form.comment.data or "").strip()
    if action == "send_back" and not comment:
        flash(_("Vui lòng ghi ý kiến khi trả lại dự thảo."), "error")
        return redirect(url_for("backoffice.approvals"))
    assignments = list(db.session.scalars(select(Assignment).where(Assignment.id.in_(ids)).order_by(Assignment.id)))
    done, skipped = [], []
    with undo_on(replies.ReplyError) as refused:
        for assignment in assignments:
            if action == "approve":
                changed = replies.approve_answer(assignment, actor=_actor(), approver_id=current_user.id,
                                                 **_domain_args())
            else:
                changed = replies.send_back(assignment, comment, actor=_actor(), **_domain_args())
            (done if changed else skipped).append(assignment.recommendation.code)
    if refused:
        flash(str(refused.error), "error")
        return redirect(url_for("backoffice.approvals"))
    if done:
        message = (_("Đã duyệt %(n)d trả lời: %(codes)s; văn bản trả lời chờ ký số và ban hành.",
                     n=len(done), codes=", ".join(done))
                   if action == "approve" else
                   _("Đã trả lại %(n)d dự thảo cho đơn vị: %(codes)s.", n=len(done), codes=", ".join(done)))
        flash(message, "success")
    if skipped:
        flash(_("Không còn chờ duyệt: %(codes)s.", codes=", ".join(skipped)), "info")
    return redirect(url_for("backoffice.approvals"))
