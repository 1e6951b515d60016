"""The chair's conclusions, typed by staff after the conference starts; the notice is built from them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webforms.backoffice.access import permission_required
from webforms.backoffice.conference_views import _conference
from webforms.backoffice.forms import ConclusionForm
from webforms.backoffice.helpers import current_actor
from webforms.backoffice.routes import bp
from webforms.domain import conclusions as ops
from webforms.services import services
from webforms.timeutil import utcnow
from webforms.unit_of_work import undo_on


def _unit_choices(rules) -> list[tuple[str, str]]:
    return [(d.code, d.name) for d in rules.departments]


def _prefill(form: ConclusionForm, conference, subjects, rules) -> None:
    """The recorded conclusions, or what the assignments suggest for a first entry."""
    conclusion = ops.conclusion_for(conference)
    saved = {i.recommendation_id: i for i in conclusion.items} if conclusion else {}
    if conclusion is not None:
        for name in ("chair_name", "chair_title", "attending_leaders", "attending_agencies", "general", "closing"):
            getattr(form, name).data = getattr(conclusion, name)
    else:
        form.chair_name.data = rules.plan.agency.signer.name
    while len(form.items):
        form.items.pop_entry()
    for subject in subjects:
        item = saved.get(subject.recommendation.id)
        form.items.append_entry({
            "recommendation_id": str(subject.recommendation.id),
            "lead_unit": item.lead_unit if item else subject.lead_unit,
            "coordinating_units": list(item.coordinating_units) if item else list(subject.coordinating_units),
            "task": item.task if item else "",
            "due_on": item.due_on if item else subject.due_on,
        })


def _input(form: ConclusionForm) -> ops.ConclusionInput:
    items = []
    for entry in form.items:
        raw = entry.form.recommendation_id.data or ""
        items.append(ops.ItemInput(int(raw) if raw.isdigit() else 0, entry.form.lead_unit.data or "",
                                   list(entry.form.coordinating_units.data or []), entry.form.task.data or "",
                                   entry.form.due_on.data))
    return ops.ConclusionInput(chair_name=form.chair_name.data or "", chair_title=form.chair_title.data or "",
                               general=form.general.data or "", attending_leaders=form.attending_leaders.data or "",
                               attending_agencies=form.attending_agencies.data or "",
                               closing=form.closing.data or "", items=items)


def _field(form: ConclusionForm, key: str):
    if key.startswith("items-"):
        _, index, name = key.split("-", 2)
        return getattr(form.items[int(index)].form, name)
    return getattr(form, key, None) if key else None


def _has_errors(form: ConclusionForm, key: str) -> bool:
    found = _field(form, key)
    return bool(found is not None and found.errors)


def _show_errors(form: ConclusionForm, errors: dict[str, str]) -> list[str]:
    """Each domain error beside its field; those without a field (and all of them) for the summary."""
    general = []
    for key, message in errors.items():
        found = _field(form, key)
        if found is not None:
            found.errors = [*found.errors, message]
        else:
            general.append(message)
    return general


@bp.route("/hoi-nghi/<slug>/ket-luan", methods=["GET", "POST"])
@permission_required("record_conference")
def conclusions(slug: str):
    conference = _conference(slug)
    svc = services()
    now = utcnow()
    subjects = ops.subjects(conference, svc.rules)
    by_id = {str(s.recommendation.id): s for s in subjects}
    form = ConclusionForm()
    if request.method == "GET":
        _prefill(form, conference, subjects, svc.rules)
    units = _unit_choices(svc.rules)
    for entry in form.items:
        entry.form.lead_unit.choices = [("", _("— chọn đơn vị —")), *units]
        entry.form.coordinating_units.choices = units
    problems: list[str] = []
    try:
        ops.ensure_can_conclude(conference, now=now)
        closed = ""
    except ops.ConclusionError as exc:
        closed = exc.errors[""]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            with undo_on(ops.ConclusionError) as refused:
                ops.save_conclusion(conference, _input(form), now=now, rules=svc.rules, actor=current_actor())
            if refused:
                problems = _show_errors(form, refused.error.errors)
                status = 422
            else:
                flash(_("Đã lưu kết luận của chủ trì. Có thể tạo Thông báo kết luận."), "info")
                return redirect(url_for("backoffice.conclusions", slug=slug))
        elif form.csrf_token.errors:
            status = 400
        else:
            # The form's own errors (a date that is not one); the domain's too, where a field has none yet.
            more = ops.conclusion_errors(conference, _input(form), svc.rules)
            problems = _show_errors(form, {k: v for k, v in more.items() if not _has_errors(form, k)})
            status = 422
    return render_template("backoffice/conclusions.html", conference=conference, form=form, by_id=by_id,
                           closed=closed, problems=problems, recorded=ops.conclusion_for(conference),
                           action_form=form), status
