"""One context builder per document kind: the only place document data is read from the database.

Every builder returns plain, JSON-safe data (strings, numbers, lists, dicts; a QR code is a `QRCode`
string) so the same dict is both what the template receives and the snapshot stored with the
Document row. The keys each builder returns are exactly the variables its template reads
(checked by tests/documents/test_templates.py against doc_templates/README.md).

Shared parts are in `shared`; the letters and notices in `letters`; the reports with figures in
`reports`.
"""

from __future__ import annotations

import datetime as dt

from config.rules import Rules
from webforms.domain.documents.context.letters import (
    announcement_context,
    budget_estimate_context,
    conclusion_notice_context,
    conference_notice_context,
    consolidated_table_context,
    invitation_context,
    reply_letter_context,
)
from webforms.domain.documents.context.reports import postponement_report_context, results_report_context
from webforms.domain.plan import conference_rules
from webforms.models import Conference

BUILDERS = {
    "announcement": announcement_context,
    "invitation": invitation_context,
    "consolidated_table": consolidated_table_context,
    "conclusion_notice": conclusion_notice_context,
    "results_report": results_report_context,
    "postponement_report": postponement_report_context,
    "conference_notice": conference_notice_context,
    "reply_letter": reply_letter_context,
    "budget_estimate": budget_estimate_context,
}


def build_context(kind: str, conference: Conference, rules: Rules, now: dt.datetime, **subject) -> dict:
    """The data for one document of `kind`. `subject` names what it is about (invitee=…,
    registration=…, recommendation=CODE), plus base_url for links and number for the register."""
    try:
        builder = BUILDERS[kind]
    except KeyError:
        raise KeyError(f"unknown document kind '{kind}'") from None
    if kind not in ("announcement", "invitation"):
        subject.pop("base_url", None)
    return builder(conference, conference_rules(conference, rules), now, **subject)
