"""WTForms classes of the back office. Labels are full phrases wrapped in lazy_gettext."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional

from webforms.models import InviteeCategory, Role

FORMATS = (("in_person", _l("Trực tiếp")), ("online", _l("Trực tuyến")), ("hybrid", _l("Trực tiếp kết hợp trực tuyến")))
ROLE_LABELS = {
    Role.ADMIN: _l("Quản trị hệ thống"),
    Role.SECRETARIAT: _l("Văn phòng"),
    Role.CONSOLIDATION: _l("Phòng Doanh nghiệp và Giám sát đầu tư"),
    Role.LEADER: _l("Lãnh đạo Ban"),
}
CATEGORY_LABELS = {
    InviteeCategory.CITY_LEADER: _l("Lãnh đạo thành phố"),
    InviteeCategory.AGENCY: _l("Sở, ngành, cơ quan"),
    InviteeCategory.ENTERPRISE: _l("Doanh nghiệp"),
    InviteeCategory.PRESS: _l("Báo chí"),
    InviteeCategory.PORTAL: _l("Cổng thông tin điện tử"),
}


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Vui lòng nhập email.")), Length(max=320)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")),
                                                          Length(max=200)])
    next = HiddenField()


class ConferenceForm(FlaskForm):
    title = StringField(_l("Tên hội nghị"), validators=[DataRequired(_l("Vui lòng nhập tên hội nghị.")),
                                                          Length(max=300)])
    date = DateField(_l("Ngày tổ chức"), validators=[DataRequired(_l("Vui lòng nhập ngày theo dạng năm-tháng-ngày."))])
    time = TimeField(_l("Giờ bắt đầu"), validators=[DataRequired(_l("Vui lòng nhập giờ theo dạng giờ:phút."))])
    venue = StringField(_l("Địa điểm"), validators=[DataRequired(_l("Vui lòng nhập địa điểm.")), Length(max=500)])
    format = SelectField(_l("Hình thức"), choices=_choices(FORMATS))
    host_agency = StringField(_l("Cơ quan chủ trì"), validators=[Optional(), Length(max=300)])
    signer_authority = StringField(_l("Thẩm quyền ký (ví dụ: KT. TRƯỞNG BAN)"),
                                   validators=[Optional(), Length(max=120)])
    signer_title = StringField(_l("Chức vụ người ký"), validators=[Optional(), Length(max=120)])
    signer_name = StringField(_l("Họ tên người ký"), validators=[Optional(), Length(max=200)])
    announcement_text = TextAreaField(_l("Nội dung thông báo"), validators=[Optional(), Length(max=20000)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Lý do"), validators=[DataRequired(_l("Vui lòng nêu lý do.")), Length(max=2000)])


class PostponeForm(ReasonForm):
    date = DateField(_l("Ngày tổ chức mới"), validators=[DataRequired(_l("Vui lòng nhập ngày mới."))])
    time = TimeField(_l("Giờ bắt đầu mới"), validators=[DataRequired(_l("Vui lòng nhập giờ mới."))])


class InviteeForm(FlaskForm):
    category = SelectField(_l("Nhóm khách mời"), choices=_choices(CATEGORY_LABELS.items()))
    name = StringField(_l("Họ tên hoặc tên đơn vị"), validators=[DataRequired(_l("Vui lòng nhập tên.")),
                                                                   Length(max=300)])
    position = StringField(_l("Chức vụ"), validators=[Optional(), Length(max=300)])
    organisation = StringField(_l("Cơ quan"), validators=[Optional(), Length(max=300)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(_l("Email không hợp lệ.")), Length(max=320)])


class InviteeUploadForm(FlaskForm):
    file = FileField(_l("Tệp CSV (UTF-8)"), validators=[FileRequired(_l("Vui lòng chọn tệp CSV."))])


class InviteeConfirmForm(FlaskForm):
    csv_text = HiddenField()


class ReassignForm(FlaskForm):
    """Choices are the internal departments of departments.yaml, filled by the view."""

    department = SelectField(_l("Chuyển đến phòng, đơn vị"), choices=[])
    reason = TextAreaField(_l("Lý do (gửi kèm thư cho đơn vị mới)"), validators=[Optional(), Length(max=2000)])


class ScreenOutForm(FlaskForm):
    """Choices are filled from the domain's screening reasons by the view."""

    reason_code = SelectField(_l("Lý do loại"), choices=[])
    reason = TextAreaField(_l("Giải thích gửi doanh nghiệp"), validators=[Optional(), Length(max=2000)])


class ConferenceAnswerForm(FlaskForm):
    """An answer given at the conference; `department` choices are the internal units, filled by the view."""

    answered_by = StringField(_l("Người trả lời (lãnh đạo, đơn vị)"),
                              validators=[DataRequired(_l("Vui lòng ghi người trả lời (lãnh đạo, đơn vị).")),
                                          Length(max=300)])
    department = SelectField(_l("Đơn vị chủ trì"), choices=[], validate_choice=False)
    answer = TextAreaField(_l("Nội dung trả lời tại Hội nghị"),
                           validators=[DataRequired(_l("Vui lòng ghi nội dung trả lời tại Hội nghị.")),
                                       Length(max=20000)])


class DuplicateForm(FlaskForm):
    of_code = StringField(_l("Mã kiến nghị gốc"), validators=[DataRequired(_l("Vui lòng nhập mã kiến nghị.")),
                                                             Length(max=48)])


class UserCreateForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Vui lòng nhập email.")),
                                                 Email(_l("Email không hợp lệ.")), Length(max=320)])
    name = StringField(_l("Họ tên"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Vai trò"), choices=_choices(ROLE_LABELS.items()))
    password = PasswordField(_l("Mật khẩu ban đầu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")),
                                                                 Length(max=200)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu hiện tại.")),
                                                                 Length(max=200)])
    new = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu mới.")),
                                                        Length(max=200)])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        DataRequired(_l("Vui lòng nhập lại mật khẩu mới.")),
        EqualTo("new", _l("Hai lần nhập mật khẩu mới không giống nhau."))])


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")),
                                                             Length(max=200)])


class PrivateForm(FlaskForm):
    private = BooleanField(_l("Không công khai câu trả lời này"))


class CheckInForm(FlaskForm):
    """One arrival at the door: how many people came (empty keeps the count), or undo."""

    delegates = IntegerField(_l("Số người"), validators=[
        Optional(), NumberRange(min=1, max=99, message=_l("Số người tham dự phải từ 1 đến 99."))])
    undo = HiddenField()


class LocalDateField(DateField):
    """A date whose wrong input says so in the page's language, not in WTForms' English."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Ngày không hợp lệ: vui lòng nhập theo dạng năm-tháng-ngày.")) from None


class ConclusionItemForm(Form):
    """One recommendation in the chair's conclusions; the choices are departments.yaml's units."""

    recommendation_id = HiddenField()
    # Units are checked by the domain (conclusions.save_conclusion), with its Vietnamese messages.
    lead_unit = SelectField(_l("Đơn vị chủ trì"), choices=[], validate_choice=False)
    coordinating_units = SelectMultipleField(_l("Đơn vị phối hợp"), choices=[], validate_choice=False)
    task = TextAreaField(_l("Nội dung giao (việc cần làm)"), validators=[Optional(), Length(max=2000)])
    due_on = LocalDateField(_l("Hạn trả lời doanh nghiệp"), validators=[Optional()])


class ConclusionForm(FlaskForm):
    chair_name = StringField(_l("Họ tên đồng chí chủ trì"), validators=[Length(max=200)])
    chair_title = StringField(_l("Chức vụ, cơ quan của đồng chí chủ trì"), validators=[Length(max=300)])
    attending_leaders = TextAreaField(_l("Lãnh đạo tham dự (mỗi dòng một vị trí)"), validators=[Length(max=2000)])
    attending_agencies = TextAreaField(_l("Sở, ngành, cơ quan tham dự (mỗi dòng một cơ quan)"),
                                       validators=[Length(max=2000)])
    general = TextAreaField(_l("1. Đánh giá chung"), validators=[Length(max=20000)])
    items = FieldList(FormField(ConclusionItemForm))
    closing = TextAreaField(_l("3. Tổ chức thực hiện (không bắt buộc)"), validators=[Length(max=20000)])
