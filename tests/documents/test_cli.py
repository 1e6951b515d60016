"""`doithoai render` and `doithoai documents --json`: the contract the ops runbook relies on."""

from __future__ import annotations

import hashlib
import json

import docx

from webforms.extensions import db


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_render_prints_the_path_last_and_documents_lists_every_version(
    app, full_conference, settings, tmp_path
):
    db.session.commit()  # the CLI runs in its own app context and session
    out = tmp_path / "thong-bao.docx"
    first = _invoke(app, "render", "announcement", "--conference", "hoi-nghi-2025", "--no-pdf")
    second = _invoke(
        app, "render", "announcement", "--conference", "hoi-nghi-2025", "--no-pdf", "--out", str(out)
    )
    assert first.exit_code == 0, first.output
    assert second.output.strip().splitlines()[-1] == str(out)
    assert "THÔNG BÁO" in [p.text for p in docx.Document(out).paragraphs]
    listed = json.loads(_invoke(app, "documents", "hoi-nghi-2025", "--json").output)
    assert [(d["kind"], d["version"]) for d in listed] == [("announcement", 1), ("announcement", 2)]
    assert set(listed[0]) == {
        "id", "kind", "version", "path", "sha256", "generated_at", "status", "number", "issued_on"
    }
    assert (listed[0]["status"], listed[0]["number"], listed[0]["issued_on"]) == ("draft", None, None)
    assert listed[0]["path"] == first.output.strip().splitlines()[-1]
    assert hashlib.sha256(out.read_bytes()).hexdigest() == listed[1]["sha256"]


def test_render_a_reply_letter_and_an_invitation_by_subject(app, full_conference):
    code = full_conference.recommendations[0].code
    invitee = full_conference.invitees[0].id
    db.session.commit()
    reply = _invoke(
        app, "render", "reply_letter", "--conference", "hoi-nghi-2025", "--recommendation", code, "--no-pdf"
    )
    invitation = _invoke(
        app, "render", "invitation", "--conference", "hoi-nghi-2025", "--invitee", str(invitee), "--no-pdf"
    )
    assert reply.exit_code == 0
    assert invitation.exit_code == 0
    assert f"rec-{code}-v1.docx" in reply.output
    assert f"invitee-{invitee}-v1.docx" in invitation.output


def test_render_refuses_unknown_kinds_conferences_and_subjects(app, full_conference):
    db.session.commit()
    assert "unknown kind" in _invoke(app, "render", "memo", "--conference", "hoi-nghi-2025").output
    assert "no conference" in _invoke(app, "render", "announcement", "--conference", "nope").output
    missing = _invoke(app, "render", "reply_letter", "--conference", "hoi-nghi-2025", "--no-pdf")
    assert missing.exit_code == 1
    assert "recommendation code" in missing.output
