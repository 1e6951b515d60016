"""Staff login, logout and password change (Flask-Login, session protection strong; lockout, throttles
and session lifetime from config/security.yaml).

Unknown, inactive and locked accounts get the same answer as a wrong password, in the same time.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from webforms.backoffice.access import permission_required
from webforms.backoffice.forms import ActionForm, LoginForm, PasswordChangeForm
from webforms.backoffice.helpers import current_actor, policy
from webforms.backoffice.routes import bp
from webforms.domain.accounts import (
    AccountError,
    LoginOutcome,
    WrongCurrentPassword,
    authenticate,
    change_own_password,
    end_sessions,
    normalise_email,
)
from webforms.extensions import limiter, login_manager
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


def _account_key() -> str:
    return "login-account:" + normalise_email(request.form.get("email", ""))[:320]


def _start_session(user) -> None:
    session.pop("csrf_token", None)  # a token minted before the login is not carried into it (review F22)
    login_user(user)
    session["auth_at"] = utcnow().timestamp()  # the user loader ends the session after the staff lifetime


@bp.route("/dang-nhap", methods=["GET", "POST"])
@limiter.limit(lambda: policy().login_per_address, methods=["POST"])
@limiter.limit(lambda: policy().login_per_account, methods=["POST"], key_func=_account_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("backoffice.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        # A refused login answers with the form and still commits (the unit of work commits whatever a view
        # that returns wrote): the failure counter and the lockout must hold for the next attempt.
        result = authenticate(form.email.data, form.password.data, now=utcnow(), policy=policy(),
                              actor=current_actor())
        if result.outcome == LoginOutcome.OK:
            _start_session(result.user)
            return redirect(_safe_next(form.next.data))
        # One answer for a wrong password and an unknown, inactive or locked account (no enumeration).
        form.password.errors.append(
            _("Email hoặc mật khẩu không đúng. Sau %(n)d lần sai liên tiếp, tài khoản tạm khóa %(minutes)d phút.",
              n=policy().max_failures, minutes=int(policy().lockout.total_seconds() // 60)))
        return render_template("backoffice/login.html", form=form), 200
    return render_template("backoffice/login.html", form=form)


@bp.post("/dang-xuat")
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:  # a copy of this session's cookie must not keep working
            end_sessions(current_user)
        logout_user()
        session.pop("auth_at", None)
        flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("backoffice.login"))


@bp.route("/doi-mat-khau", methods=["GET", "POST"])
@permission_required("view_dashboard")  # every staff role has it: everyone changes their own password
def change_password():
    """The user's own password: the current one, then the new one twice. Other sessions end; this one
    continues under the new session version."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_own_password(user, form.current.data, form.new.data, policy=policy(), now=utcnow(),
                                actor=current_actor())
        except AccountError as exc:  # not undone: the audit row of a refused attempt is committed with the answer
            field = form.current if isinstance(exc, WrongCurrentPassword) else form.new
            field.errors.append(str(exc))
        else:
            _start_session(user)
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc."), "info")
            return redirect(url_for("backoffice.home"))
    return render_template("backoffice/change_password.html", form=form,
                           min_length=policy().min_password_length)
