"""Small things every back-office view uses: who is acting, the policy, page numbers."""

from __future__ import annotations

import datetime as dt

from flask import abort, request
from flask_login import current_user

from webforms.domain.accounts import SecurityPolicy, security_policy
from webforms.domain.audit import Actor
from webforms.services import services


def current_actor() -> Actor:
    name = current_user.email if current_user.is_authenticated else ""
    return Actor(kind="user", name=name, ip=request.remote_addr or "",
                 user_agent=(request.user_agent.string or "")[:300])


def policy() -> SecurityPolicy:
    """security.yaml as the rules in use have it (a new version applies at the next request)."""
    checked = services().rules.checked
    if checked is None:
        return security_policy(services().settings.rules_dir)
    security = checked.security
    return SecurityPolicy(max_failures=security.login.max_failures,
                          lockout=dt.timedelta(minutes=security.login.lockout_minutes),
                          min_password_length=security.password.min_length, page_size=security.page_size,
                          staff_session=dt.timedelta(hours=security.session.staff_hours),
                          login_per_address=security.login.per_address, login_per_account=security.login.per_account,
                          receipts_per_address_per_day=security.intake.receipts_per_address_per_day,
                          confirmations_per_tax_code_per_day=security.intake.confirmations_per_tax_code_per_day)


def page_number() -> int:
    """?page=N, 1-based; nonsense gives page 1 rather than an error."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def get_or_404(model, ident):
    from webforms.extensions import db

    row = db.session.get(model, ident)
    if row is None:
        abort(404)
    return row
