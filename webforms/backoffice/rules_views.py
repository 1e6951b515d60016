"""The rules in the back office (issue 14 item 3): numbered versions, editing one file with a preview
(the schema's check and the diff) before it applies, the diff of each version, and going back to an
earlier version. Who may: `edit_rules` in plan.yaml `permissions:` to open them, and `edit_rules_<file>` to
change one file (config.schema.edit_permission); going back needs the permission of every file it
changes. A version applies to web and workers at their next request or job (webforms/rules_reload.py)."""

from __future__ import annotations

from dataclasses import replace

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from config.problems import RulesError
from config.schema import FILES, edit_permission
from webforms.backoffice.access import may, permission_required
from webforms.backoffice.forms import ROLE_LABELS
from webforms.backoffice.helpers import current_actor
from webforms.backoffice.routes import bp
from webforms.domain import rules_versions
from webforms.domain.audit import record
from webforms.domain.mail import sender_domain
from webforms.domain.rules_impact import apply_plan_to, impact
from webforms.extensions import db
from webforms.models import Conference
from webforms.rules_reload import shipped_dir
from webforms.services import services
from webforms.timeutil import utcnow

PERMISSION = "edit_rules"
MAX_FILE = 200_000  # characters: the largest shipped file is under 8 000


class RulesEditForm(FlaskForm):
    file = HiddenField()
    base = HiddenField()
    text = TextAreaField(_l("Nội dung tệp"), validators=[DataRequired(_l("Tệp không được để trống.")),
                                                          Length(max=MAX_FILE)])
    reason = StringField(_l("Lý do thay đổi (ví dụ: Quyết định, công văn)"),
                         validators=[DataRequired(_l("Vui lòng nêu lý do thay đổi.")), Length(max=300)])


class RestoreForm(FlaskForm):
    number = HiddenField()
    reason = StringField(_l("Lý do quay lại"), validators=[Length(max=300)])


def _shipped():
    return shipped_dir(current_app)


def _file_or_404(name: str | None) -> str:
    if name not in FILES:
        abort(404)
    return name


def _editors(name: str) -> str:
    """Who may change the file, as people read it ("Văn phòng, Lãnh đạo Ban")."""
    roles = services().rules.plan.permissions.get(edit_permission(name), ())
    return ", ".join(str(ROLE_LABELS.get(r, r)) for r in roles) or _("không ai (chỉ sửa bằng doithoai rules import)")


def _refusal(name: str) -> str:
    return _("Anh/chị không có quyền sửa tệp %(file)s. Người có quyền sửa: %(who)s.", file=name, who=_editors(name))


def _refused(form, name: str):
    """The edit page, read-only, saying who may change the file (403)."""
    return render_template("backoffice/rules_edit.html", form=form, name=name, problems=[], diff=None,
                           refusal=_refusal(name)), 403


@bp.get("/quy-tac")
@permission_required(PERMISSION)
def rules_index():
    return render_template("backoffice/rules.html", files=FILES, versions=rules_versions.list_versions(),
                           current=rules_versions.current_number(),
                           editable={n: may(edit_permission(n)) for n in FILES},
                           editors={n: _editors(n) for n in FILES})


@bp.get("/quy-tac/sua")
@permission_required(PERMISSION)
def rules_edit():
    name = _file_or_404(request.args.get("tep"))
    form = RulesEditForm(file=name, base=str(rules_versions.current_number()),
                         text=rules_versions.current_files(_shipped())[name])
    refusal = None if may(edit_permission(name)) else _refusal(name)
    return render_template("backoffice/rules_edit.html", form=form, name=name, problems=[], diff=None,
                           refusal=refusal)


def _candidate(form: RulesEditForm) -> tuple[dict[str, str], dict[str, str]]:
    old = rules_versions.current_files(_shipped())
    new = dict(old)
    new[form.file.data] = form.text.data.replace("\r\n", "\n")
    return old, new


@bp.post("/quy-tac/xem-truoc")
@permission_required(PERMISSION)
def rules_preview():
    form = RulesEditForm()
    name = _file_or_404(form.file.data)
    if not may(edit_permission(name)):
        return _refused(form, name)
    problems, diff, effects = [], None, None
    if form.validate_on_submit():
        old, new = _candidate(form)
        try:
            candidate = rules_versions.load_files(new)
        except RulesError as exc:
            problems = [str(p) for p in exc.problems]
        else:
            effects = impact(services().rules, candidate)
        diff = rules_versions.diff(old, new)
    return render_template("backoffice/rules_edit.html", form=form, name=name, problems=problems, diff=diff,
                           previewed=form.validate_on_submit() and not problems, effects=effects,
                           chosen=_chosen())


def _chosen() -> set[int]:
    """The announced conferences the editor ticked to take the new plan too (their ids)."""
    return {int(v) for v in request.form.getlist("hoi_nghi") if v.isdigit()}


@bp.post("/quy-tac/ap-dung")
@permission_required(PERMISSION)
def rules_apply():
    form = RulesEditForm()
    name = _file_or_404(form.file.data)
    if not may(edit_permission(name)):
        return _refused(form, name)
    if not form.validate_on_submit():
        return render_template("backoffice/rules_edit.html", form=form, name=name, problems=[], diff=None), 400
    old, new = _candidate(form)
    actor = current_actor()
    try:
        base = int(form.base.data)
        version = rules_versions.apply_files(new, shipped=_shipped(), by=actor.name, reason=form.reason.data.strip(),
                                             now=utcnow(), base=base)
    except RulesError as exc:
        return render_template("backoffice/rules_edit.html", form=form, name=name,
                               problems=[str(p) for p in exc.problems], diff=rules_versions.diff(old, new)), 400
    except (ValueError, rules_versions.StaleVersion):
        flash(_("Quy tắc đã được người khác thay đổi sau khi anh/chị mở tệp. Vui lòng mở lại và sửa trên "
                "phiên bản mới nhất."), "error")
        return redirect(url_for("backoffice.rules_edit", tep=name))
    applied_to = []
    if _chosen():  # announced conferences keep their plan unless the editor applies the new one to them
        candidate = replace(rules_versions.load_files(new), version=version.number)
        kept = {k.conference_id for k in impact(services().rules, candidate).kept}
        applied_to = sorted(_chosen() & kept)
        for conference_id in applied_to:
            apply_plan_to(db.session.get(Conference, conference_id), candidate, actor=actor, now=utcnow(),
                          message_domain=sender_domain(services().settings))
    record(actor, "rules.apply", "rules_version", version.number, now=utcnow(), file=name,
           reason=version.reason, applied_to=applied_to)
    flash(_("Đã áp dụng phiên bản %(n)d.", n=version.number), "success")
    return redirect(url_for("backoffice.rules_version", so=version.number))


@bp.get("/quy-tac/phien-ban")
@permission_required(PERMISSION)
def rules_version():
    try:
        number = int(request.args.get("so", ""))
    except ValueError:
        abort(404)
    version = rules_versions.get_version(number)
    if version is None:
        abort(404)
    previous = rules_versions.get_version(number - 1)
    new = {n: version.text(n) for n in FILES}
    old = {n: previous.text(n) for n in FILES} if previous else new
    return render_template("backoffice/rules_version.html", version=version, diff=rules_versions.diff(old, new),
                           current=rules_versions.current_number(), form=RestoreForm(number=number))


@bp.post("/quy-tac/khoi-phuc")
@permission_required(PERMISSION)
def rules_restore():
    form = RestoreForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        number = int(form.number.data)
    except ValueError:
        abort(404)
    earlier = rules_versions.get_version(number)
    if earlier is None:
        abort(404)
    in_force = rules_versions.current_files(_shipped())
    refused = [n for n in FILES if earlier.text(n) != in_force[n] and not may(edit_permission(n))]
    if refused:
        flash(" ".join(_refusal(n) for n in refused), "error")
        return redirect(url_for("backoffice.rules_version", so=number))
    actor = current_actor()
    try:
        version = rules_versions.restore(number, shipped=_shipped(), by=actor.name, reason=form.reason.data.strip(),
                                         now=utcnow())
    except KeyError:
        abort(404)
    except (RulesError, rules_versions.StaleVersion) as exc:
        flash(_("Không thể quay lại phiên bản %(n)d: %(why)s", n=number, why=str(exc)), "error")
        return redirect(url_for("backoffice.rules_version", so=number))
    record(actor, "rules.restore", "rules_version", version.number, now=utcnow(), restored=number,
           reason=version.reason)
    flash(_("Đã quay lại phiên bản %(old)d (phiên bản mới %(n)d).", old=number, n=version.number), "success")
    return redirect(url_for("backoffice.rules_version", so=version.number))

