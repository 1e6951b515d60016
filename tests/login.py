"""Logging staff in through the real login form, and reading CSRF tokens from pages."""

from __future__ import annotations

import re

from tests.factories import create_user

PASSWORD = "mat-khau-thu-nghiem-1"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def csrf(client, path: str = "/quan-tri/hoi-nghi") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def login(client, email: str, password: str = PASSWORD):
    token = csrf_from(client.get("/quan-tri/dang-nhap").get_data(as_text=True))
    return client.post("/quan-tri/dang-nhap", data={"email": email, "password": password, "csrf_token": token})


def login_as(client, role: str, **kwargs):
    """Create a user with `role` (committed) and log the client in; returns the user."""
    from webforms.extensions import db

    user = create_user(role=role, password=PASSWORD, **kwargs)
    db.session.commit()
    response = login(client, user.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return user
