"""Read-only JSON for the city e-portal: the conferences and their published answers.

Registered on the API blueprint; the same publication rule as the public folder
(webforms.domain.public_folder), so a private answer can never appear here either.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from webforms.api.routes import _error, api_time, bp
from webforms.domain import public_folder as pub
from webforms.services import services


def _conference_json(conference) -> dict:
    base = services().settings.public_base_url
    return {
        "slug": conference.slug,
        "title": conference.title,
        "host_agency": conference.host_agency,
        "starts_at": api_time(conference.starts_at),
        "venue": conference.venue,
        "format": conference.format,
        "status": conference.status,
        "announced_at": api_time(conference.announced_at),
        "url": base + url_for("folder.conference", slug=conference.slug),
        "answers_url": base + url_for("api.public_answers", slug=conference.slug),
    }


@bp.get("/conferences")
def public_conferences():
    return {"conferences": [_conference_json(c) for c in pub.public_conferences()]}


@bp.get("/conferences/<slug>/answers")
def public_answers(slug: str):
    conference = pub.public_conference(slug)
    if conference is None:
        return _error(404, "not_found", _("Không tìm thấy hội nghị."))
    base = services().settings.public_base_url
    documents = [{"id": d.id, "kind": d.kind, "version": d.version,
                  "generated_at": api_time(d.generated_at),
                  "url": base + url_for("folder.document", slug=slug, document_id=d.id)}
                 for d in pub.public_documents(conference)]
    return {"conference": _conference_json(conference),
            "answers": [{**a.as_dict(), "answered_at": api_time(a.answered_at)}
                        for a in pub.public_answers(conference)],
            "documents": documents}
