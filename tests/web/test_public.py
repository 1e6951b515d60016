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


def test_nul_in_path_query_or_form_never_reaches_the_database(client, app_ctx):
    # PostgreSQL refuses NUL in text parameters: a path with one is not found, values lose theirs.
    from tests.factories import create_conference

    create_conference(slug="hn-nul")
    from webforms.extensions import db

    db.session.commit()
    assert client.get("/hoi-nghi/hn-nul%00x").status_code == 404
    assert client.get("/hoi-nghi/hn-nul?lang=vi%00").status_code == 200
    assert client.get("/doi-thoai-doanh-nghiep/tim-kiem?q=%00h%C3%A0").status_code == 200
    assert client.get("/quan-tri/kien-nghi?conference=hn-nul%00").status_code in (302, 200)
