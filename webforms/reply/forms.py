"""Forms on the department answer page (CSRF on, like every form)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webforms.domain.attachments import MAX_FILE_BYTES, MAX_FILES_PER_RECOMMENDATION, Upload
from webforms.domain.replies import ANSWER_MAX, REASON_MAX
from webforms.models import AnswerMode

__all__ = ["SelectChoice"]  # views build their runtime choices with it

ANSWER_MODES = [
    SelectChoice(AnswerMode.IN_WRITING.value, _l("Trả lời bằng văn bản")),
    SelectChoice(AnswerMode.AT_CONFERENCE.value, _l("Trả lời trực tiếp tại Hội nghị")),
]


class _Uploads:
    """`uploads()`: the files chosen in the form's `attachments` field."""

    def uploads(self) -> list[Upload]:
        chosen = [f for f in (self.attachments.data or []) if getattr(f, "filename", "")]
        return [Upload(filename=f.filename, stream=f.stream) for f in chosen]


class DraftForm(_Uploads, FlaskForm):
    answer = TextAreaField(
        _l("Dự thảo nội dung trả lời (nêu rõ căn cứ pháp lý)"),
        validators=[Length(max=ANSWER_MAX, message=_l("Nội dung quá dài."))],
    )
    answer_mode = RadioField(_l("Hình thức trả lời"), choices=ANSWER_MODES, validators=[Optional()])
    attachments = MultipleFileField(
        _l("Tài liệu đính kèm dự thảo"),
        description=_l(
            "PDF, DOC, DOCX, XLS, XLSX, JPG, PNG; tối đa %(n)s tệp, mỗi tệp %(mb)s MB. "
            "Tệp được gửi kèm thư trả lời doanh nghiệp khi lãnh đạo duyệt.",
            n=MAX_FILES_PER_RECOMMENDATION,
            mb=MAX_FILE_BYTES // (1024 * 1024),
        ),
    )


class RemoveFileForm(FlaskForm):
    """Only the CSRF token: the file to remove is in the address."""


class SubmitForm(FlaskForm):
    """Only the CSRF token: the draft saved is what goes for approval."""


class CoordinationForm(FlaskForm):
    agencies = SelectMultipleField(
        _l("Đơn vị phối hợp"),
        choices=[],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[DataRequired(message=_l("Vui lòng chọn ít nhất một đơn vị phối hợp."))],
    )
    note = TextAreaField(_l("Nội dung đề nghị phối hợp"), validators=[Length(max=REASON_MAX)])


class ReturnForm(FlaskForm):
    reason = TextAreaField(
        _l("Lý do không thuộc lĩnh vực của đơn vị"),
        validators=[DataRequired(message=_l("Vui lòng nêu lý do trả lại.")), Length(max=REASON_MAX)],
    )
    suggested = SelectField(_l("Đơn vị đề xuất chủ trì"), choices=[], validators=[Optional()])
    suggested_other = StringField(_l("Hoặc ghi tên đơn vị khác"), validators=[Length(max=300)])


class DelegateForm(FlaskForm):
    name = StringField(
        _l("Họ tên người được giao"), validators=[DataRequired(message=_l("Vui lòng nhập họ tên.")), Length(max=200)]
    )
    email = StringField(
        _l("Email công vụ của người được giao"),
        validators=[
            DataRequired(message=_l("Vui lòng nhập email.")),
            Email(message=_l("Email không hợp lệ."), check_deliverability=False),
            Length(max=320),
        ],
    )


class InputForm(_Uploads, FlaskForm):
    text = TextAreaField(
        _l("Ý kiến phối hợp"),
        validators=[
            DataRequired(message=_l("Vui lòng nhập ý kiến phối hợp.")),
            Length(max=ANSWER_MAX, message=_l("Nội dung quá dài.")),
        ],
    )
    attachments = MultipleFileField(
        _l("Tài liệu kèm ý kiến phối hợp"),
        description=_l(
            "PDF, DOC, DOCX, XLS, XLSX, JPG, PNG; tối đa %(n)s tệp, mỗi tệp %(mb)s MB. "
            "Tệp được gửi đơn vị chủ trì cùng ý kiến, không gửi doanh nghiệp.",
            n=MAX_FILES_PER_RECOMMENDATION,
            mb=MAX_FILE_BYTES // (1024 * 1024),
        ),
    )
