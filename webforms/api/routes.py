"""JSON API under /api/v1 — the same domain calls and validation as the public form.

    GET  /api/v1/conferences/<slug>                   the conference, its intake window and counts
    POST /api/v1/conferences/<slug>/registrations     register with recommendations (202 / 409 / 422)
    GET  /api/v1/registrations/<code>?token=…         one registration's recommendations and answers
    GET  /api/v1/openapi.json                         the OpenAPI 3.1 description of all of them (api/openapi.py)

Every date-time is ISO 8601 with seconds in the plan's time zone (`api_time`: "2026-12-30T08:30:00+07:00").

Errors are JSON, never HTML (the app's error handlers answer JSON under /api/). No cookies are used,
so CSRF does not apply; a JSON content type is required, which a cross-site HTML form cannot send.
"""

from __future__ import annotations

import datetime as dt
import time

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _

from webforms.answer_pace import AnswerPace
from webforms.api.openapi import openapi_document
from webforms.domain.audit import Actor
from webforms.domain.conferences import conference_milestones, get_conference
from webforms.domain.intake.links import find_registration
from webforms.domain.intake.quorum import quorum
from webforms.domain.intake.reading import approved_answer, recommendation_status_label
from webforms.domain.intake.registrations import confirm_contact
from webforms.domain.intake.submit import SubmissionKeyReused, submit_registration
from webforms.domain.intake.window import IntakeClosed, intake_window
from webforms.domain.validation import ValidationFailed
from webforms.extensions import csrf, limiter
from webforms.models import ConferenceStatus
from webforms.services import services
from webforms.timeutil import utcnow
from webforms.unit_of_work import undo_on, writes_on_get

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
# A registration at its largest (20 recommendations of 5,000 characters, JSON-escaped) is under 1 MB;
# the app-wide limit is sized for the form's file uploads, not for JSON.
MAX_JSON_BYTES = 1024 * 1024


@bp.before_request
def _small_bodies_only():
    """Refuse a large body before anything reads it (a chunked one stops at the limit while read)."""
    request.max_content_length = MAX_JSON_BYTES
    if (request.content_length or 0) > MAX_JSON_BYTES:
        abort(413, description=_("Nội dung gửi lên quá lớn (tối đa %(kb)s KB).", kb=MAX_JSON_BYTES // 1024))


def _error(status: int, code: str, message: str):
    return jsonify({"error": code, "message": message}), status


def api_time(value: dt.datetime | None) -> str | None:
    """The one date-time format of the API: ISO 8601, seconds, the plan's time zone (+07:00)."""
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite gives naive UTC back
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(services().rules.plan.timezone).isoformat(timespec="seconds")


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(request.script_root + bp.url_prefix))


def _public_conference(slug: str):
    conference = get_conference(slug)
    if conference is None or conference.status == ConferenceStatus.DRAFT:
        return None
    return conference


@bp.get("/conferences/<slug>")
def conference_detail(slug: str):
    svc = services()
    conference = _public_conference(slug)
    if conference is None:
        return _error(404, "not_found", _("Không tìm thấy hội nghị."))
    window = intake_window(conference, utcnow(), svc.rules, svc.calendar)
    counts = quorum(conference, svc.rules, svc.calendar)
    return jsonify(
        {
            "slug": conference.slug,
            "title": conference.title,
            "starts_at": api_time(conference.starts_at),
            "venue": conference.venue,
            "status": conference.status,
            "intake": {
                "opens_at": api_time(window.opens_at),
                "closes_at": api_time(window.closes_at),
                "open": window.open,
            },
            "milestones": [{**m.as_dict(), "due": api_time(m.due)}
                           for m in conference_milestones(conference, svc.rules, svc.calendar)],
            "counts": {"enterprises": counts.enterprises, "recommendations": counts.recommendations},
            "zones": [{"code": z.code, "name": z.name} for z in svc.rules.zones],
            "fields": [{"code": f.code, "name": f.name} for f in svc.rules.fields],
        }
    )


def _submit_limit() -> str:
    return services().settings.ratelimit_submit


@bp.post("/conferences/<slug>/registrations")
@limiter.limit(_submit_limit)
def create_registration(slug: str):
    svc = services()
    conference = _public_conference(slug)
    if conference is None:
        return _error(404, "not_found", _("Không tìm thấy hội nghị."))
    if not request.is_json:
        return _error(
            415,
            "unsupported_media_type",
            _("Nội dung gửi lên phải là JSON (Content-Type: application/json)."),
        )
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # "[[[[…" nested deeper than the JSON decoder's recursion limit
        data = None
    if data is None:
        return _error(400, "invalid_json", _("Nội dung gửi lên không phải JSON hợp lệ."))
    key = request.headers.get("Idempotency-Key", "").strip()
    started = time.perf_counter()
    actor = Actor(
        kind="enterprise_link",
        name="api",
        ip=request.remote_addr or "",
        user_agent=request.user_agent.string or "",
    )
    with undo_on(ValidationFailed, IntakeClosed, SubmissionKeyReused) as refused:
        result = submit_registration(
            data,
            conference=conference,
            now=utcnow(),
            rules=svc.rules,
            calendar=svc.calendar,
            settings=svc.settings,
            submission_key=("api:" + key)[:64] if key else None,
            actor=actor,
        )
    if isinstance(exc := refused.error, ValidationFailed):
        return jsonify({"errors": exc.errors}), 422
    if isinstance(exc, IntakeClosed):
        return _error(409, "intake_closed", exc.message)
    if refused:  # SubmissionKeyReused
        return _error(409, "idempotency_key_reused",
                      _("Idempotency-Key này đã được dùng cho một nội dung khác; vui lòng dùng khóa mới."))
    # The unit of work (webforms/unit_of_work.py) commits after the view returns.
    # One answer whatever happened — a new registration, a re-submission held for the contact on file, one
    # dropped past the day's limit, a replayed Idempotency-Key — so that a tax code tells nobody whether the
    # enterprise registered (F17). The tracking code and the private link go to the contact's mailbox in
    # the receipt, which is also how the address shows it is the enterprise's (F8).
    body, status = {
        "status": "accepted",
        "message": _(
            "Nội dung đã được tiếp nhận. Thư điện tử gửi đến địa chỉ của người liên hệ cho biết mã theo dõi "
            "và đường dẫn riêng; nếu doanh nghiệp đã đăng ký trước đó, thư gửi đến địa chỉ đã đăng ký để "
            "xác nhận nội dung mới."
        ),
    }, 202
    ANSWER_PACE.after_commit(created=result.created, started=started)
    return jsonify(body), status


ANSWER_PACE = AnswerPace()


@bp.get("/registrations/<tracking_code>")
@writes_on_get
def registration_detail(tracking_code: str):
    registration = find_registration(tracking_code, request.args.get("token"))
    if registration is None:
        return _error(404, "not_found", _("Không tìm thấy đăng ký với mã theo dõi và mã truy cập này."))
    confirm_contact(registration, now=utcnow(), actor=Actor(kind="enterprise_link", name=registration.contact_email,
                                                            ip=request.remote_addr or ""))
    response = jsonify(
        {
            "tracking_code": registration.tracking_code,
            "conference": registration.conference.slug,
            "enterprise": {
                "tax_code": registration.enterprise.tax_code,
                "name": registration.enterprise.name,
            },
            "registered_at": api_time(registration.registered_at),
            "recommendations": [
                {
                    "code": r.code,
                    "title": r.title,
                    "content": r.content,
                    "field": r.field_code,
                    "status": r.status,
                    "status_label": recommendation_status_label(r),
                    "answer": approved_answer(r),
                }
                for r in registration.recommendations
            ],
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


from webforms.api import public_routes  # noqa: E402,F401 - GET /conferences and /conferences/<slug>/answers
