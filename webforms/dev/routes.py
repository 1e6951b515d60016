"""/dev/mailbox: the SMTP sink's messages, links clickable. Registered only while the sink is
the mail server (settings.mail_sink_dir set)."""

from __future__ import annotations

import mailbox
import re
from email import policy
from email.parser import BytesParser

from flask import Blueprint, abort, render_template
from markupsafe import Markup, escape

from webforms.services import services

bp = Blueprint("dev", __name__, url_prefix="/dev", template_folder="templates")
_URL = re.compile(r"https?://[^\s<>\"')]+")


def _linkify(text: str) -> Markup:
    escaped = str(escape(text))
    linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return Markup(linked)  # noqa: S704 - the text was escaped above; only our <a> tags were added


def _messages():
    box = mailbox.Maildir(str(services().settings.mail_sink_dir), create=True)
    parser = BytesParser(policy=policy.default)
    items = []
    for key in box.keys():
        with box.get_file(key) as handle:
            message = parser.parse(handle)
        items.append((key, message))
    items.sort(key=lambda item: item[1].get("Date", ""), reverse=False)
    return items


@bp.get("/mailbox")
def mailbox_index():
    messages = list(reversed(_messages()))
    return render_template("dev/mailbox.html", messages=messages)


@bp.get("/mailbox/<key>")
def mailbox_message(key: str):
    for found_key, message in _messages():
        if found_key == key:
            body = message.get_body(preferencelist=("plain", "html"))
            text = body.get_content() if body is not None else ""
            attachments = [part.get_filename() for part in message.iter_attachments()]
            return render_template("dev/message.html", message=message, body=_linkify(text),
                                   attachments=attachments)
    abort(404)
