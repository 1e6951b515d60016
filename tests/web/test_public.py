def test_home_lists_announced_conferences_only(client, app_ctx, rules):
    import datetime as dt

    from webforms.domain.conferences import create_conference
    from webforms.extensions import db
    from webforms.models import ConferenceStatus

    start = dt.datetime(2025, 9, 4, 8, 30, tzinfo=rules.plan.timezone)
    shown = create_conference(title="Hội nghị công khai", starts_at=start, venue="Trụ sở", rules=rules)
    shown.status = ConferenceStatus.ANNOUNCED
    create_conference(title="Hội nghị nháp", starts_at=start, venue="Trụ sở", rules=rules)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Hội nghị công khai" in page
    assert "Hội nghị nháp" not in page


def test_unknown_page_is_a_vietnamese_404(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
