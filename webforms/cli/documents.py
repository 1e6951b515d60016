"""`doithoai render` and `doithoai documents`: render a document now, list a conference's documents.

Output formats are a contract (README): `render` prints the file's path on its last line;
`documents --json` prints [{"id", "kind", "version", "path", "sha256", "generated_at", "status", "number",
"issued_on"}]; `document issue` prints the number ("15/BQL-QHXD") on its last line; `register list --json`
prints one object per register line.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from webforms.cli.common import Group, command, fail
from webforms.extensions import db
from webforms.services import services
from webforms.timeutil import utcnow


def _conference(slug: str):
    from webforms.domain.conferences import get_conference

    conference = get_conference(slug)
    if conference is None:
        fail(f"no conference '{slug}'")
    return conference


@command("render")
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
        fail(f"unknown kind '{kind}'; one of: {', '.join(KINDS)}")
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
        fail(str(exc))
    path = svc.settings.resolved_documents_dir / document.path
    if document.pdf_path:
        click.echo(f"pdf: {svc.settings.resolved_documents_dir / document.pdf_path}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        path = out
    click.echo(str(path))


@command("documents")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="A JSON list instead of a table.")
def documents_cmd(slug: str, as_json: bool) -> None:
    """Every rendered version of SLUG's documents."""
    from webforms.domain.documents import list_documents

    svc = services()
    rows = [
        {
            "id": d.id,
            "kind": d.kind,
            "version": d.version,
            "path": str(svc.settings.resolved_documents_dir / d.path),
            "sha256": d.sha256,
            "generated_at": d.generated_at.isoformat() if d.generated_at else None,
            "status": d.state,
            "number": d.number_text or None,
            "issued_on": d.issued_on.isoformat() if d.issued_on else None,
        }
        for d in list_documents(_conference(slug))
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        number = row["number"] or "-"
        click.echo(
            f"{row['id']:<6} {row['kind']:<20} v{row['version']:<3} {row['status']:<10} {number:<16} "
            f"{row['generated_at']}  {row['path']}"
        )


def _document(document_id: int):
    from webforms.models import Document

    document = db.session.get(Document, document_id)
    if document is None:
        fail(f"no document {document_id}")
    return document


def _now(value: str | None):
    if value is None:
        return utcnow()
    import datetime as dt

    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        fail("--now needs an offset, e.g. 2027-01-05T10:00:00+07:00")
    return moment


document_group = Group("document", help="One document's lifecycle: approve, issue, withdraw.")


@document_group.command("approve")
@click.argument("document_id", type=int)
def document_approve_cmd(document_id: int) -> None:
    """Approve DOCUMENT_ID's content (draft -> approved)."""
    from webforms.domain.documents.issuing import approve_document
    from webforms.models import TransitionRefused

    document = _document(document_id)
    try:
        approve_document(document)
    except TransitionRefused as exc:
        fail(str(exc))
    click.echo(document.state)


@document_group.command("issue")
@click.argument("document_id", type=int)
@click.option(
    "--signed-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A PDF signed elsewhere; without it the configured PKCS#11 token signs.",
)
@click.option("--now", "now_text", default=None, help="Issue at this moment (ISO 8601 with offset).")
def document_issue_cmd(document_id: int, signed_file: Path | None, now_text: str | None) -> None:
    """Issue DOCUMENT_ID: a number from the register, signed PDF, recipients; the number on the last line."""
    from webforms.domain.documents.issuing import IssueRefused, issue_document
    from webforms.domain.documents.signing import SigningConfig, SigningError

    svc = services()
    document = _document(document_id)
    now = _now(now_text)
    try:
        config = SigningConfig.from_env()
        result = issue_document(
            document, svc.rules, svc.settings, now,
            signed_pdf=signed_file.read_bytes() if signed_file is not None else None, config=config,
        )
    except (IssueRefused, SigningError) as exc:
        fail(str(exc))
    click.echo(f"pdf: {svc.settings.resolved_documents_dir / result.document.signed_path}")
    click.echo(f"sha256: {result.document.signed_sha256}")
    click.echo(result.number_text)


@document_group.command("withdraw")
@click.argument("document_id", type=int)
@click.option("--reason", required=True, help="Why it is withdrawn (kept in the register).")
def document_withdraw_cmd(document_id: int, reason: str) -> None:
    """Withdraw DOCUMENT_ID with a reason."""
    from webforms.domain.documents.issuing import IssueRefused, withdraw_document
    from webforms.models import TransitionRefused

    document = _document(document_id)
    try:
        withdraw_document(document, reason)
    except (IssueRefused, TransitionRefused) as exc:
        fail(str(exc))
    click.echo(document.state)


register_group = Group("register", help="The outgoing register (sổ đăng ký văn bản đi).")


@register_group.command("list")
@click.option("--year", type=int, required=True)
@click.option("--json", "as_json", is_flag=True, help="A JSON list instead of a table.")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the register as an .xlsx workbook here.")
def register_list_cmd(year: int, as_json: bool, xlsx: Path | None) -> None:
    """Every number given in YEAR: number, symbol, kind, date, signer, sha256, recipients."""
    from webforms.domain.documents import register

    rows = [register.entry_row(entry) for entry in register.entries(year)]
    if xlsx is not None:
        from webforms.backoffice.labels import DOCUMENT_KIND

        labels = {kind: str(text) for kind, text in DOCUMENT_KIND.items()}
        xlsx.write_bytes(register.register_xlsx(rows, title=f"Sổ đăng ký văn bản đi năm {year}", kind_labels=labels))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        state = "" if row["state"] == "issued" else f"  [{row['state']}: {row['reason']}]"
        click.echo(
            f"{row['number_text']:<18} {row['date']}  {row['kind']:<20} {row['signer']:<24} {row['sha256']}{state}"
        )

