"""The public folder, its Atom feed and the JSON API show only what was published; a private
answer never appears anywhere."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from tests.factories import create_conference, create_enterprise, create_recommendation, create_registration
from webforms.extensions import db
from webforms.models import ConferenceStatus, Document

UTC = dt.UTC
ANSWERED = dt.datetime(2025, 9, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def folder_world(app_ctx, settings):
    conference = create_conference(slug="dtdn-2025", title="Hội nghị đối thoại doanh nghiệp năm 2025",
                                   announcement_text="Kính mời các doanh nghiệp tham dự.")
    older = create_conference(slug="dtdn-2024", title="Hội nghị năm 2024",
                              starts_at=dt.datetime(2024, 9, 5, 1, 30, tzinfo=UTC), status=ConferenceStatus.HELD)
    draft = create_conference(slug="dtdn-nhap", title="Hội nghị bản nháp", status=ConferenceStatus.DRAFT)
    consenting = create_registration(conference, create_enterprise(name="Công ty Đồng Ý"), public_consent=True)
    silent = create_registration(conference, create_enterprise(name="Công ty Kín Tiếng"), public_consent=False)
    answered = dict(status="answered_in_writing", answer_mode="in_writing", answered_at=ANSWERED, published=True)
    create_recommendation(consenting, title="Câu hỏi công khai về đất đai", answer="Trả lời công khai số một",
                          **answered)
    create_recommendation(silent, title="Câu hỏi ẩn danh", answer="Trả lời ẩn danh", **answered)
    create_recommendation(consenting, seq=2, title="Câu hỏi riêng tư", answer="BÍ MẬT RIÊNG TƯ", private=True,
                          **answered)
    create_recommendation(consenting, seq=3, title="Câu hỏi chưa công khai", answer="CHƯA DUYỆT",
                          status="answered_in_writing", answered_at=ANSWERED, published=False)
    create_recommendation(create_registration(draft), title="Câu hỏi hội nghị nháp", answer="NHÁP", **answered)
    create_recommendation(create_registration(older), title="Câu hỏi năm 2024 về thuế", answer="Trả lời 2024",
                          status="answered_at_conference", answer_mode="at_conference", answered_at=ANSWERED,
                          published=True)
    folder = settings.resolved_documents_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ket-luan.docx").write_bytes(b"PK-conclusion")
    (folder / "noi-bo.docx").write_bytes(b"PK-internal")
    public = Document(conference_id=conference.id, kind="conclusion_notice", path="ket-luan.docx", status="done",
                      published=True, generated_at=ANSWERED)
    internal = Document(conference_id=conference.id, kind="results_report", path="noi-bo.docx", status="done",
                        published=False, generated_at=ANSWERED)
    db.session.add_all([public, internal])
    db.session.commit()
    return {"public_doc": public.id, "internal_doc": internal.id}


SECRETS = ("BÍ MẬT RIÊNG TƯ", "Câu hỏi riêng tư", "CHƯA DUYỆT", "Câu hỏi chưa công khai", "NHÁP",
           "Hội nghị bản nháp", "Công ty Kín Tiếng")


def assert_no_secrets(text: str):
    for secret in SECRETS:
        assert secret not in text, secret


def test_folder_pages_show_only_published_content(client, folder_world):
    index = client.get("/doi-thoai-doanh-nghiep/").get_data(as_text=True)
    assert "Hội nghị đối thoại doanh nghiệp năm 2025" in index and "Hội nghị năm 2024" in index
    assert_no_secrets(index)
    page = client.get("/doi-thoai-doanh-nghiep/dtdn-2025").get_data(as_text=True)
    assert "Kính mời các doanh nghiệp tham dự." in page
    assert "Trả lời công khai số một" in page and "Công ty Đồng Ý" in page
    assert "Trả lời ẩn danh" in page  # shown, without the enterprise's name
    # The Vietnamese name of the kind, never the internal key; the unpublished report not at all.
    assert "Thông báo kết luận Hội nghị (phiên bản 1" in page and "conclusion_notice" not in page
    assert "results_report" not in page and "Báo cáo kết quả" not in page
    english = client.get("/doi-thoai-doanh-nghiep/dtdn-2025?lang=en").get_data(as_text=True)
    assert "conclusion_notice" not in english
    assert_no_secrets(page)
    assert client.get("/doi-thoai-doanh-nghiep/dtdn-nhap").status_code == 404


def test_search_across_years(client, folder_world):
    page = client.get("/doi-thoai-doanh-nghiep/tim-kiem?q=c%C3%A2u+h%E1%BB%8Fi").get_data(as_text=True)
    assert "Câu hỏi năm 2024 về thuế" in page and "Câu hỏi công khai về đất đai" in page
    assert_no_secrets(page)
    only_2024 = client.get("/doi-thoai-doanh-nghiep/tim-kiem?q=c%C3%A2u&nam=2024").get_data(as_text=True)
    assert "Câu hỏi năm 2024 về thuế" in only_2024 and "đất đai" not in only_2024
    private_search = client.get("/doi-thoai-doanh-nghiep/tim-kiem?q=B%C3%8D+M%E1%BA%ACT").get_data(as_text=True)
    assert "0 kết quả" in private_search
    assert client.get("/doi-thoai-doanh-nghiep/tim-kiem?nam=abc&q=%00").status_code == 200


def test_atom_feed(client, folder_world):
    response = client.get("/doi-thoai-doanh-nghiep/feed.atom")
    assert response.content_type.startswith("application/atom+xml")
    text = response.get_data(as_text=True)
    assert_no_secrets(text)
    root = ET.fromstring(response.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert "Câu hỏi công khai về đất đai" in titles and "Hội nghị đối thoại doanh nghiệp năm 2025" in titles
    assert "Thông báo kết luận Hội nghị, phiên bản 1" in titles
    assert not any("conclusion_notice" in t for t in titles)
    assert root.findtext("a:updated", namespaces=ns)


def test_json_api(client, folder_world):
    conferences = client.get("/api/v1/conferences").get_json()["conferences"]
    assert {c["slug"] for c in conferences} == {"dtdn-2025", "dtdn-2024"}
    body = client.get("/api/v1/conferences/dtdn-2025/answers")
    data = body.get_json()
    assert {a["title"] for a in data["answers"]} == {"Câu hỏi công khai về đất đai", "Câu hỏi ẩn danh"}
    names = {a["title"]: a["enterprise"] for a in data["answers"]}
    assert names["Câu hỏi ẩn danh"] is None and names["Câu hỏi công khai về đất đai"] == "Công ty Đồng Ý"
    assert [d["kind"] for d in data["documents"]] == ["conclusion_notice"]
    assert_no_secrets(body.get_data(as_text=True))
    missing = client.get("/api/v1/conferences/dtdn-nhap/answers")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_public_documents_download_only_when_published(client, folder_world):
    ok = client.get(f"/doi-thoai-doanh-nghiep/dtdn-2025/van-ban/{folder_world['public_doc']}")
    assert ok.status_code == 200 and ok.data == b"PK-conclusion"
    assert client.get(f"/doi-thoai-doanh-nghiep/dtdn-2025/van-ban/{folder_world['internal_doc']}").status_code == 404
    assert client.get(f"/doi-thoai-doanh-nghiep/dtdn-2024/van-ban/{folder_world['public_doc']}").status_code == 404


def test_marking_private_removes_an_answer_everywhere(client, staff, folder_world):
    from webforms.models import Recommendation

    rec = db.session.query(Recommendation).filter_by(title="Câu hỏi ẩn danh").one()
    staff("leader")
    from tests.login import csrf

    client.post(f"/quan-tri/kien-nghi/{rec.id}/rieng-tu", data={"csrf_token": csrf(client), "private": "y"})
    for url in ("/doi-thoai-doanh-nghiep/dtdn-2025", "/doi-thoai-doanh-nghiep/feed.atom",
                "/api/v1/conferences/dtdn-2025/answers", "/doi-thoai-doanh-nghiep/tim-kiem?q=%E1%BA%A9n"):
        assert "Trả lời ẩn danh" not in client.get(url).get_data(as_text=True), url


def test_english_switch(client, folder_world):
    page = client.get("/doi-thoai-doanh-nghiep/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Business dialogue" in page
    login = client.get("/quan-tri/dang-nhap?lang=en").get_data(as_text=True)
    assert "Password" in login
