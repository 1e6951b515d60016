"""The public verification page of an issued document (the QR code and short URL printed on it).

`/xac-thuc/<code>` shows the document's number, date, signer and sha256, and whether it is still in force
(replaced or withdrawn says so). Anyone holding a file can check it is that document, by uploading it or
by typing its SHA-256; nothing uploaded is stored.
"""

from __future__ import annotations

import hashlib
import re

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import Length, Optional

from webforms.domain.documents.issuing import find_by_verify_code
from webforms.extensions import db
from webforms.models import Document, DocumentState

bp = Blueprint("verify", __name__, template_folder="templates")

_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
MAX_CHECK_BYTES = 50 * 1024 * 1024


class CheckForm(FlaskForm):
    file = FileField(_l("Tệp cần kiểm tra"))
    sha256 = StringField(_l("Hoặc mã SHA-256 của tệp"), validators=[Optional(), Length(max=64)])


def _issued(code: str) -> Document:
    document = find_by_verify_code(code)
    if document is None or document.state not in (
        DocumentState.ISSUED, DocumentState.REPLACED, DocumentState.WITHDRAWN
    ) or document.number is None:
        abort(404)
    return document


@bp.route("/xac-thuc/<code>", methods=["GET", "POST"])
def document(code: str):
    found = _issued(code)
    form = CheckForm()
    outcome = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        digest = ""
        upload = form.file.data
        if upload is not None and getattr(upload, "filename", ""):
            data = upload.stream.read(MAX_CHECK_BYTES + 1)
            if len(data) > MAX_CHECK_BYTES:
                form.file.errors = [_("Tệp quá lớn để kiểm tra.")]
            else:
                digest = hashlib.sha256(data).hexdigest()
        elif form.sha256.data:
            value = form.sha256.data.strip()
            if _SHA256.match(value):
                digest = value.lower()
            else:
                form.sha256.errors = [_("Mã SHA-256 gồm đúng 64 ký tự 0-9, a-f.")]
        elif not form.errors:
            form.file.errors = [_("Vui lòng chọn tệp hoặc nhập mã SHA-256.")]
        if digest:
            outcome = {"sha256": digest, "matches": digest == found.signed_sha256}
    replacement = db.session.get(Document, found.replaced_by_id) if found.replaced_by_id else None
    from webforms.backoffice.labels import DOCUMENT_KIND, label

    return render_template("verify/document.html", document=found, form=form, outcome=outcome,
                           replacement=replacement, kind_label=label(DOCUMENT_KIND, found.kind))
