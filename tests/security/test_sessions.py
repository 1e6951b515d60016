"""F5: a copied session cookie stops working after logout, a password change or reset and deactivation;
staff sessions end after the configured lifetime."""

import datetime as dt

import pytest

from tests.factories import create_user
from tests.login import PASSWORD, csrf, login
from webforms.domain.accounts import reset_password, security_policy
from webforms.domain.audit import SYSTEM
from webforms.extensions import db
from webforms.models import User
from webforms.timeutil import utcnow

pytestmark = pytest.mark.security

PRIVATE = "/quan-tri/hoi-nghi"


def logged_in(client, role="secretariat"):
    user = create_user(role=role, password=PASSWORD)
    db.session.commit()
    user_id, email = user.id, user.email
    assert login(client, email).status_code == 302
    assert client.get(PRIVATE).status_code == 200
    return user_id, email


def copy_of(client):
    """A second browser holding a copy of the first one's session cookie (a stolen or left cookie)."""
    thief = client.application.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get(PRIVATE).status_code == 200
    return thief


def test_logout_ends_the_session_even_for_a_copied_cookie(client, app_ctx):
    logged_in(client)
    thief = copy_of(client)
    client.post("/quan-tri/dang-xuat", data={"csrf_token": csrf(client)})
    assert client.get(PRIVATE).status_code == 302
    assert thief.get(PRIVATE).status_code == 302


def test_an_admin_reset_ends_the_users_sessions(client, app_ctx):
    user_id, _ = logged_in(client)
    thief = copy_of(client)
    admin = client.application.test_client()
    admin_user = create_user(role="admin", password=PASSWORD)
    db.session.commit()
    assert login(admin, admin_user.email).status_code == 302
    response = admin.post(f"/quan-tri/tai-khoan/{user_id}/dat-lai-mat-khau",
                          data={"csrf_token": csrf(admin, "/quan-tri/tai-khoan"), "password": "mat-khau-moi-that-dai"})
    assert response.status_code == 302
    assert client.get(PRIVATE).status_code == 302
    assert thief.get(PRIVATE).status_code == 302
    assert admin.get("/quan-tri/tai-khoan").status_code == 200  # the admin's own session is untouched


def test_a_cli_reset_ends_the_users_sessions(client, app_ctx, settings):
    user_id, _ = logged_in(client)
    reset_password(db.session.get(User, user_id), "mat-khau-moi-that-dai", policy=security_policy(settings.rules_dir),
                   now=utcnow(), actor=SYSTEM)  # what `doithoai user reset-password` calls
    db.session.commit()
    assert client.get(PRIVATE).status_code == 302


def test_deactivation_ends_the_users_sessions_and_reactivation_does_not_revive_them(client, app_ctx):
    user_id, _ = logged_in(client)
    thief = copy_of(client)
    admin = client.application.test_client()
    admin_user = create_user(role="admin", password=PASSWORD)
    db.session.commit()
    assert login(admin, admin_user.email).status_code == 302
    token = csrf(admin, "/quan-tri/tai-khoan")
    admin.post(f"/quan-tri/tai-khoan/{user_id}/kich-hoat", data={"csrf_token": token, "active": "0"})
    assert thief.get(PRIVATE).status_code == 302
    admin.post(f"/quan-tri/tai-khoan/{user_id}/kich-hoat", data={"csrf_token": token, "active": "1"})
    db.session.expire_all()
    assert db.session.get(User, user_id).active
    assert thief.get(PRIVATE).status_code == 302


def test_a_staff_session_ends_after_the_configured_hours(client, app_ctx, settings):
    policy = security_policy(settings.rules_dir)
    logged_in(client)
    with client.session_transaction() as session:
        session["auth_at"] = (utcnow() - policy.staff_session + dt.timedelta(minutes=1)).timestamp()
    assert client.get(PRIVATE).status_code == 200
    with client.session_transaction() as session:
        session["auth_at"] = (utcnow() - policy.staff_session - dt.timedelta(minutes=1)).timestamp()
    assert client.get(PRIVATE).status_code == 302
    assert policy.staff_session <= dt.timedelta(hours=12)
