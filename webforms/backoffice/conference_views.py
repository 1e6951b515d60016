"""Conferences: list, create, edit, invitees, publish, postpone, cancel, mark held, dashboard."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webforms.backoffice.access import permission_required
from webforms.backoffice.forms import (
    CATEGORY_LABELS,
    ActionForm,
    ConferenceForm,
    InviteeConfirmForm,
    InviteeForm,
    InviteeUploadForm,
    PostponeForm,
    ReasonForm,
)
from webforms.backoffice.helpers import current_actor, get_or_404
from webforms.backoffice.labels import RECOMMENDATION_STATUS, label
from webforms.backoffice.routes import bp
from webforms.domain import conference_admin as ops
from webforms.domain import dashboard
from webforms.domain.conferences import (
    ConferenceError,
    DayOffError,
    LateAnnouncement,
    create_conference,
    get_conference,
    unconfirmed_window_years,
)
from webforms.domain.intake.quorum import quorum
from webforms.domain.invitation_dispatch import invitation_dispatch
from webforms.domain.mail import AddressError
from webforms.domain.plan import milestone_due
from webforms.models import Conference, Invitee
from webforms.services import services
from webforms.timeutil import utcnow
from webforms.unit_of_work import undo_on


def _conference(slug: str) -> Conference:
    conference = get_conference(slug)
    if conference is None:
        abort(404)
    return conference


def _starts_at(date: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(date, time, tzinfo=services().rules.plan.timezone)


@bp.get("/hoi-nghi")
@permission_required("view_dashboard")
def conferences():
    return render_template("backoffice/conferences.html", conferences=ops.list_conferences())


@bp.route("/hoi-nghi/tao-moi", methods=["GET", "POST"])
@permission_required("manage_conference")
def conference_create():
    svc = services()
    signer = svc.rules.plan.agency.signer
    form = ConferenceForm(host_agency=svc.rules.plan.agency.short_name, signer_authority=signer.authority,
                          signer_title=signer.title, signer_name=signer.name)
    if form.validate_on_submit():
        now = utcnow()
        with undo_on(DayOffError, ConferenceError) as refused:
            conference = create_conference(title=form.title.data, starts_at=_starts_at(form.date.data, form.time.data),
                                           venue=form.venue.data, rules=svc.rules, calendar=svc.calendar,
                                           settings=svc.settings,
                                           host_agency=form.host_agency.data,
                                           format=form.format.data, announcement_text=form.announcement_text.data)
            ops.update_conference(conference, title=form.title.data, starts_at=conference.starts_at,
                                  venue=form.venue.data, format=form.format.data,
                                  host_agency=form.host_agency.data, signer_authority=form.signer_authority.data,
                                  signer_title=form.signer_title.data, signer_name=form.signer_name.data,
                                  announcement_text=form.announcement_text.data, now=now, actor=current_actor())
        if isinstance(exc := refused.error, DayOffError):
            form.date.errors.append(_("Ngày %(day)s là ngày nghỉ (%(reason)s); vui lòng chọn ngày làm việc.",
                                      day=exc.day.strftime("%d/%m/%Y"), reason=exc.reason))
        elif refused:
            form.title.errors.append(_("Đã có hội nghị cùng tên và ngày; vui lòng đổi tên hoặc ngày."))
        else:
            flash(_("Đã tạo hội nghị."), "info")
            return redirect(url_for("backoffice.conference_dashboard", slug=conference.slug))
    return render_template("backoffice/conference_form.html", form=form, conference=None)


@bp.route("/hoi-nghi/<slug>/sua", methods=["GET", "POST"])
@permission_required("manage_conference")
def conference_edit(slug: str):
    conference = _conference(slug)
    form = ConferenceForm(obj=conference)
    if request.method == "GET":
        local = conference.starts_at.astimezone(services().rules.plan.timezone)
        form.date.data, form.time.data = local.date(), local.time()
    if form.validate_on_submit():
        with undo_on(DayOffError, ConferenceError) as refused:
            ops.update_conference(conference, title=form.title.data,
                                  starts_at=_starts_at(form.date.data, form.time.data), venue=form.venue.data,
                                  format=form.format.data, host_agency=form.host_agency.data,
                                  signer_authority=form.signer_authority.data, signer_title=form.signer_title.data,
                                  signer_name=form.signer_name.data, announcement_text=form.announcement_text.data,
                                  now=utcnow(), actor=current_actor(), rules=services().rules,
                                  calendar=services().calendar)
        if isinstance(exc := refused.error, DayOffError):
            form.date.errors.append(_("Ngày %(day)s là ngày nghỉ (%(reason)s); vui lòng chọn ngày làm việc.",
                                      day=exc.day.strftime("%d/%m/%Y"), reason=exc.reason))
        elif refused:
            form.date.errors.append(_("Hội nghị đã thông báo hoặc đã hủy: chỉ đổi ngày bằng chức năng hoãn."))
        else:
            flash(_("Đã lưu thay đổi."), "info")
            return redirect(url_for("backoffice.conference_dashboard", slug=conference.slug))
    return render_template("backoffice/conference_form.html", form=form, conference=conference)


@bp.get("/hoi-nghi/<slug>")
@permission_required("view_dashboard")
def conference_dashboard(slug: str):
    conference = _conference(slug)
    svc = services()
    now = utcnow()
    by_field = dashboard.counts_by_field(conference, svc.rules)
    by_department = dashboard.counts_by_department(conference)
    by_status = [(label(RECOMMENDATION_STATUS, s), n) for s, n in dashboard.counts_by_status(conference)]
    announce_by = milestone_due(conference.starts_at, "announce_by", svc.rules.plan, svc.calendar)
    return render_template(
        "backoffice/dashboard.html", conference=conference,
        announce_late=conference.status == "draft" and now > announce_by.due,
        window_unconfirmed=unconfirmed_window_years(conference.starts_at, svc.rules, svc.calendar),
        timeline=dashboard.milestone_timeline(conference, now=now, rules=svc.rules, calendar=svc.calendar),
        quorum=quorum(conference, svc.rules, svc.calendar),
        charts=[(_("Kiến nghị theo lĩnh vực"), dashboard.bars(by_field)),
                (_("Kiến nghị theo phòng chủ trì"), dashboard.bars(by_department)),
                (_("Kiến nghị theo trạng thái"), dashboard.bars(by_status))],
        overdue=dashboard.overdue_assignments(conference, now=now), action_form=ActionForm(),
        dispatch=invitation_dispatch(conference),
        postpone_form=PostponeForm(), cancel_form=ReasonForm())




@bp.post("/hoi-nghi/<slug>/dang-thong-bao")
@permission_required("announce_conference")
def conference_publish(slug: str):
    conference = _conference(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    svc = services()
    with undo_on(ConferenceError) as refused:  # LateAnnouncement is one
        published = ops.publish_announcement(conference, now=utcnow(), rules=svc.rules, calendar=svc.calendar,
                                             actor=current_actor(), late_reason=request.form.get("late_reason", ""))
    if isinstance(refused.error, LateAnnouncement):
        flash(_("Đã quá hạn đăng thông báo theo Kế hoạch (trước ngày tổ chức ít nhất 07 ngày làm việc): "
                "vui lòng nêu lý do đăng muộn."), "error")
        return redirect(url_for("backoffice.conference_dashboard", slug=slug))
    if refused:
        flash(_("Đã hết hạn nhận đăng ký và kiến nghị: không thể đăng thông báo, "
                "vui lòng hoãn Hội nghị sang ngày khác."), "error")
        return redirect(url_for("backoffice.conference_dashboard", slug=slug))
    if published:
        flash(_("Đã đăng thông báo; cổng nhận đăng ký và kiến nghị đã mở."), "info")
    else:
        flash(_("Hội nghị này đã được thông báo trước đó."), "error")
    return redirect(url_for("backoffice.conference_dashboard", slug=slug))


@bp.post("/hoi-nghi/<slug>/da-to-chuc")
@permission_required("record_conference")
def conference_held(slug: str):
    conference = _conference(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    with undo_on(ConferenceError) as refused:
        ops.mark_held(conference, now=utcnow(), actor=current_actor())
    if refused:
        flash(_("Không thể ghi nhận: hội nghị chưa được thông báo hoặc đã kết thúc."), "error")
    else:
        flash(_("Đã ghi nhận hội nghị đã được tổ chức."), "info")
    return redirect(url_for("backoffice.conference_dashboard", slug=slug))


@bp.post("/hoi-nghi/<slug>/hoan")
@permission_required("manage_conference")
def conference_postpone(slug: str):
    conference = _conference(slug)
    form = PostponeForm()
    if form.validate_on_submit():
        with undo_on(DayOffError, ConferenceError) as refused:
            sent = ops.postpone_conference(conference, new_starts_at=_starts_at(form.date.data, form.time.data),
                                           reason=form.reason.data, now=utcnow(), actor=current_actor(),
                                           rules=services().rules, settings=services().settings,
                                           calendar=services().calendar)
        if isinstance(exc := refused.error, DayOffError):
            flash(_("Ngày %(day)s là ngày nghỉ (%(reason)s); vui lòng chọn ngày làm việc.",
                    day=exc.day.strftime("%d/%m/%Y"), reason=exc.reason), "error")
        elif refused:
            flash(_("Không thể hoãn: ngày mới phải ở tương lai và hội nghị chưa tổ chức hoặc chưa hủy."), "error")
        else:
            flash(_("Đã hoãn hội nghị và gửi thông báo đến %(n)d người liên quan.", n=sent), "info")
    else:
        flash(_("Vui lòng nhập ngày, giờ mới và lý do hoãn."), "error")
    return redirect(url_for("backoffice.conference_dashboard", slug=slug))


@bp.post("/hoi-nghi/<slug>/huy")
@permission_required("manage_conference")
def conference_cancel(slug: str):
    conference = _conference(slug)
    form = ReasonForm()
    if form.validate_on_submit():
        with undo_on(ConferenceError) as refused:
            sent = ops.cancel_conference(conference, reason=form.reason.data, now=utcnow(), actor=current_actor(),
                                         rules=services().rules, settings=services().settings)
        if refused:
            flash(_("Không thể hủy hội nghị đã tổ chức hoặc đã hủy."), "error")
        else:
            flash(_("Đã hủy hội nghị và gửi thông báo đến %(n)d người liên quan.", n=sent), "info")
    else:
        flash(_("Vui lòng nêu lý do hủy."), "error")
    return redirect(url_for("backoffice.conference_dashboard", slug=slug))


# -- invitees -------------------------------------------------------------------------------------

@bp.route("/hoi-nghi/<slug>/khach-moi", methods=["GET", "POST"])
@permission_required("manage_conference")
def invitees(slug: str):
    conference = _conference(slug)
    form = InviteeForm()
    if form.validate_on_submit():
        with undo_on(ConferenceError, AddressError) as refused:
            ops.add_invitee(conference, category=form.category.data, name=form.name.data,
                            position=form.position.data, organisation=form.organisation.data,
                            email=form.email.data or "", now=utcnow(), actor=current_actor())
        if refused:
            form.email.errors.append(_("Email không hợp lệ."))
        else:
            flash(_("Đã thêm khách mời."), "info")
            return redirect(url_for("backoffice.invitees", slug=slug))
    return render_template("backoffice/invitees.html", conference=conference, form=form,
                           upload_form=InviteeUploadForm(), action_form=ActionForm(),
                           grouped=ops.invitees_by_category(conference), labels=CATEGORY_LABELS)


@bp.post("/hoi-nghi/<slug>/khach-moi/<int:invitee_id>/xoa")
@permission_required("manage_conference")
def invitee_remove(slug: str, invitee_id: int):
    conference = _conference(slug)
    invitee = get_or_404(Invitee, invitee_id)
    if invitee.conference_id != conference.id or not ActionForm().validate_on_submit():
        abort(404)
    ops.remove_invitee(invitee, now=utcnow(), actor=current_actor())
    flash(_("Đã xóa khách mời."), "info")
    return redirect(url_for("backoffice.invitees", slug=slug))


@bp.post("/hoi-nghi/<slug>/khach-moi/tai-len")
@permission_required("manage_conference")
def invitees_preview(slug: str):
    """Step 1: read the CSV and show every row with its errors; nothing is stored yet."""
    conference = _conference(slug)
    form = InviteeUploadForm()
    if not form.validate_on_submit():
        flash(_("Vui lòng chọn tệp CSV."), "error")
        return redirect(url_for("backoffice.invitees", slug=slug))
    text = ops.decode_csv(form.file.data.read(1024 * 1024 + 1)[:1024 * 1024])
    if text is None:
        parsed = ops.InviteeImport([], ["Tệp không đọc được dạng UTF-8. Trong Excel, chọn Lưu thành “CSV UTF-8”."])
        text = ""
    else:
        parsed = ops.parse_invitees_csv(text, ops.existing_invitee_emails(conference))
    return render_template("backoffice/invitees_preview.html", conference=conference, parsed=parsed,
                           confirm_form=InviteeConfirmForm(csv_text=text), labels=CATEGORY_LABELS), \
        (200 if parsed.ok else 422)


@bp.post("/hoi-nghi/<slug>/khach-moi/nhap")
@permission_required("manage_conference")
def invitees_import(slug: str):
    """Step 2: the previewed text comes back, is parsed again and stored only if it has no error."""
    conference = _conference(slug)
    form = InviteeConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    with undo_on(ConferenceError) as refused:
        count = ops.import_invitees(conference, form.csv_text.data or "", now=utcnow(), actor=current_actor())
    if refused:
        flash(_("Danh sách còn lỗi; chưa nhập dòng nào. Vui lòng sửa tệp và tải lên lại."), "error")
    else:
        flash(_("Đã nhập %(n)d khách mời.", n=count), "info")
    return redirect(url_for("backoffice.invitees", slug=slug))

