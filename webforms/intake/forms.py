"""The registration form. WTForms carries the fields, CSRF and what people typed; the rules live in
domain.validation, shared with the JSON API, so the form has no validators of its own."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import EmailField, TelField

from config.rules import Rules
from webforms.domain.attachments import Upload
from webforms.domain.validation import MAX_ATTENDEES, MAX_RECOMMENDATIONS


class EnterpriseForm(Form):
    tax_code = StringField(
        _l("Mã số thuế"), description=_l("10 chữ số; chi nhánh ghi 13 chữ số, ví dụ 0201234567-001.")
    )
    name = StringField(_l("Tên doanh nghiệp"))
    zone = SelectField(_l("Khu công nghiệp, khu kinh tế nơi doanh nghiệp hoạt động"), validate_choice=False)
    address = StringField(_l("Địa chỉ"))
    sector = StringField(_l("Ngành nghề kinh doanh"))


class ContactForm(Form):
    name = StringField(_l("Họ và tên người đại diện"))
    position = StringField(_l("Chức vụ"))
    email = EmailField(
        _l("Email"), description=_l("Mã theo dõi và đường dẫn theo dõi kiến nghị được gửi tới địa chỉ này.")
    )
    phone = TelField(
        _l("Số điện thoại"), description=_l("Di động hoặc cố định, ví dụ 0912 345 678 hoặc 0225 3836 123.")
    )


class AttendeeForm(Form):
    name = StringField(_l("Họ và tên"))
    position = StringField(_l("Chức vụ"))


class RecommendationForm(Form):
    title = StringField(_l("Tiêu đề kiến nghị"))
    content = TextAreaField(_l("Nội dung kiến nghị"), description=_l("Tối đa 5.000 ký tự."))
    field = SelectField(_l("Lĩnh vực"), validate_choice=False)
    agency = StringField(_l("Thủ tục hành chính hoặc cơ quan liên quan"))
    attachments = MultipleFileField(
        _l("Tệp đính kèm"),
        description=_l("PDF, DOC, DOCX, XLS, XLSX, JPG, PNG; tối đa 5 tệp, mỗi tệp 10 MB."),
    )


class RegistrationForm(FlaskForm):
    enterprise = FormField(EnterpriseForm)
    contact = FormField(ContactForm)
    attendees = FieldList(FormField(AttendeeForm), min_entries=MAX_ATTENDEES, max_entries=MAX_ATTENDEES)
    recommendations = FieldList(FormField(RecommendationForm), min_entries=1, max_entries=MAX_RECOMMENDATIONS)
    declaration = BooleanField()
    public_consent = BooleanField(_l("Đồng ý công khai tên doanh nghiệp cùng nội dung trả lời kiến nghị"))
    # Honeypot: hidden from people by CSS; software that fills every field fills this one too.
    website = StringField(_l("Trang web (để trống)"))
    # One per rendered form, so a double-clicked submit is recognised as the same submission.
    submission_key = HiddenField()
    add_recommendation = SubmitField(_l("Thêm kiến nghị"))
    submit = SubmitField(_l("Gửi đăng ký"))

    def setup(self, rules: Rules) -> RegistrationForm:
        zones = [(z.code, z.name) for z in rules.zones] + [(rules.outside_zone.code, rules.outside_zone.name)]
        self.enterprise.form.zone.choices = [("", _l("— Chọn khu —"))] + zones
        for entry in self.recommendations:
            entry.form.field.choices = [("", _l("— Chọn lĩnh vực —"))] + [
                (f.code, f.name) for f in rules.fields
            ]
        if not self.submission_key.data:
            self.submission_key.data = secrets.token_urlsafe(24)
        return self

    def add_block(self, rules: Rules) -> bool:
        if len(self.recommendations.entries) >= MAX_RECOMMENDATIONS:
            return False
        self.recommendations.append_entry()
        self.setup(rules)
        return True

    def payload(self) -> dict:
        """The same nested shape the JSON API receives."""

        def section(form_field, keys):
            return {k: form_field.form[k].data or "" for k in keys}

        return {
            "enterprise": section(self.enterprise, ("tax_code", "name", "zone", "address", "sector")),
            "contact": section(self.contact, ("name", "position", "email", "phone")),
            "attendees": [section(e, ("name", "position")) for e in self.attendees],
            "recommendations": [
                section(e, ("title", "content", "field", "agency")) for e in self.recommendations
            ],
            "declaration": bool(self.declaration.data),
            "public_consent": bool(self.public_consent.data),
        }

    def uploads(self) -> dict[int, list[Upload]]:
        files = {}
        for i, entry in enumerate(self.recommendations):
            chosen = [f for f in (entry.form.attachments.data or []) if getattr(f, "filename", "")]
            if chosen:
                files[i] = [Upload(filename=f.filename, stream=f.stream) for f in chosen]
        return files

    def field_for(self, path: str):
        """The WTForms field for a dotted error path ("recommendations.0.content"), or None."""
        node = self
        for part in path.split("."):
            try:
                if isinstance(node, FieldList):
                    node = node.entries[int(part)]
                elif isinstance(node, FormField):
                    node = node.form[part]
                else:
                    node = node[part]
            except (KeyError, IndexError, ValueError, TypeError):
                return None
        return node
