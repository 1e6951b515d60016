"""Staff login and logout (Flask-Login, session protection strong, lockout from config/security.yaml)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from webforms.backoffice.forms import ActionForm, LoginForm
from webforms.backoffice.helpers import current_actor, policy
from webforms.backoffice.routes import bp
from webforms.domain.accounts import LoginOutcome, authenticate, end_sessions
from webforms.extensions import db, login_manager
from webforms.formatting import local_datetime
from webforms.timeutil import utcnow

login_manager.login_view = "backoffice.login"
login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
login_manager.login_message_category = "info"


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("backoffice.home")


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("backoffice.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        result = authenticate(form.email.data, form.password.data, now=utcnow(), policy=policy(),
                              actor=current_actor())
        db.session.commit()
        if result.outcome == LoginOutcome.OK:
            login_user(result.user)
            session["auth_at"] = utcnow().timestamp()  # the user loader ends the session after the staff lifetime
            return redirect(_safe_next(form.next.data))
        if result.outcome == LoginOutcome.LOCKED:
            form.password.errors.append(
                _("Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau %(until)s.",
                  until=local_datetime(result.locked_until)))
        else:
            form.password.errors.append(_("Email hoặc mật khẩu không đúng."))
        return render_template("backoffice/login.html", form=form), 200
    return render_template("backoffice/login.html", form=form)


@bp.post("/dang-xuat")
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:  # a copy of this session's cookie must not keep working
            end_sessions(current_user)
            db.session.commit()
        logout_user()
        session.pop("auth_at", None)
        flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("backoffice.login"))
