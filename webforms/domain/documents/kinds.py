"""The names people read for each document kind (translatable): the back office, the public folder and
the feed all show these, never the internal key."""

from flask_babel import lazy_gettext as _l

DOCUMENT_KIND = {
    "announcement": _l("Thông báo tổ chức Hội nghị"),
    "invitation": _l("Giấy mời"),
    "consolidated_table": _l("Bảng tổng hợp kiến nghị"),
    "conclusion_notice": _l("Thông báo kết luận Hội nghị"),
    "results_report": _l("Báo cáo kết quả Hội nghị"),
    "postponement_report": _l("Báo cáo đề xuất dừng hoặc hoãn Hội nghị"),
    "conference_notice": _l("Thông báo hoãn, hủy tổ chức Hội nghị"),
    "reply_letter": _l("Văn bản trả lời kiến nghị"),
    "budget_estimate": _l("Dự toán kinh phí"),
}


def kind_label(kind: str) -> str:
    return str(DOCUMENT_KIND.get(kind, kind))
