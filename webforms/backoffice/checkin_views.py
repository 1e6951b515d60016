"""Check-in at the door, on a phone: everyone expected, who came, how many people."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webforms.backoffice.access import permission_required
from webforms.backoffice.conference_views import _conference
from webforms.backoffice.forms import CATEGORY_LABELS, CheckInForm
from webforms.backoffice.helpers import current_actor, get_or_404
from webforms.backoffice.routes import bp
from webforms.domain import checkin
from webforms.models import Invitee, Registration
from webforms.services import services
from webforms.timeutil import utcnow
from webforms.unit_of_work import undo_on


def _page(conference, *, query: str = "", focus: str = "", errors: dict | None = None, status: int = 200):
    svc = services()
    now = utcnow()
    try:
        checkin.ensure_check_in_open(conference, now=now, rules=svc.rules)
        closed_reason = ""
    except checkin.CheckInError as exc:
        closed_reason = str(exc)
    return render_template("backoffice/checkin.html", conference=conference, query=query, focus=focus,
                           people=checkin.attendance(conference),
                           shown=checkin.attendance(conference, query) if query else None,
                           form=CheckInForm(formdata=None),
                           errors=errors or {}, closed_reason=closed_reason, labels=CATEGORY_LABELS,
                           opens_at=checkin.check_in_opens(conference, svc.rules)), status


@bp.get("/hoi-nghi/<slug>/diem-danh")
@permission_required("record_conference")
def checkin_page(slug: str):
    return _page(_conference(slug), query=request.args.get("q", "")[:100])


@bp.get("/hoi-nghi/<slug>/diem-danh/ma/<code>")
@permission_required("record_conference")
def checkin_by_code(slug: str, code: str):
    """The target of the QR code on an enterprise's invitation: its row alone, ready to mark."""
    conference = _conference(slug)
    registration = checkin.registration_by_code(conference, code[:40])
    if registration is None:
        abort(404)
    return _page(conference, query=registration.tracking_code, focus=f"dn-{registration.id}")


@bp.get("/hoi-nghi/<slug>/diem-danh/khach-moi/<int:invitee_id>")
@permission_required("record_conference")
def checkin_invitee_page(slug: str, invitee_id: int):
    """The target of the QR code on an invitee's invitation."""
    conference = _conference(slug)
    invitee = get_or_404(Invitee, invitee_id)
    if invitee.conference_id != conference.id:
        abort(404)
    return _page(conference, query=invitee.name, focus=f"kh-{invitee.id}")


def _mark(conference, row_key: str, mark, undo):
    form = CheckInForm()
    query = request.args.get("q", "")[:100]
    if not form.validate_on_submit():
        if not form.csrf_token.errors and form.delegates.errors:
            return _page(conference, query=query, focus=row_key, errors={row_key: form.delegates.errors},
                         status=422)
        abort(400)
    svc = services()
    with undo_on(checkin.CheckInError) as refused:
        if form.undo.data:
            changed = undo(now=utcnow(), rules=svc.rules, actor=current_actor())
        else:
            changed = mark(delegates=form.delegates.data, now=utcnow(), rules=svc.rules, actor=current_actor())
    if refused:
        return _page(conference, query=query, focus=row_key, errors={row_key: [str(refused.error)]}, status=422)
    if changed:
        flash(_("Đã bỏ ghi nhận.") if form.undo.data else _("Đã ghi nhận có mặt."), "info")
    return redirect(url_for("backoffice.checkin_page", slug=conference.slug, q=query or None) + f"#{row_key}")


@bp.post("/hoi-nghi/<slug>/diem-danh/doanh-nghiep/<int:registration_id>")
@permission_required("record_conference")
def checkin_registration(slug: str, registration_id: int):
    conference = _conference(slug)
    registration = get_or_404(Registration, registration_id)
    if registration.conference_id != conference.id:
        abort(404)
    return _mark(conference, f"dn-{registration.id}",
                 lambda **kw: checkin.check_in_registration(registration, **kw),
                 lambda **kw: checkin.undo_check_in_registration(registration, **kw))


@bp.post("/hoi-nghi/<slug>/diem-danh/khach-moi/<int:invitee_id>")
@permission_required("record_conference")
def checkin_invitee(slug: str, invitee_id: int):
    conference = _conference(slug)
    invitee = get_or_404(Invitee, invitee_id)
    if invitee.conference_id != conference.id:
        abort(404)
    return _mark(conference, f"kh-{invitee.id}",
                 lambda **kw: checkin.check_in_invitee(invitee, **kw),
                 lambda **kw: checkin.undo_check_in_invitee(invitee, **kw))


@bp.get("/hoi-nghi/<slug>/giay-moi")
@permission_required("view_dashboard")
def invitation_dispatch(slug: str):
    """Where each invitation stands (draft, approved, issued), who got it by email, and which ones the
    Office sends through the document system (with the issued PDF to download)."""
    from webforms.backoffice.forms import ActionForm
    from webforms.backoffice.issuing_views import _config
    from webforms.domain.invitation_dispatch import invitation_dispatch as report

    conference = _conference(slug)
    config = _config()
    return render_template("backoffice/invitation_dispatch.html", conference=conference,
                           report=report(conference), action_form=ActionForm(),
                           token_configured=config is not None and config.token is not None)
