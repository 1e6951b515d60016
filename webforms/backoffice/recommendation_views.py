"""Recommendations: the list (filters, pages, export), the detail with its timeline, near-duplicates,
the private flag, and conference mode for the day itself."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webforms.backoffice.access import permission_required
from webforms.backoffice.forms import (
    ActionForm,
    ConferenceAnswerForm,
    DuplicateForm,
    PrivateForm,
    ReassignForm,
    ScreenOutForm,
)
from webforms.backoffice.helpers import current_actor, get_or_404, page_number, policy
from webforms.backoffice.routes import bp
from webforms.domain import recommendation_admin as recs
from webforms.domain.conferences import get_conference
from webforms.domain.exports import to_csv, to_xlsx
from webforms.domain.intake.screening import ScreeningError, ScreeningReason, screen_out, screening_reason_label
from webforms.extensions import db
from webforms.models import Conference, Department, Recommendation
from webforms.services import services
from webforms.timeutil import utcnow
from webforms.unit_of_work import undo_on


def _filter_choices():
    rules = services().rules
    return {"fields": rules.fields, "zones": rules.zones, "departments": rules.departments}


def _conference_arg() -> Conference | None:
    slug = request.args.get("conference", "")
    return get_conference(slug) if slug else None


@bp.get("/kien-nghi")
@permission_required("view_dashboard")
def recommendations():
    conference = _conference_arg()
    flt = recs.RecommendationFilter.from_args(request.args, conference.id if conference else None)
    page = recs.list_recommendations(flt, now=utcnow(), page=page_number(), per_page=policy().page_size)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("backoffice/recommendations.html", page=page, flt=flt, args=args, conference=conference,
                           conferences=db.session.query(Conference.slug, Conference.title)
                           .order_by(Conference.starts_at.desc()).all(), **_filter_choices())


@bp.get("/kien-nghi/xuat.<fmt>")
@permission_required("view_dashboard")
def recommendations_export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    conference = _conference_arg()
    flt = recs.RecommendationFilter.from_args(request.args, conference.id if conference else None)
    header, rows = recs.export_rows(flt, now=utcnow(), rules=services().rules)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        return Response(to_csv(header, rows), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="kien-nghi-{stamp}.csv"'})
    return Response(to_xlsx(header, rows),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="kien-nghi-{stamp}.xlsx"'})


@bp.get("/kien-nghi/<int:rec_id>")
@permission_required("view_dashboard")
def recommendation_detail(rec_id: int):
    recommendation = get_or_404(Recommendation, rec_id)
    original = (db.session.get(Recommendation, recommendation.duplicate_of_id)
                if recommendation.duplicate_of_id else None)
    return render_template("backoffice/recommendation.html", rec=recommendation, original=original,
                           duplicates=recs.duplicates_of(recommendation),
                           timeline=recs.recommendation_timeline(recommendation),
                           departments={d.id: d for d in db.session.query(Department)},
                           fields={f.code: f.name for f in services().rules.fields},
                           duplicate_form=DuplicateForm(), private_form=PrivateForm(private=recommendation.private),
                           action_form=ActionForm(), screen_form=_screen_form(), reassign_form=_reassign_form())


def _reassign_form() -> ReassignForm:
    form = ReassignForm()
    form.department.choices = [(d.code, d.name) for d in services().rules.departments if d.is_internal]
    return form


@bp.post("/kien-nghi/<int:rec_id>/chuyen-don-vi")
@permission_required("route_recommendation")
def recommendation_reassign(rec_id: int):
    from webforms.domain import replies

    recommendation = get_or_404(Recommendation, rec_id)
    form = _reassign_form()
    if not form.validate_on_submit():
        flash(_("Vui lòng chọn phòng, đơn vị nhận."), "error")
        return redirect(url_for("backoffice.recommendation_detail", rec_id=rec_id))
    svc = services()
    with undo_on(replies.ReplyError) as refused:
        replies.reassign_by_staff(recommendation, form.department.data, form.reason.data or "",
                                  actor=current_actor(), now=utcnow(), rules=svc.rules, calendar=svc.calendar,
                                  settings=svc.settings)
    if refused:
        flash(str(refused.error), "error")
    else:
        flash(_("Đã chuyển kiến nghị; đơn vị mới nhận thư với đường dẫn trả lời."), "info")
    return redirect(url_for("backoffice.recommendation_detail", rec_id=rec_id))


def _screen_form() -> ScreenOutForm:
    form = ScreenOutForm()
    form.reason_code.choices = [(r.value, screening_reason_label(r.value)) for r in ScreeningReason]
    return form


@bp.post("/kien-nghi/<int:rec_id>/loai")
@permission_required("screen_recommendation")
def recommendation_screen_out(rec_id: int):
    recommendation = get_or_404(Recommendation, rec_id)
    form = _screen_form()
    if not form.validate_on_submit():
        flash(_("Vui lòng chọn lý do loại kiến nghị."), "error")
        return redirect(url_for("backoffice.recommendation_detail", rec_id=rec_id))
    svc = services()
    with undo_on(ScreeningError) as refused:
        done = screen_out(recommendation, form.reason_code.data, form.reason.data or "", current_actor(),
                          utcnow(), rules=svc.rules, calendar=svc.calendar, settings=svc.settings)
    if refused:
        flash(_("Kiến nghị đã được trả lời nên không thể loại."), "error")
    else:
        flash(_("Đã loại kiến nghị khỏi phạm vi Hội nghị và báo lý do cho doanh nghiệp.") if done
              else _("Kiến nghị này đã bị loại trước đó."), "info")
    return redirect(url_for("backoffice.recommendation_detail", rec_id=rec_id))


@bp.post("/kien-nghi/<int:rec_id>/trung-lap")
@permission_required("route_recommendation")
def recommendation_duplicate(rec_id: int):
    recommendation = get_or_404(Recommendation, rec_id)
    form = DuplicateForm()
    if form.validate_on_submit():
        original = recs.find_by_code(form.of_code.data)
        if original is None:
            flash(_("Không tìm thấy kiến nghị có mã %(code)s.", code=form.of_code.data), "error")
        else:
            with undo_on(recs.RecommendationError) as refused:
                recs.mark_duplicate(recommendation, original, now=utcnow(), actor=current_actor())
            if refused:
                flash(_("Chỉ đánh dấu trùng với một kiến nghị khác của cùng hội nghị."), "error")
            else:
                flash(_("Đã đánh dấu trùng lặp; một câu trả lời dùng chung cho các kiến nghị này."), "info")
    else:
        flash(_("Vui lòng nhập mã kiến nghị."), "error")
    return redirect(url_for("backoffice.recommendation_detail", rec_id=rec_id))


@bp.post("/kien-nghi/<int:rec_id>/bo-trung-lap")
@permission_required("route_recommendation")
def recommendation_unduplicate(rec_id: int):
    recommendation = get_or_404(Recommendation, rec_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    recs.clear_duplicate(recommendation, now=utcnow(), actor=current_actor())
    return redirect(url_for("backoffice.recommendation_detail", rec_id=rec_id))


@bp.post("/kien-nghi/<int:rec_id>/rieng-tu")
@permission_required("approve_answer")
def recommendation_private(rec_id: int):
    recommendation = get_or_404(Recommendation, rec_id)
    form = PrivateForm()
    if not form.validate_on_submit():
        abort(400)
    recs.set_private(recommendation, bool(form.private.data), now=utcnow(), actor=current_actor())
    flash(_("Đã lưu chế độ công khai."), "info")
    return redirect(url_for("backoffice.recommendation_detail", rec_id=rec_id))


# -- conference mode ------------------------------------------------------------------------------

@bp.get("/hoi-nghi/<slug>/phien-hop")
@permission_required("record_conference")
def conference_mode(slug: str):
    conference = get_conference(slug)
    if conference is None:
        abort(404)
    items = recs.conference_mode_items(conference)
    answered = sum(1 for i in items if i.status == "answered_at_conference")
    rules = services().rules
    given = {i.id: recs.conference_answer(db.session.get(Recommendation, i.id)) for i in items
             if i.status == "answered_at_conference"}
    return render_template("backoffice/conference_mode.html", conference=conference, items=items,
                           answered=answered, action_form=ActionForm(), answer_form=_answer_form(),
                           given=given, started=utcnow() >= conference.starts_at,
                           fields={f.code: f.name for f in rules.fields})


def _answer_form() -> ConferenceAnswerForm:
    form = ConferenceAnswerForm()
    form.department.choices = [("", _("(đơn vị đang chủ trì)"))] + [
        (d.code, d.name) for d in services().rules.departments if d.is_internal]
    return form


@bp.post("/kien-nghi/<int:rec_id>/tra-loi-tai-hoi-nghi")
@permission_required("record_conference")
def recommendation_answered_here(rec_id: int):
    recommendation = get_or_404(Recommendation, rec_id)
    undo = request.form.get("undo") == "1"
    form = ActionForm() if undo else _answer_form()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        for errors in form.errors.values():
            for message in errors:
                flash(f"{recommendation.code}: {message}", "error")
        return redirect(url_for("backoffice.conference_mode", slug=recommendation.conference.slug)
                        + f"#kn-{recommendation.id}")
    svc = services()
    with undo_on(recs.RecommendationError) as refused:
        if undo:
            recs.undo_answered_at_conference(recommendation, now=utcnow(), actor=current_actor())
        else:
            recs.record_conference_answer(recommendation, answered_by=form.answered_by.data,
                                          answer=form.answer.data, department_code=form.department.data or "",
                                          now=utcnow(), actor=current_actor(), rules=svc.rules,
                                          calendar=svc.calendar, settings=svc.settings)
    if refused:
        flash(f"{recommendation.code}: {refused.error}", "error")
    return redirect(url_for("backoffice.conference_mode", slug=recommendation.conference.slug)
                    + f"#kn-{recommendation.id}")
