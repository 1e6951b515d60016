"""The enterprise's private token, its status link and the signed link confirming a re-submission."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from webforms.domain.text import has_control_characters
from webforms.extensions import db
from webforms.models import (
    Registration,
    Resubmission,
)

# How long the emailed link confirming a re-submission works (intake closing also ends it).
RESUBMISSION_LINK_MAX_AGE = 14 * 86400
_RESUBMISSION_SALT = "doithoai.resubmission"


# URL paths the emails point at; webforms/intake/routes.py serves them.
STATUS_PATH = "/theo-doi/{code}"
CONFIRM_PATH = "/hoi-nghi/xac-nhan/{token}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def status_url(settings, tracking_code: str, token: str) -> str:
    return settings.public_base_url + STATUS_PATH.format(code=quote(tracking_code)) + "?token=" + quote(token)


def find_registration(tracking_code: str, token: str | None) -> Registration | None:
    """The registration when the private token matches; None otherwise (no hint which part was wrong)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    if not _plausible_key(tracking_code, 48):
        return None
    registration = db.session.scalar(select(Registration).where(Registration.tracking_code == tracking_code))
    if registration is None or not hmac.compare_digest(registration.token_hash, hash_token(token)):
        return None
    return registration


def _serializer(settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_RESUBMISSION_SALT)


def resubmission_link_token(resubmission: Resubmission, settings) -> str:
    return _serializer(settings).dumps({"r": resubmission.id})


def read_resubmission_token(token: str, settings) -> Resubmission | None:
    try:
        data = _serializer(settings).loads(token, max_age=RESUBMISSION_LINK_MAX_AGE)
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int):
        return None
    return db.session.get(Resubmission, data["r"])


def mask_email(address: str) -> str:
    local, _sep, domain = address.partition("@")
    return (local[:2] + "•••@" + domain) if domain else "•••"


def _plausible_key(value, max_length: int) -> bool:
    """A lookup key worth sending to the database: PostgreSQL refuses NUL in text outright (a 500)."""
    return isinstance(value, str) and 0 < len(value) <= max_length and not has_control_characters(value)
