"""Public intake: the conference page, the registration form, the tracking page.

URL map (the whole public surface of this blueprint):
    /hoi-nghi/<slug>                    conference page: what, when, where, scope, the way in
    /hoi-nghi/<slug>/dang-ky            the registration form with its recommendations (GET, POST)
    /hoi-nghi/<slug>/da-gui             confirmation after a submission (reads the session)
    /hoi-nghi/xac-nhan/<token>          confirm a re-submission from the emailed link (GET, POST)
    /theo-doi/<tracking_code>?token=…   private status page of one registration
"""

from __future__ import annotations

import secrets
import time

from flask import (
    Blueprint,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select

from webforms.answer_pace import AnswerPace
from webforms.domain.audit import Actor
from webforms.domain.conferences import get_conference
from webforms.domain.intake.links import find_registration, read_resubmission_token
from webforms.domain.intake.reading import approved_answer, recommendation_status_label
from webforms.domain.intake.registrations import confirm_contact
from webforms.domain.intake.resubmit import confirm_resubmission
from webforms.domain.intake.screening import screening_reason_label
from webforms.domain.intake.submit import SubmissionKeyReused, submit_registration
from webforms.domain.intake.window import IntakeClosed, intake_window
from webforms.domain.privacy import retention_policy
from webforms.domain.replies import answer_files
from webforms.domain.validation import ValidationFailed
from webforms.extensions import db, limiter
from webforms.intake.forms import RegistrationForm
from webforms.models import Attachment, ConferenceStatus, Document, Registration
from webforms.services import services
from webforms.timeutil import utcnow
from webforms.unit_of_work import undo_on, writes_on_get

bp = Blueprint("intake", __name__, template_folder="templates")

# What the conference page calls each published document kind.
DOCUMENT_LABELS = {
    "announcement": _l("Thông báo tổ chức Hội nghị"),
    "invitation": _l("Giấy mời"),
    "conclusion_notice": _l("Thông báo kết luận Hội nghị"),
    "results_report": _l("Báo cáo kết quả Hội nghị"),
    "appendix_1_table": _l("Phụ lục I"),
}


def _submit_limit() -> str:
    return services().settings.ratelimit_submit


def _conference_or_404(slug: str):
    """A conference the public may see: not a draft (its slug is guessable; F15)."""
    conference = get_conference(slug)
    if conference is None or conference.status == ConferenceStatus.DRAFT:
        abort(404)
    return conference


def _request_actor(email: str = "") -> Actor:
    return Actor(
        kind="enterprise_link",
        name=email or "enterprise",
        ip=request.remote_addr or "",
        user_agent=request.user_agent.string or "",
    )


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def conference_page(slug: str):
    svc = services()
    conference = _conference_or_404(slug)
    window = intake_window(conference, utcnow(), svc.rules, svc.calendar)
    documents = db.session.scalars(
        select(Document)
        .where(Document.conference_id == conference.id, Document.published.is_(True))
        .order_by(Document.generated_at)
    ).all()
    return render_template(
        "intake/conference.html",
        conference=conference,
        window=window,
        documents=documents,
        doc_labels=DOCUMENT_LABELS,
        scope=svc.rules.plan.scope,
    )


def register(slug: str):
    svc = services()
    conference = _conference_or_404(slug)
    now = utcnow()
    window = intake_window(conference, now, svc.rules, svc.calendar)
    if not window.open:
        status = 409 if request.method == "POST" else 200
        return render_template("intake/closed.html", conference=conference, window=window), status
    form = RegistrationForm().setup(svc.rules)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if form.add_recommendation.data:
            if not form.add_block(svc.rules):
                errors["recommendations"] = [
                    _("Mỗi lần gửi tối đa %(n)s kiến nghị.", n=len(form.recommendations))
                ]
        elif form.website.data:
            errors[""] = [_("Không thể gửi biểu mẫu. Vui lòng tải lại trang và thử lại.")]
        elif form.validate():
            started = time.perf_counter()
            with undo_on(ValidationFailed, IntakeClosed, SubmissionKeyReused) as refused:
                result = submit_registration(
                    form.payload(),
                    conference=conference,
                    now=now,
                    rules=svc.rules,
                    calendar=svc.calendar,
                    settings=svc.settings,
                    submission_key=form.submission_key.data,
                    files=form.uploads(),
                    actor=_request_actor(form.contact.form.email.data or ""),
                )
            if isinstance(exc := refused.error, ValidationFailed):
                errors = exc.errors
            elif isinstance(exc, IntakeClosed):
                return render_template("intake/closed.html", conference=conference, window=exc.window), 409
            elif refused:  # SubmissionKeyReused
                errors[""] = [_("Biểu mẫu này đã được gửi. Để gửi nội dung khác, vui lòng tải lại trang "
                                "đăng ký và nhập lại.")]
            else:
                # One page whatever the submission found — a new registration, a re-submission held for the
                # contact on file, one dropped past the day's limit — in the same time, so that a tax code
                # tells nobody whether the enterprise registered (F17). The tracking code and the private
                # link reach the contact's mailbox only (F8, F16). Put back as it was if the commit fails.
                session["receipt"] = {"slug": conference.slug, "accepted": True}
                FORM_PACE.after_commit(created=result.created, started=started)
                return redirect(url_for(".received", slug=conference.slug), code=303)
        else:
            errors[""] = [_("Phiên làm việc đã hết hạn. Vui lòng gửi lại biểu mẫu.")]
    status = 422 if errors and request.method == "POST" else 200
    return render_template(
        "intake/form.html",
        conference=conference,
        window=window,
        form=form,
        errors=errors,
        declaration=svc.rules.plan.scope.declaration,
        scope=svc.rules.plan.scope,
        retention=retention_policy(svc.rules),
    ), status


FORM_PACE = AnswerPace()
RECEIPT_SECONDS = 600  # how long the confirmation page may still be opened after the submission


def _receipt(slug: str, result) -> dict:
    """What the confirmation page shows after a confirmed re-submission (the contact opened the link mailed to
    the address on file, so the page may show the registration), kept in the session until shown once.

    The private tracking token is not put in the session cookie (signed, not encrypted: anyone at the same
    computer could read it; F16) but in Redis under a random reference, and taken out when shown.
    """
    registration = result.registration
    if result.resubmission is not None and result.token is None:
        return {"slug": slug, "pending": True}
    previous = session.get("receipt") or {}
    if result.token is None and previous.get("tracking_code") == registration.tracking_code:
        return previous  # a double-click: keep what the first response gave
    reference = None
    if result.token is not None:
        reference = secrets.token_urlsafe(16)
        services().redis.set(f"doithoai:receipt:{reference}", result.token, ex=RECEIPT_SECONDS)
    return {"slug": slug, "tracking_code": registration.tracking_code, "ref": reference}


def _remember_receipt(slug: str, result) -> None:
    session["receipt"] = _receipt(slug, result)


def _take_token(reference: str | None) -> str | None:
    if not reference:
        return None
    pipe = services().redis.pipeline()
    pipe.get(f"doithoai:receipt:{reference}")
    pipe.delete(f"doithoai:receipt:{reference}")
    token, _ = pipe.execute()
    return token.decode() if isinstance(token, bytes) else token


def received(slug: str):
    """The confirmation page, once: the next person at the same computer finds nothing here."""
    conference = _conference_or_404(slug)
    receipt = session.get("receipt") or {}
    if receipt.get("slug") != slug:
        return redirect(url_for(".conference_page", slug=slug))
    session.pop("receipt", None)
    registration = None
    if receipt.get("tracking_code"):
        registration = db.session.scalar(
            select(Registration).where(Registration.tracking_code == receipt["tracking_code"])
        )
    status_link = None
    token = _take_token(receipt.get("ref"))
    if registration is not None and token:
        status_link = url_for(".status", tracking_code=registration.tracking_code, token=token)
    return _private(
        make_response(
            render_template(
                "intake/received.html",
                conference=conference,
                registration=registration,
                status_link=status_link,
                accepted=bool(receipt.get("accepted")),
                pending=bool(receipt.get("pending")),
            )
        )
    )


class ConfirmForm(FlaskForm):
    pass


def confirm(token: str):
    svc = services()
    resubmission = read_resubmission_token(token, svc.settings)
    if resubmission is None:
        return render_template("intake/link_invalid.html"), 404
    registration = resubmission.registration
    form = ConfirmForm()
    if form.validate_on_submit():
        with undo_on(IntakeClosed) as refused:
            result = confirm_resubmission(
                resubmission,
                now=utcnow(),
                rules=svc.rules,
                calendar=svc.calendar,
                settings=svc.settings,
                actor=_request_actor(registration.contact_email),
            )
        if refused:
            return render_template(
                "intake/closed.html", conference=registration.conference, window=refused.error.window
            ), 409
        _remember_receipt(registration.conference.slug, result)
        if result.duplicate:
            session["receipt"] = {
                "slug": registration.conference.slug,
                "tracking_code": registration.tracking_code,
                "ref": None,
            }
        return redirect(url_for(".received", slug=registration.conference.slug), code=303)
    return _private(
        make_response(
            render_template(
                "intake/confirm.html",
                form=form,
                resubmission=resubmission,
                registration=registration,
                conference=registration.conference,
                payload=resubmission.payload,
            )
        )
    )


def status(tracking_code: str):
    registration = find_registration(tracking_code, request.args.get("token"))
    if registration is None:
        abort(404)
    confirm_contact(registration, now=utcnow(), actor=_request_actor(registration.contact_email))
    fields = {f.code: f.name for f in services().rules.fields}
    items = [
        {
            "rec": rec,
            "label": recommendation_status_label(rec),
            "answer": approved_answer(rec),
            "reason_label": screening_reason_label(rec.scope_reason_code) if rec.scope_reason_code else "",
            "field": fields.get(rec.field_code, rec.field_code),
            "answer_files": answer_files(rec),
        }
        for rec in registration.recommendations
    ]
    return _private(
        make_response(
            render_template(
                "intake/status.html",
                registration=registration,
                conference=registration.conference,
                items=items,
            )
        )
    )


def status_file(tracking_code: str, attachment_id: int):
    """A file of this registration: one the enterprise sent, or one sent with an approved answer."""
    registration = find_registration(tracking_code, request.args.get("token"))
    item = db.session.get(Attachment, attachment_id) if registration is not None else None
    if item is None:
        abort(404)
    own = {rec.id for rec in registration.recommendations}
    with_answers = {f.id for rec in registration.recommendations for f in answer_files(rec)}
    if item.recommendation_id not in own and item.id not in with_answers:
        abort(404)
    return _private(send_from_directory(services().settings.resolved_uploads_dir, item.stored_name,
                                        as_attachment=True, download_name=item.original_name,
                                        mimetype=item.content_type))


bp.add_url_rule("/hoi-nghi/<slug>", "conference_page", conference_page)
bp.add_url_rule(
    "/hoi-nghi/<slug>/dang-ky",
    "register",
    limiter.limit(_submit_limit, methods=["POST"])(register),
    methods=("GET", "POST"),
)
bp.add_url_rule("/hoi-nghi/<slug>/da-gui", "received", received)
bp.add_url_rule("/hoi-nghi/xac-nhan/<token>", "confirm", confirm, methods=("GET", "POST"))
bp.add_url_rule("/theo-doi/<tracking_code>", "status", writes_on_get(status))
bp.add_url_rule("/theo-doi/<tracking_code>/tep/<int:attachment_id>", "status_file", status_file)
