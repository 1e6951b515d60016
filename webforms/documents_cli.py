"""`doithoai render` and `doithoai documents`: render a document now, list a conference's documents.

Output formats are a contract (README): `render` prints the file's path on its last line;
`documents --json` prints [{"kind", "version", "path", "sha256", "generated_at"}].
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from webforms.extensions import db
from webforms.services import services
from webforms.timeutil import utcnow


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _conference(slug: str):
    from webforms.domain.conferences import get_conference

    conference = get_conference(slug)
    if conference is None:
        _fail(f"no conference '{slug}'")
    return conference


@click.command("render")
@with_appcontext
@click.argument("kind")
@click.option("--conference", "slug", required=True, help="The conference's slug.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also copy the .docx here.",
)
@click.option("--recommendation", default=None, help="Recommendation code (reply_letter).")
@click.option("--invitee", type=int, default=None, help="Invitee id (invitation).")
@click.option("--registration", type=int, default=None, help="Registration id (invitation to an enterprise).")
@click.option(
    "--pdf/--no-pdf", default=True, show_default=True, help="Convert to PDF when LibreOffice is installed."
)
def render_cmd(
    kind: str,
    slug: str,
    out: Path | None,
    recommendation: str | None,
    invitee: int | None,
    registration: int | None,
    pdf: bool,
) -> None:
    """Render one document of KIND now, record it as a new version, print its path."""
    from webforms.domain.documents import KINDS, DocumentSubjectError, generate_document

    if kind not in KINDS:
        _fail(f"unknown kind '{kind}'; one of: {', '.join(KINDS)}")
    svc = services()
    conference = _conference(slug)
    subject = {
        key: value
        for key, value in (
            ("recommendation", recommendation),
            ("invitee", invitee),
            ("registration", registration),
        )
        if value is not None
    }
    try:
        document = generate_document(conference, kind, svc.rules, svc.settings, utcnow(), pdf=pdf, **subject)
    except DocumentSubjectError as exc:
        db.session.rollback()
        _fail(str(exc))
    db.session.commit()
    path = svc.settings.resolved_documents_dir / document.path
    if document.pdf_path:
        click.echo(f"pdf: {svc.settings.resolved_documents_dir / document.pdf_path}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        path = out
    click.echo(str(path))


@click.command("documents")
@with_appcontext
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="A JSON list instead of a table.")
def documents_cmd(slug: str, as_json: bool) -> None:
    """Every rendered version of SLUG's documents."""
    from webforms.domain.documents import list_documents

    svc = services()
    rows = [
        {
            "kind": d.kind,
            "version": d.version,
            "path": str(svc.settings.resolved_documents_dir / d.path),
            "sha256": d.sha256,
            "generated_at": d.generated_at.isoformat() if d.generated_at else None,
        }
        for d in list_documents(_conference(slug))
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['kind']:<20} v{row['version']:<3} {row['generated_at']}  {row['path']}")


COMMANDS = (render_cmd, documents_cmd)
