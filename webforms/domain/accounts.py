"""Staff accounts: creation, passwords (werkzeug's scrypt), login with lockout, admin resets.

The numbers (failures before lockout, its length, the shortest password) live in
config/security.yaml; nothing here hard-codes them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from webforms.domain.audit import Actor, record
from webforms.domain.text import clean_text
from webforms.extensions import db
from webforms.models import Role, User


@cache
def _dummy_hash() -> str:
    """A real scrypt hash to compare against when the email is unknown, so both paths cost the same. Made at
    the first login, not at import: scrypt takes 32 MiB for the moment it runs, which every process that
    imports this module (RQ workers, the CLI) would otherwise reach as its peak without ever logging anyone in."""
    return generate_password_hash("not-a-real-password-" + secrets.token_hex(8))


class AccountError(ValueError):
    pass


class WeakPassword(AccountError):
    """A password the policy refuses; the message says why, in the user's language."""


class WrongCurrentPassword(AccountError):
    pass


COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt"
_SEPARATORS = str.maketrans("", "", " -_.")


def _comparable(password: str) -> str:
    return password.casefold().translate(_SEPARATORS)


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(_comparable(line.strip()) for line in lines if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class SecurityPolicy:
    max_failures: int
    lockout: dt.timedelta
    min_password_length: int
    page_size: int
    staff_session: dt.timedelta
    login_per_address: str
    login_per_account: str
    receipts_per_address_per_day: int = 5
    confirmations_per_tax_code_per_day: int = 3


@cache
def _load_policy(path: str) -> SecurityPolicy:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    login = data.get("login") or {}
    password = data.get("password") or {}
    session = data.get("session") or {}
    intake = data.get("intake") or {}
    return SecurityPolicy(
        max_failures=int(login.get("max_failures", 5)),
        lockout=dt.timedelta(minutes=int(login.get("lockout_minutes", 15))),
        min_password_length=int(password.get("min_length", 12)),
        page_size=int(data.get("page_size", 50)),
        staff_session=dt.timedelta(hours=float(session.get("staff_hours", 8))),
        login_per_address=str(login.get("per_address", "20 per minute; 200 per hour")),
        login_per_account=str(login.get("per_account", "10 per minute; 60 per hour")),
        receipts_per_address_per_day=int(intake.get("receipts_per_address_per_day", 5)),
        confirmations_per_tax_code_per_day=int(intake.get("confirmations_per_tax_code_per_day", 3)),
    )


def security_policy(rules_dir: Path | str) -> SecurityPolicy:
    return _load_policy(str(Path(rules_dir) / "security.yaml"))


def normalise_email(email: str) -> str:
    return clean_text(email).lower()


def check_password_strength(password: str, policy: SecurityPolicy) -> None:
    """At least the configured length, not a common password, not one character pattern over and over."""
    from flask_babel import gettext as _

    if len(password) < policy.min_password_length:
        raise WeakPassword(_("Mật khẩu phải có ít nhất %(n)d ký tự.", n=policy.min_password_length))
    comparable = _comparable(password)
    if comparable in common_passwords() or len(set(comparable)) < 5:
        raise WeakPassword(_("Mật khẩu này quá phổ biến hoặc dễ đoán; vui lòng chọn mật khẩu khác."))


def change_own_password(user: User, current: str, new: str, *, policy: SecurityPolicy, now: dt.datetime,
                        actor: Actor) -> None:
    """The user sets a new password, proving the current one; every other session of theirs ends
    (the caller logs this one in again)."""
    from flask_babel import gettext as _

    if not check_password_hash(user.password_hash, current):
        record(actor, "user.change_password_refused", "user", user.email, now=now)
        raise WrongCurrentPassword(_("Mật khẩu hiện tại không đúng."))
    if check_password_hash(user.password_hash, new):
        raise WeakPassword(_("Mật khẩu mới phải khác mật khẩu hiện tại."))
    check_password_strength(new, policy)
    user.password_hash = generate_password_hash(new)
    end_sessions(user)
    record(actor, "user.change_password", "user", user.email, now=now)


def create_user(*, email: str, role: str, password: str, policy: SecurityPolicy, now: dt.datetime,
                name: str = "", actor: Actor | None = None) -> User:
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError("email is not valid")
    if role not in {r.value for r in Role}:
        raise AccountError(f"unknown role '{role}' (one of: {', '.join(r.value for r in Role)})")
    check_password_strength(password, policy)
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise AccountError(f"a user with email {email} already exists")
    user = User(email=email, role=role, name=clean_text(name), password_hash=generate_password_hash(password),
                created_at=now)
    db.session.add(user)
    db.session.flush()
    if actor is not None:
        record(actor, "user.create", "user", user.email, now=now, role=role)
    return user


class LoginOutcome(StrEnum):
    OK = "ok"
    INVALID = "invalid"  # unknown email, wrong password or inactive account: the same words to the user
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    locked_until: dt.datetime | None = None


def authenticate(email: str, password: str, *, now: dt.datetime, policy: SecurityPolicy,
                 actor: Actor) -> LoginResult:
    """Check a password; count failures and lock the account after `policy.max_failures` in a row.

    Each attempt first takes its place in the failure count with one atomic UPDATE (… SET failed_logins =
    failed_logins + 1 … RETURNING), and the decision is made on the value that UPDATE returned; only then is
    the password checked. So parallel guesses are all counted, and at most `max_failures` passwords are
    checked before the lock, however many arrive at once. The row stays locked by the UPDATE until the
    caller commits, which queues one account's attempts (other accounts are not held up).

    While locked, even the right password is refused. Unknown, inactive and locked accounts cost one
    password hash like any other attempt, so the time of the answer tells nothing either.
    """
    email = normalise_email(email)
    user_id = db.session.scalar(select(User.id).where(func.lower(User.email) == email)) if email else None
    if user_id is None:
        check_password_hash(_dummy_hash(), password)
        record(actor, "login.failed", "user", email[:80], now=now, reason="unknown")
        return LoginResult(LoginOutcome.INVALID)
    taken = db.session.execute(
        update(User)
        .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=func.coalesce(User.failed_logins, 0) + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    user = db.session.get(User, user_id, populate_existing=True)
    if taken is None or taken > policy.max_failures:
        # Locked, or this attempt came after the last one the policy allows (being checked right now).
        check_password_hash(_dummy_hash(), password)
        if taken is not None:
            _lock(user, now=now, policy=policy, actor=actor)
        record(actor, "login.refused_locked", "user", user.email, now=now)
        return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
    right = check_password_hash(user.password_hash, password)
    if not user.active or not right:
        if taken >= policy.max_failures:
            _lock(user, now=now, policy=policy, actor=actor)
            return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
        record(actor, "login.failed", "user", user.email, now=now,
               reason="password" if user.active else "inactive")
        return LoginResult(LoginOutcome.INVALID)
    user.failed_logins = 0
    user.locked_until = None
    record(actor, "login.ok", "user", user.email, now=now)
    return LoginResult(LoginOutcome.OK, user=user)


def _lock(user: User, *, now: dt.datetime, policy: SecurityPolicy, actor: Actor) -> None:
    user.locked_until = now + policy.lockout
    user.failed_logins = 0
    record(actor, "login.locked", "user", user.email, now=now, until=user.locked_until.isoformat())


def end_sessions(user: User) -> None:
    """Every session opened so far stops working at the next request (the user loader compares versions)."""
    user.session_version = (user.session_version or 0) + 1


def reset_password(user: User, password: str, *, policy: SecurityPolicy, now: dt.datetime, actor: Actor) -> None:
    """An admin sets a new password; the lock, the failure count and every open session go with the old one."""
    check_password_strength(password, policy)
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(user)
    record(actor, "user.reset_password", "user", user.email, now=now)


def set_active(user: User, active: bool, *, now: dt.datetime, actor: Actor) -> None:
    user.active = active
    if not active:
        end_sessions(user)
    record(actor, "user.activate" if active else "user.deactivate", "user", user.email, now=now)


def load_session_user(session_id: str, *, authenticated_at: float | None, now: dt.datetime,
                      policy: SecurityPolicy) -> User | None:
    """The user a session's id ("<user id>:<session version>") names, if that session is still good: the
    account active, its version unchanged since login, and the login not older than the staff lifetime."""
    user_id, _, version = (session_id or "").partition(":")
    if not user_id.isdigit() or not version.isdigit() or authenticated_at is None:
        return None
    try:
        started = dt.datetime.fromtimestamp(float(authenticated_at), dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    if not (now - policy.staff_session <= started <= now + dt.timedelta(minutes=5)):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or (user.session_version or 0) != int(version):
        return None
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))


def generate_password() -> str:
    return secrets.token_urlsafe(12)
