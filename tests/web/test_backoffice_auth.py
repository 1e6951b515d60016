"""Staff login: passwords, lockout from config/security.yaml, safe redirects, the user command."""

import datetime as dt

from tests.factories import create_user
from tests.login import PASSWORD, csrf, login
from webforms.domain.accounts import LoginOutcome, authenticate, security_policy
from webforms.domain.audit import SYSTEM
from webforms.extensions import db
from webforms.models import User


def test_login_page_is_vietnamese_and_has_a_csrf_token(client):
    page = client.get("/quan-tri/dang-nhap").get_data(as_text=True)
    assert "Đăng nhập trang quản trị" in page
    assert 'name="csrf_token"' in page


def test_login_then_logout(client, app_ctx):
    user = create_user(role="secretariat")
    db.session.commit()
    response = login(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/quan-tri/")
    assert client.get("/quan-tri/hoi-nghi").status_code == 200
    client.post("/quan-tri/dang-xuat", data={"csrf_token": csrf(client)})
    assert client.get("/quan-tri/hoi-nghi").status_code == 302


def test_wrong_password_gives_one_message_for_both_cases(client, app_ctx):
    user = create_user()
    db.session.commit()
    wrong = login(client, user.email, "sai-mat-khau-roi").get_data(as_text=True)
    unknown = login(client, "khong-co@heza.example.vn", "sai-mat-khau-roi").get_data(as_text=True)
    assert "Email hoặc mật khẩu không đúng." in wrong
    assert "Email hoặc mật khẩu không đúng." in unknown


def test_lockout_after_the_configured_number_of_failures(client, app_ctx, settings):
    policy = security_policy(settings.rules_dir)
    user = create_user()
    db.session.commit()
    for _ in range(policy.max_failures - 1):
        assert "Email hoặc mật khẩu không đúng." in login(client, user.email, "sai-mat-khau-roi").get_data(as_text=True)
    locked = login(client, user.email, "sai-mat-khau-roi")
    assert "Email hoặc mật khẩu không đúng." in locked.get_data(as_text=True)  # the same words (issue 16, F10)
    # The right password is refused while locked.
    right = login(client, user.email, PASSWORD)
    assert right.status_code == 200
    assert "Email hoặc mật khẩu không đúng." in right.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until is not None


def test_lock_expires_after_the_configured_time(app_ctx, settings):
    policy = security_policy(settings.rules_dir)
    user = create_user()
    now = dt.datetime(2025, 9, 1, 8, 0, tzinfo=dt.UTC)
    for _ in range(policy.max_failures):
        result = authenticate(user.email, "sai", now=now, policy=policy, actor=SYSTEM)
    assert result.outcome == LoginOutcome.LOCKED
    assert authenticate(user.email, PASSWORD, now=now + policy.lockout - dt.timedelta(seconds=1), policy=policy,
                        actor=SYSTEM).outcome == LoginOutcome.LOCKED
    ok = authenticate(user.email, PASSWORD, now=now + policy.lockout, policy=policy, actor=SYSTEM)
    assert ok.outcome == LoginOutcome.OK
    assert user.failed_logins == 0


def test_next_parameter_never_leaves_the_site(client, app_ctx):
    user = create_user()
    db.session.commit()
    token = csrf_page = client.get("/quan-tri/dang-nhap?next=https://evil.example/").get_data(as_text=True)
    from tests.login import csrf_from

    token = csrf_from(csrf_page)
    response = client.post("/quan-tri/dang-nhap", data={"email": user.email, "password": PASSWORD,
                                                        "csrf_token": token, "next": "//evil.example/x"})
    assert response.headers["Location"].endswith("/quan-tri/")


def test_login_without_csrf_is_refused(client, app_ctx):
    user = create_user()
    db.session.commit()
    response = client.post("/quan-tri/dang-nhap", data={"email": user.email, "password": PASSWORD})
    assert response.status_code in (200, 400)
    assert client.get("/quan-tri/hoi-nghi").status_code == 302


def test_inactive_account_cannot_log_in(client, app_ctx):
    user = create_user(active=False)
    db.session.commit()
    assert login(client, user.email).status_code == 200


def test_passwords_are_hashed_with_scrypt(app_ctx, settings):
    from webforms.domain.accounts import create_user as make

    user = make(email="A@Heza.example.vn", role="leader", password="mot-mat-khau-dai", now=dt.datetime.now(dt.UTC),
                policy=security_policy(settings.rules_dir))
    assert user.email == "a@heza.example.vn"
    assert user.password_hash.startswith("scrypt:")
    assert "mot-mat-khau-dai" not in user.password_hash


def test_cli_user_create_with_and_without_password(app, app_ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "--email", "vp@heza.example.vn", "--role", "secretariat",
                                 "--password", "mat-khau-van-phong"])
    assert result.exit_code == 0, result.output
    prompted = runner.invoke(args=["user", "create", "--email", "ld@heza.example.vn", "--role", "leader"],
                             input="mat-khau-lanh-dao\nmat-khau-lanh-dao\n")
    assert prompted.exit_code == 0, prompted.output
    bad_role = runner.invoke(args=["user", "create", "--email", "x@heza.example.vn", "--role", "boss",
                                   "--password", "mat-khau-dai-du"])
    assert bad_role.exit_code == 1
    assert "unknown role" in bad_role.output
    short = runner.invoke(args=["user", "create", "--email", "y@heza.example.vn", "--role", "admin",
                                "--password", "ngan"])
    assert short.exit_code == 1
    db.session.expire_all()
    roles = {u.email: u.role for u in db.session.query(User)}
    assert roles == {"vp@heza.example.vn": "secretariat", "ld@heza.example.vn": "leader"}


def test_admin_resets_a_password_and_unlocks(client, staff, app_ctx):
    staff("admin")
    locked = create_user(locked_until=dt.datetime(2999, 1, 1, tzinfo=dt.UTC), failed_logins=3)
    db.session.commit()
    token = csrf(client, "/quan-tri/tai-khoan")
    response = client.post(f"/quan-tri/tai-khoan/{locked.id}/dat-lai-mat-khau",
                           data={"csrf_token": token, "password": "mat-khau-moi-dai"})
    assert response.status_code == 302
    db.session.expire_all()
    fresh = db.session.get(User, locked.id)
    assert fresh.locked_until is None and fresh.failed_logins == 0
    other = client.application.test_client()
    assert login(other, locked.email, "mat-khau-moi-dai").status_code == 302
