"""The public "Đối thoại doanh nghiệp" folder and its feed: only what was published."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for

from webforms.document_files import document_file, signed_file
from webforms.domain import public_folder as pub
from webforms.services import services

bp = Blueprint("folder", __name__, url_prefix="/doi-thoai-doanh-nghiep", template_folder="templates")


def _year_arg() -> int | None:
    raw = request.args.get("nam", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else None


@bp.get("/")
def index():
    year = _year_arg()
    return render_template("folder/index.html", conferences=pub.public_conferences(year), years=pub.public_years(),
                           year=year)


@bp.get("/tim-kiem")
def search():
    text = request.args.get("q", "")[:200]
    year = _year_arg()
    answers = pub.public_answers(text=text, year=year, limit=200) if (text.strip() or year) else []
    return render_template("folder/search.html", answers=answers, q=text, year=year, years=pub.public_years(),
                           fields={f.code: f.name for f in services().rules.fields})


@bp.get("/<slug>")
def conference(slug: str):
    found = pub.public_conference(slug)
    if found is None:
        abort(404)
    from webforms.domain.documents.issuing import issued_reply_letters

    answers = pub.public_answers(found)
    return render_template("folder/conference.html", conference=found, answers=answers,
                           letters=issued_reply_letters([a.code for a in answers]),
                           documents=pub.public_documents(found),
                           fields={f.code: f.name for f in services().rules.fields})


@bp.get("/<slug>/van-ban/<int:document_id>")
def document(slug: str, document_id: int):
    found = pub.public_conference(slug)
    doc = pub.public_document(found, document_id) if found is not None else None
    if doc is None:
        abort(404)
    if doc.signed_path:  # an issued document: its signed PDF, never the draft
        return signed_file(doc)
    return document_file(doc)


@bp.get("/feed.atom")
def feed():
    entries = pub.feed_entries()
    base = services().settings.public_base_url

    def link(entry: pub.FeedEntry) -> str:
        if entry.path_kind == "document":
            return base + url_for("folder.document", slug=entry.slug, document_id=entry.document_id)
        anchor = f"#{entry.anchor}" if entry.anchor else ""
        return base + url_for("folder.conference", slug=entry.slug) + anchor

    body = render_template("folder/feed.xml", entries=entries, link=link, base=base,
                           updated=entries[0].updated if entries else None,
                           agency=services().rules.plan.agency)
    return body, 200, {"Content-Type": "application/atom+xml; charset=utf-8"}
