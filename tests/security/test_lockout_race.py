"""F4: parallel wrong guesses are all counted (one atomic UPDATE each), on PostgreSQL as on SQLite.

Run on PostgreSQL with DATABASE_URL=postgresql://… (the review's race needs real concurrent sessions; on
SQLite the write lock serialises logins anyway).
"""

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from tests.factories import create_user
from tests.login import PASSWORD
from webforms.domain.accounts import LoginOutcome, authenticate, security_policy
from webforms.domain.audit import Actor
from webforms.extensions import db
from webforms.models import AuditEvent
from webforms.timeutil import utcnow

pytestmark = pytest.mark.security

GUESSES = 14  # the engine pool holds 15 connections (5 + 10 overflow); the test keeps one


def burst(app, email: str, passwords: list[str]) -> list[LoginOutcome]:
    """Every password tried at once, each from its own thread, session and connection."""
    barrier = threading.Barrier(len(passwords))
    outcomes: list[LoginOutcome | None] = [None] * len(passwords)
    errors: list[BaseException] = []

    def attempt(i: int, password: str) -> None:
        try:
            with app.app_context():
                policy = security_policy(app.extensions["doithoai"].settings.rules_dir)
                barrier.wait(timeout=30)
                result = authenticate(email, password, now=utcnow(), policy=policy,
                                      actor=Actor(kind="user", name="race", ip=f"10.0.0.{i}", user_agent="t"))
                db.session.commit()
                outcomes[i] = result.outcome
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(i, p)) for i, p in enumerate(passwords)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return outcomes


def checked_passwords() -> int:
    """Attempts whose password was really compared: failures counted below the lock, the locking one, OKs."""
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action.in_(("login.failed", "login.locked", "login.ok")))
    )


def test_parallel_wrong_guesses_are_all_counted_and_lock(app, app_ctx, settings):
    policy = security_policy(settings.rules_dir)
    email = create_user(role="secretariat", password=PASSWORD).email
    db.session.commit()  # and no attribute read after it: on SQLite that would begin a write transaction
    outcomes = burst(app, email, [f"sai-mat-khau-{i}" for i in range(GUESSES)])
    assert Counter(outcomes) == {LoginOutcome.INVALID: policy.max_failures - 1,
                                 LoginOutcome.LOCKED: GUESSES - policy.max_failures + 1}
    assert checked_passwords() == policy.max_failures
    # The right password afterwards is refused: the account is locked.
    right = authenticate(email, PASSWORD, now=utcnow(), policy=policy,
                         actor=Actor(kind="user", name="owner", ip="10.0.1.1", user_agent="t"))
    db.session.commit()
    assert right.outcome == LoginOutcome.LOCKED


def test_the_right_password_late_in_a_burst_is_refused(app, app_ctx, settings):
    """The review: a right password accepted after 14 wrong ones in one burst. At most max_failures
    passwords are checked, whatever the order the attempts reach the database in."""
    policy = security_policy(settings.rules_dir)
    email = create_user(role="secretariat", password=PASSWORD).email
    db.session.commit()  # and no attribute read after it: on SQLite that would begin a write transaction
    passwords = [f"sai-mat-khau-{i}" for i in range(GUESSES - 1)] + [PASSWORD]
    outcomes = burst(app, email, passwords)
    actions = list(db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("login.%")).order_by(AuditEvent.id)))
    assert len(actions) == GUESSES
    # In the order the attempts took the row: never more than max_failures passwords compared in a row
    # without the lock, and the right one accepted only before the lock.
    streak = 0
    for action in actions:
        if action == "login.ok":
            assert outcomes[-1] == LoginOutcome.OK
            assert streak < policy.max_failures
            streak = 0
        elif action == "login.failed":
            streak += 1
        elif action == "login.locked":
            assert streak == policy.max_failures - 1
            break
    else:
        pytest.fail(f"never locked: {actions}")
    assert actions.count("login.locked") == 1
    if "login.ok" not in actions:
        assert outcomes[-1] == LoginOutcome.LOCKED
