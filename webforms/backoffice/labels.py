"""Vietnamese names (translatable) for the codes stored in the database."""

from flask_babel import lazy_gettext as _l

from webforms.domain.documents.kinds import DOCUMENT_KIND
from webforms.models import AssignmentState, ConferenceStatus, OutboxStatus, RecommendationStatus, Scope

CONFERENCE_STATUS = {
    ConferenceStatus.DRAFT: _l("Bản nháp"),
    ConferenceStatus.ANNOUNCED: _l("Đã thông báo"),
    ConferenceStatus.INTAKE_CLOSED: _l("Đã hết hạn nhận kiến nghị"),
    ConferenceStatus.CONFIRMED: _l("Đủ điều kiện tổ chức"),
    ConferenceStatus.POSTPONEMENT_PROPOSED: _l("Đề xuất dừng hoặc hoãn"),
    ConferenceStatus.HELD: _l("Đã tổ chức"),
    ConferenceStatus.CONCLUDED: _l("Đã có thông báo kết luận"),
    ConferenceStatus.REPORTED: _l("Đã báo cáo"),
    ConferenceStatus.CANCELLED: _l("Đã hủy"),
}
RECOMMENDATION_STATUS = {
    RecommendationStatus.RECEIVED: _l("Đã tiếp nhận"),
    RecommendationStatus.SCREENED_OUT: _l("Không thuộc phạm vi"),
    RecommendationStatus.ASSIGNED: _l("Đang xử lý"),
    RecommendationStatus.ANSWERED_AT_CONFERENCE: _l("Đã trả lời tại Hội nghị"),
    RecommendationStatus.ANSWERED_IN_WRITING: _l("Đã trả lời bằng văn bản"),
}
SCOPE = {Scope.PENDING: _l("Chưa sàng lọc"), Scope.IN_SCOPE: _l("Thuộc phạm vi"),
         Scope.OUT_OF_SCOPE: _l("Ngoài phạm vi")}
ASSIGNMENT_STATE = {
    AssignmentState.OPEN: _l("Đang chờ phòng trả lời"),
    AssignmentState.SUBMITTED: _l("Chờ phê duyệt"),
    AssignmentState.SENT_BACK: _l("Trả lại để sửa"),
    AssignmentState.APPROVED: _l("Đã phê duyệt"),
    AssignmentState.RETURNED: _l("Phòng trả lại (không thuộc thẩm quyền)"),
    AssignmentState.REVOKED: _l("Đã thu hồi"),
}
OUTBOX_STATUS = {OutboxStatus.PENDING: _l("Đang chờ gửi"), OutboxStatus.SENDING: _l("Đang gửi"),
                 OutboxStatus.SENT: _l("Đã gửi"), OutboxStatus.FAILED: _l("Gửi lỗi")}
MILESTONE_STATE = {"done": _l("Đã xong"), "drafted": _l("Đã có dự thảo"), "due": _l("Sắp đến hạn"),
                   "overdue": _l("Quá hạn")}
FORMAT = {"in_person": _l("Trực tiếp"), "online": _l("Trực tuyến"), "hybrid": _l("Trực tiếp kết hợp trực tuyến")}


DOCUMENT_STATE = {
    "draft": _l("Dự thảo"),
    "approved": _l("Đã duyệt nội dung, chờ ký"),
    "signed": _l("Đã ký, chờ cấp số"),
    "issued": _l("Đã ban hành"),
    "replaced": _l("Đã được thay thế"),
    "withdrawn": _l("Đã thu hồi"),
}


def label(mapping: dict, code: str) -> str:
    return str(mapping.get(code, code))


def all_labels() -> dict:
    return {"conference_status": CONFERENCE_STATUS, "recommendation_status": RECOMMENDATION_STATUS,
            "scope_labels": SCOPE, "assignment_state": ASSIGNMENT_STATE, "outbox_status": OUTBOX_STATUS,
            "milestone_state": MILESTONE_STATE, "format_labels": FORMAT, "document_kind": DOCUMENT_KIND,
            "document_state": DOCUMENT_STATE,
            "label": label}
