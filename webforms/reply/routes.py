"""Department answer pages behind a signed link (no login: the link is the credential)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, send_from_directory, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from webforms.domain import replies
from webforms.domain.audit import Actor
from webforms.domain.links import LinkError, read_link
from webforms.domain.routing import deadlines_for
from webforms.extensions import db
from webforms.models import Assignment, AssignmentRole, Attachment, AuditEvent
from webforms.reply.forms import (
    CoordinationForm,
    DelegateForm,
    DraftForm,
    InputForm,
    RemoveFileForm,
    ReturnForm,
    SelectChoice,
    SubmitForm,
)
from webforms.services import services
from webforms.timeutil import utcnow
from webforms.unit_of_work import keep_so_far, remove_after_commit, undo_on

bp = Blueprint("reply", __name__, url_prefix="/tra-loi", template_folder="templates")

# Links refused: 404 when the link never existed, 410 when it did and no longer works.
_LINK_STATUS = {"invalid": 404, "expired": 410, "revoked": 410}


@bp.errorhandler(LinkError)
def link_refused(error: LinkError):
    rules = services().rules
    return render_template(
        "reply/link_error.html",
        reason=error.reason,
        assignment=error.assignment,
        consolidating=rules.consolidating_department,
    ), _LINK_STATUS[error.reason]


@bp.errorhandler(replies.ReplyError)
def action_refused(error: replies.ReplyError):
    flash(str(error), "error")
    return redirect(url_for("reply.page", token=request.view_args["token"]))


def _load(token: str) -> Assignment:
    svc = services()
    return read_link(
        token[:1000], secret_key=svc.settings.secret_key, now=utcnow(), rules=svc.rules, calendar=svc.calendar
    )


def _actor(assignment: Assignment) -> Actor:
    return Actor(
        kind="department_link",
        name=assignment.holder_email or assignment.department.code,
        ip=request.remote_addr or "",
        user_agent=request.user_agent.string or "",
    )


def _domain_args() -> dict:
    svc = services()
    return {"now": utcnow(), "rules": svc.rules, "calendar": svc.calendar, "settings": svc.settings}


def _forms(assignment: Assignment) -> dict:
    rules = services().rules
    forms = {
        "draft": DraftForm(
            prefix="draft", answer=assignment.draft_answer, answer_mode=assignment.answer_mode or None
        ),
        "submit": SubmitForm(prefix="submit"),
        "coordination": CoordinationForm(prefix="coordination"),
        "return": ReturnForm(prefix="return"),
        "delegate": DelegateForm(prefix="delegate"),
        "input": InputForm(prefix="input", text=assignment.draft_answer),
        "remove": RemoveFileForm(prefix="remove"),
    }
    own = assignment.department.code
    forms["coordination"].agencies.choices = [
        SelectChoice(d.code, d.name + ("" if d.is_internal else _(" (cơ quan ngoài Ban)")))
        for d in sorted(rules.departments, key=lambda d: (d.is_internal, d.name))
        if d.code != own
    ]
    forms["return"].suggested.choices = [SelectChoice("", _("— Không rõ: chuyển Phòng tổng hợp —"))] + [
        SelectChoice(d.code, d.name) for d in rules.departments if d.is_internal and d.code != own
    ]
    return forms


@dataclass(frozen=True)
class HistoryLine:
    """One line of a department page's history: the unit or role that acted, never a staff login or an
    IP address; the Board's comments and reasons only for its own units (F12)."""

    at: object
    action: str
    actor: str
    details: dict
    ip: str = ""


def _history(assignment: Assignment) -> list[HistoryLine]:
    from webforms.backoffice.forms import ROLE_LABELS
    from webforms.models import User

    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.target_kind == "recommendation",
                AuditEvent.target_id == assignment.recommendation.code,
            )
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
    staff = {e.actor for e in events if e.actor_kind == "user"}
    roles = dict(db.session.execute(select(User.email, User.role).where(User.email.in_(staff))).all()) if staff else {}
    units = {d.code: d.short or d.name for d in services().rules.departments}
    internal_viewer = assignment.department is not None and assignment.department.kind == "internal"
    lines = []
    for e in events:
        details = dict(e.details or {})
        if not internal_viewer:
            details.pop("comment", None)
            details.pop("reason", None)
        if e.actor_kind == "user":
            who = str(ROLE_LABELS.get(roles.get(e.actor), _("Ban Quản lý")))
        elif e.actor_kind == "department_link":
            code = details.get("department")
            who = units.get(code, code) if code else _("Đơn vị được giao")
        elif e.actor_kind == "enterprise_link":
            who = _("Doanh nghiệp")
        else:
            who = _("Hệ thống")
        lines.append(HistoryLine(at=e.at, action=e.action, actor=str(who), details=details))
    return lines


@bp.get("/<token>")
def page(token: str):
    return _render(token, _load(token))


def _render(token: str, assignment: Assignment, *, draft: DraftForm | None = None,
            input_form: InputForm | None = None, status: int = 200):
    svc = services()
    forms = _forms(assignment)
    if draft is not None:
        forms["draft"] = draft
    if input_form is not None:
        forms["input"] = input_form
    recommendation = assignment.recommendation
    inputs = [
        a
        for a in recommendation.assignments
        if a.role == AssignmentRole.COORDINATING and a.parent_id == assignment.id
    ]
    return render_template(
        "reply/page.html",
        token=token,
        assignment=assignment,
        recommendation=recommendation,
        enterprise=recommendation.registration.enterprise,
        inputs=inputs,
        input_files={i.id: replies.department_files(i) for i in inputs},
        deadlines=deadlines_for(assignment, svc.rules, svc.calendar),
        calendar=svc.calendar,
        history=_history(assignment),
        forms=forms,
        files=replies.department_files(assignment),
        rules=svc.rules,
        field=svc.rules.field(recommendation.field_code),
        zone=svc.rules.zone(recommendation.registration.enterprise.zone_code),
    ), status


def _invalid(form) -> bool:
    if form.validate_on_submit():
        return False
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")
    return True


def _back(token: str):
    return redirect(url_for("reply.page", token=token))


@bp.post("/<token>/du-thao")
def save_draft(token: str):
    assignment = _load(token)
    form = DraftForm(prefix="draft")
    if _invalid(form):
        return _back(token)
    args = _domain_args()
    actor = _actor(assignment)
    # The text first: a refusal there (ReplyError) leaves no file behind. Files are all or nothing,
    # and a refused file keeps the text unsaved too, shown again with the message next to the field.
    with undo_on(replies.FilesRefused) as refused:
        replies.save_draft_answer(
            assignment, form.answer.data or "", answer_mode=form.answer_mode.data or None, actor=actor,
            now=args["now"]
        )
        added = replies.add_draft_files(
            assignment, form.uploads(), actor=actor, now=args["now"], settings=args["settings"]
        )
    if refused:
        form.attachments.errors = list(refused.error.messages)
        return _render(token, assignment, draft=form, status=422)
    if added:
        flash(_("Đã lưu dự thảo trả lời và %(n)s tệp đính kèm.", n=len(added)), "success")
    else:
        flash(_("Đã lưu dự thảo trả lời."), "success")
    if request.form.get("draft-intent") == "submit":
        # One form, two buttons: what was typed is saved before it goes for approval, so a refusal here
        # (ReplyError, shown by the handler) loses nothing: the one partial commit of a request.
        keep_so_far()
        replies.submit_for_approval(assignment, actor=actor, **args)
        flash(_("Đã gửi dự thảo trả lời để lãnh đạo duyệt."), "success")
    return _back(token)


@bp.post("/<token>/tep/<int:attachment_id>/xoa")
def remove_file(token: str, attachment_id: int):
    assignment = _load(token)
    if _invalid(RemoveFileForm(prefix="remove")):
        return _back(token)
    removed = replies.remove_draft_file(assignment, attachment_id, actor=_actor(assignment), now=utcnow())
    if removed is None:
        flash(_("Tệp này không còn trong dự thảo."), "info")
        return _back(token)
    remove_after_commit(services().settings.resolved_uploads_dir / removed.stored_name)
    flash(_("Đã gỡ tệp “%(name)s” khỏi dự thảo.", name=removed.original_name), "success")
    return _back(token)


@bp.post("/<token>/gui-duyet")
def submit(token: str):
    assignment = _load(token)
    if _invalid(SubmitForm(prefix="submit")):
        return _back(token)
    replies.submit_for_approval(assignment, actor=_actor(assignment), **_domain_args())
    flash(_("Đã gửi dự thảo trả lời để lãnh đạo duyệt."), "success")
    return _back(token)


@bp.post("/<token>/phoi-hop")
def coordinate(token: str):
    assignment = _load(token)
    form = CoordinationForm(prefix="coordination")
    form.agencies.choices = [SelectChoice(d.code, d.name) for d in services().rules.departments]
    if _invalid(form):
        return _back(token)
    replies.declare_coordination(
        assignment, form.agencies.data, note=form.note.data or "", actor=_actor(assignment), **_domain_args()
    )
    flash(
        _("Đã gửi đề nghị phối hợp; thời hạn trả lời chuyển sang hạn dành cho kiến nghị cần phối hợp."),
        "success",
    )
    return _back(token)


@bp.post("/<token>/y-kien-phoi-hop")
def give_input(token: str):
    assignment = _load(token)
    form = InputForm(prefix="input")
    if _invalid(form):
        return _back(token)
    args = _domain_args()
    actor = _actor(assignment)
    # Files first (handing in the input closes the assignment to more files), all or nothing; a refused
    # file keeps the text unsent, shown again with the message next to the field.
    with undo_on(replies.FilesRefused) as refused:
        replies.add_draft_files(assignment, form.uploads(), actor=actor, now=args["now"], settings=args["settings"])
    if refused:
        form.attachments.errors = list(refused.error.messages)
        return _render(token, assignment, input_form=form, status=422)
    replies.give_coordination_input(assignment, form.text.data, actor=actor, **args)
    flash(_("Đã gửi ý kiến phối hợp cho đơn vị chủ trì."), "success")
    return _back(token)


@bp.post("/<token>/tra-lai")
def return_not_ours(token: str):
    assignment = _load(token)
    form = ReturnForm(prefix="return")
    form.suggested.choices = [SelectChoice("", "")] + [
        SelectChoice(d.code, d.name) for d in services().rules.departments
    ]
    if _invalid(form):
        return _back(token)
    suggested = form.suggested.data or form.suggested_other.data or ""
    new = replies.return_not_ours(
        assignment, form.reason.data, suggested, actor=_actor(assignment), **_domain_args()
    )
    session["reply_done"] = {"what": "tra-lai", "to": new.department.name}
    return redirect(url_for("reply.done"))


@bp.post("/<token>/giao-dong-nghiep")
def delegate(token: str):
    assignment = _load(token)
    form = DelegateForm(prefix="delegate")
    if _invalid(form):
        return _back(token)
    changed = replies.delegate(
        assignment, form.email.data, form.name.data, actor=_actor(assignment), **_domain_args()
    )
    if not changed:
        flash(_("Người này đang giữ đường dẫn của kiến nghị."), "info")
        return _back(token)
    session["reply_done"] = {"what": "giao", "to": form.name.data}
    return redirect(url_for("reply.done"))


@bp.get("/da-xu-ly")
def done():
    """What was just done, from the session (shown once): the page prints no text taken from its address,
    which anyone could have written into a link (review F22)."""
    done = session.pop("reply_done", None) or {}
    return render_template(
        "reply/done.html",
        what=done.get("what", ""),
        to=done.get("to", ""),
        consolidating=services().rules.consolidating_department,
    )


def _readable_assignments(assignment: Assignment) -> set[int]:
    """Whose files a link may download besides the enterprise's: its own; the lead unit's link also those of
    the agencies it asked to coordinate. An agency never sees another agency's files or the lead's draft."""
    readable = {assignment.id}
    if assignment.role == AssignmentRole.OWNER:
        readable |= {a.id for a in assignment.recommendation.assignments
                     if a.role == AssignmentRole.COORDINATING and a.parent_id == assignment.id}
    return readable


@bp.get("/<token>/tep/<int:attachment_id>")
def attachment(token: str, attachment_id: int):
    assignment = _load(token)
    recommendation = assignment.recommendation
    item = db.session.get(Attachment, attachment_id)
    if item is None or not (item.recommendation_id == recommendation.id
                            or item.assignment_id in _readable_assignments(assignment)):
        abort(404)
    return send_from_directory(
        services().settings.resolved_uploads_dir,
        item.stored_name,
        as_attachment=True,
        download_name=item.original_name,
        mimetype=item.content_type,
    )
