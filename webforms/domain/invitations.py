"""Who receives an invitation: the conference's invitees and the contact of each registered enterprise."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from webforms.extensions import db
from webforms.models import Conference, Enterprise, Invitee, InviteeCategory, Registration


@dataclass(frozen=True)
class Addressee:
    subject: dict  # what the invitation document is about: {"invitee": id} or {"registration": id}
    subject_key: str  # Document.subject_key, also the mail's dedupe suffix
    email: str
    name: str
    organisation: str
    category: str = InviteeCategory.ENTERPRISE
    position: str = ""
    # False for an enterprise's contact whose address is not confirmed (issue 16, F8): the email greets
    # the contact of the tax code, not the names the submitter typed. Invitees are typed by staff.
    confirmed: bool = True
    tax_code: str = ""

    @property
    def official(self) -> bool:
        return is_official(self.category)

    @property
    def salutation(self) -> str:
        return salutation(self.category, self.name, self.position, self.organisation)


def is_official(category: str) -> bool:
    """A leader of the city: addressed as "đồng chí", invited "dự và chỉ đạo"."""
    return category == InviteeCategory.CITY_LEADER


def salutation(category: str, name: str, position: str, organisation: str) -> str:
    """How the letter and the email name the addressee, in the register of Vietnamese administration:
    "Đồng chí Lê Văn Thành – Phó Chủ tịch Ủy ban nhân dân thành phố" for a leader of the city, "Ông (Bà)
    Nguyễn Văn Hùng – Giám đốc Công ty TNHH …" for a person (an enterprise's contact, or an invitee with a
    position), the body itself ("Phóng viên – Trung tâm Báo chí và Truyền thông thành phố") for an agency,
    the press or the portal invited as such. The system does not ask for gender, so "Ông (Bà)"."""
    office = " ".join(part for part in (position, organisation) if part)
    if is_official(category):
        return f"Đồng chí {name}" + (f" – {office}" if office else "")
    if category == InviteeCategory.ENTERPRISE or position:
        return f"Ông (Bà) {name}" + (f" – {office}" if office else "")
    return f"{name} – {organisation}" if organisation and organisation not in name else name


def invitation_addressees(conference: Conference) -> list[Addressee]:
    result = []
    for invitee in db.session.scalars(select(Invitee).where(Invitee.conference_id == conference.id)
                                      .order_by(Invitee.id)):
        result.append(Addressee({"invitee": invitee.id}, f"invitee:{invitee.id}", invitee.email.strip(),
                                invitee.name, invitee.organisation, invitee.category, invitee.position))
    # One query for every enterprise's contact and name (the dashboard lists them for large conferences).
    for reg_id, email, contact, enterprise, position, confirmed_at, tax_code in db.session.execute(
            select(Registration.id, Registration.contact_email, Registration.contact_name, Enterprise.name,
                   Registration.contact_position, Registration.contact_confirmed_at, Enterprise.tax_code)
            .join(Enterprise, Registration.enterprise_id == Enterprise.id)
            .where(Registration.conference_id == conference.id).order_by(Registration.id)):
        result.append(Addressee({"registration": reg_id}, f"registration:{reg_id}", email.strip(), contact,
                                enterprise, InviteeCategory.ENTERPRISE, position or "",
                                confirmed=confirmed_at is not None, tax_code=tax_code))
    return result
