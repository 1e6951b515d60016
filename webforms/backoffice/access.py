"""Back-office access: login required, and the role permissions of config/plan.yaml."""

from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user, login_required

from webforms.services import services


def may(action: str) -> bool:
    return current_user.is_authenticated and services().rules.plan.may(current_user.role, action)


def permission_required(action: str):
    """Login required, then the user's role must be allowed `action` in plan.yaml `permissions`."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not may(action):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = action  # read by the role tests: every staff route declares one
        return wrapped

    return decorator
