"""The deadline engine's entry point: tick(now) acts on whatever is due, each thing once.

For every active conference it walks the plan's milestones (`plan.milestones_for`, the only source of
deadlines) and turns each due one into *stages*: a reminder `reminder_lead` working days before a
day, an alert on the day, the action once the deadline has passed. A stage acts at most once: the
unique MilestoneRun row (conference, "milestone[:stage]") is inserted first, in the same transaction
as the stage's outbox rows and status changes, with INSERT … ON CONFLICT DO NOTHING. A second tick
process inserting the same row waits for the first one's transaction and then finds the row there, so
two cron processes on the same `now` still act once.

Deadlines are inclusive: a milestone due at 23:59:59 acts from the next second on. Reminder stages
act from the start (00:00 local) of their day, and a reminder is dropped once a later stage of the
same milestone is due, so a tick that runs late sends the current reminder rather than all of them.

Document renders and anything needing a rendered file are outbox tasks done by workers
(workers/document_jobs.py); tick itself only writes rows, so it stays fast and safe to repeat.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from config.rules import Rules, RulesError
from webforms.domain import outbox
from webforms.domain.audit import SYSTEM, record
from webforms.domain.deadlines import ASSIGNMENT_DEADLINES, recompute_open_deadlines
from webforms.domain.documents.generate import discard_stale_staged_files
from webforms.domain.intake.quorum import quorum as intake_quorum
from webforms.domain.intake.receipts import release_held_receipts
from webforms.domain.intake.resubmit import discard_unconfirmed_files
from webforms.domain.lifecycle import move_conference
from webforms.domain.mail import address_domain
from webforms.domain.plan import MilestoneDue, conference_rules, milestones_for
from webforms.domain.privacy import apply_retention
from webforms.domain.recipients import recipients_for
from webforms.domain.reminders import run_reminders
from webforms.domain.sql import dialect_insert
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.formatting import local_date
from webforms.models import (
    ACTIVE_STATUSES,
    Conference,
    ConferenceStatus,
    Document,
    DocumentState,
    MilestoneRun,
)
from webforms.unit_of_work import remove_after_commit

log = logging.getLogger("doithoai.tick")

# Statuses in which a conference is going ahead (the later milestones act only then).
GOING_AHEAD = (ConferenceStatus.CONFIRMED, ConferenceStatus.HELD, ConferenceStatus.CONCLUDED)
INTAKE_OPEN = (ConferenceStatus.ANNOUNCED, ConferenceStatus.INTAKE_CLOSED)


# -- stages -------------------------------------------------------------------------------------

@dataclass
class Context:
    now: dt.datetime
    rules: Rules
    calendar: WorkingCalendar
    settings: object
    conference: Conference
    milestone: MilestoneDue
    stage: str
    key: str  # the stage's MilestoneRun key, also what makes its emails unique

    @property
    def unique(self) -> str:
        """What makes this stage's emails and tasks unique: its key, in this cycle (date) of the
        conference. Cycle 1 keeps the keys it had before cycles existed."""
        cycle = self.conference.cycle or 1
        return self.key if cycle == 1 else f"{self.key}@{cycle}"

    @property
    def message_domain(self) -> str:
        return address_domain(self.settings.mail_default_sender)

    def action(self, action: str, **details) -> dict:
        return {"conference": self.conference.slug, "milestone": self.milestone.name, "action": action,
                **({"stage": self.stage} if self.stage else {}), "cycle": self.conference.cycle, **details}


@dataclass(frozen=True)
class Stage:
    key: str  # MilestoneRun.milestone
    milestone: MilestoneDue
    stage: str
    starts: dt.datetime
    act: Callable[[Context], dict | None]  # None: nothing to do (no run row is kept)
    ends: dt.datetime | None = None  # superseded by a later stage from then on
    needed: Callable[[Conference], bool] = field(default=lambda conference: True)

    def due(self, now: dt.datetime) -> bool:
        return now >= self.starts and (self.ends is None or now < self.ends)


def _start_of(day: dt.date, rules: Rules) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=rules.plan.timezone)


def _passed(due: dt.datetime) -> dt.datetime:
    """The first instant after an inclusive deadline."""
    return due + dt.timedelta(seconds=1)


def _reminder_stages(milestone: MilestoneDue, rules: Rules, calendar: WorkingCalendar, now: dt.datetime,
                     act, needed, *, overdue_daily: bool, overdue_until: dt.datetime | None = None) -> list[Stage]:
    """`lead` working days before the day, on the day, and (optionally) each working day after it
    (until `overdue_until` when given)."""
    due_day = milestone.due.astimezone(rules.plan.timezone).date()
    lead_day = calendar.add_working_days(due_day, -rules.plan.reminder_lead)
    day_start = _start_of(due_day, rules)
    stages = [
        Stage(f"{milestone.name}:lead", milestone, "lead", _start_of(lead_day, rules), act, day_start,
              needed),
        Stage(f"{milestone.name}:due", milestone, "due", day_start, act, _passed(milestone.due), needed),
    ]
    if overdue_daily and now > milestone.due and (overdue_until is None or now < overdue_until):
        today = now.astimezone(rules.plan.timezone).date()
        if calendar.is_working_day(today):
            stages.append(Stage(f"{milestone.name}:overdue:{today.isoformat()}", milestone, "overdue",
                                max(_start_of(today, rules), _passed(milestone.due)), act,
                                _start_of(today + dt.timedelta(days=1), rules), needed))
    return stages


# -- one handler per milestone of config/plan.yaml ----------------------------------------------
# A handler turns a milestone of one conference into its stages. Every milestone the plan names
# must have one (check_milestone_handlers, at startup): a milestone the engine would silently skip
# is a configuration error.

StageBuilder = Callable[[Conference, MilestoneDue, Rules, WorkingCalendar, dt.datetime], list[Stage]]


def _announce_by(conference, milestone, rules, calendar, now) -> list[Stage]:
    # Overdue: every working day until the conference date, to the Office and the leaders.
    return _reminder_stages(milestone, rules, calendar, now, _alert_announce, _not_announced,
                            overdue_daily=True, overdue_until=conference.starts_at)


def _intake_closes(conference, milestone, rules, calendar, now) -> list[Stage]:
    return [Stage(milestone.name, milestone, "", _passed(milestone.due), _close_intake,
                  needed=lambda c: c.status in INTAKE_OPEN or c.status == ConferenceStatus.DRAFT)]


def _answers_prepared_by(conference, milestone, rules, calendar, now) -> list[Stage]:
    return [Stage(milestone.name, milestone, "", _passed(milestone.due), _answers_table, needed=_going_ahead)]


def _results_report_stage(conference, milestone, rules, calendar, now) -> list[Stage]:
    # The draft is generated `reminder_lead` working days ahead, so the department can have it signed and
    # issued by the deadline; the milestone is done only when the report is issued: until then, a reminder
    # on the day and each working day after it (the lead reminder is the draft itself).
    due_day = milestone.due.astimezone(rules.plan.timezone).date()
    starts = _start_of(calendar.add_working_days(due_day, -rules.plan.reminder_lead), rules)
    reminders = _reminder_stages(milestone, rules, calendar, now, _remind_results_report, _results_report_not_issued,
                                 overdue_daily=True)
    return [Stage(milestone.name, milestone, "", starts, _results_report, needed=_results_report_not_issued),
            *(stage for stage in reminders if stage.stage != "lead")]


def _conclusion_notice(conference, milestone, rules, calendar, now) -> list[Stage]:
    return _reminder_stages(milestone, rules, calendar, now, _remind_conclusion, _conclusion_not_issued,
                            overdue_daily=True)


def _no_stage(conference, milestone, rules, calendar, now) -> list[Stage]:
    """The conference day itself (recorded by staff), and the assignment deadlines, which the
    reminder sweep acts on per assignment (run_reminders, Assignment.due_at)."""
    return []


MILESTONE_HANDLERS: dict[str, StageBuilder] = {
    "announce_by": _announce_by,
    "intake_closes": _intake_closes,
    "answers_prepared_by": _answers_prepared_by,
    "conference": _no_stage,
    "conclusion_notice": _conclusion_notice,
    "results_report": _results_report_stage,
    **{name: _no_stage for name in ASSIGNMENT_DEADLINES},
}


# The milestones this engine acts on, also checked against plan.yaml by `rules check` (config/check.py).
HANDLED_MILESTONES = tuple(MILESTONE_HANDLERS)


def handled_milestones() -> tuple[str, ...]:
    return HANDLED_MILESTONES


def check_milestone_handlers(plan) -> None:
    """Refuse a plan with a milestone the deadline engine has no handler for."""
    missing = [m.name for m in plan.milestones if m.name not in MILESTONE_HANDLERS]
    if missing:
        raise RulesError(
            f"config/plan.yaml: milestone(s) {', '.join(missing)} have no handler in the deadline engine "
            f"(webforms/domain/tick.py MILESTONE_HANDLERS knows {', '.join(MILESTONE_HANDLERS)})")


def stages_for(conference: Conference, rules: Rules, calendar: WorkingCalendar,
               now: dt.datetime) -> list[Stage]:
    stages: list[Stage] = []
    rules = conference_rules(conference, rules)  # the plan it was announced under
    for milestone in milestones_for(conference.starts_at, rules.plan, calendar):
        stages += MILESTONE_HANDLERS[milestone.name](conference, milestone, rules, calendar, now)
    return stages


# -- what each stage does -----------------------------------------------------------------------

def _not_announced(conference: Conference) -> bool:
    return conference.status == ConferenceStatus.DRAFT


def _going_ahead(conference: Conference) -> bool:
    return conference.status in GOING_AHEAD


def issued(conference: Conference, kind: str) -> bool:
    """Whether a document of `kind` of the conference is issued (numbered, signed, sent): what makes the
    results-report and conclusion-notice milestones done (a draft or an approval does not)."""
    return db.session.scalar(select(Document.id).where(
        Document.conference_id == conference.id, Document.kind == kind,
        Document.state == DocumentState.ISSUED).limit(1)) is not None


def _conclusion_not_issued(conference: Conference) -> bool:
    if conference.status not in GOING_AHEAD or conference.status == ConferenceStatus.CONCLUDED:
        return False
    return not issued(conference, "conclusion_notice")


def _results_report_not_issued(conference: Conference) -> bool:
    return _going_ahead(conference) and not issued(conference, "results_report")


def _mail_context(ctx: Context, **extra) -> dict:
    return {"conference": ctx.conference, "milestone": ctx.milestone, "stage": ctx.stage,
            "base_url": ctx.settings.public_base_url, "now": ctx.now, **extra}


def _queue_mail(ctx: Context, template: str, to, *, cc=(), **extra):
    return outbox.queue_template(template, _mail_context(ctx, **extra), to=list(to), cc=list(cc),
                                 dedupe_key=f"tick:{ctx.conference.id}:{ctx.unique}", rules=ctx.rules,
                                 message_domain=ctx.message_domain)


def _alert_announce(ctx: Context) -> dict:
    recipients = recipients_for(ctx.rules)
    if ctx.stage == "overdue":  # past the plan's notice: the leaders are told too
        _queue_mail(ctx, "announce_by_reminder_to_office", recipients.office, cc=recipients.leaders)
        return ctx.action("alert_office_and_leaders", to=list(recipients.office), cc=list(recipients.leaders))
    _queue_mail(ctx, "announce_by_reminder_to_office", recipients.office)
    return ctx.action("alert_office", to=list(recipients.office))


def _remind_conclusion(ctx: Context) -> dict:
    to = recipients_for(ctx.rules).office
    _queue_mail(ctx, "conclusion_notice_reminder_to_office", to)
    return ctx.action("remind_office", to=list(to))


def _remind_results_report(ctx: Context) -> dict:
    recipients = recipients_for(ctx.rules)
    _queue_mail(ctx, "results_report_reminder_to_consolidation", recipients.consolidation, cc=recipients.office)
    return ctx.action("remind_consolidation", to=list(recipients.consolidation), cc=list(recipients.office))


def render_task(ctx: Context, kind: str, *, template: str, to, cc=(), extra: dict | None = None,
                subject: dict | None = None):
    """An outbox task: render `kind` as of this tick, then email it (see workers/document_jobs.py)."""
    key = f"{ctx.conference.id}:{ctx.unique}:{kind}"
    return outbox.queue_task(
        "render_document",
        {
            "conference_id": ctx.conference.id,
            "kind": kind,
            "subject": subject or {},
            "as_of": ctx.now.isoformat(),
            "mail": {"template": template, "to": list(to), "cc": list(cc), "dedupe_key": f"doc-mail:{key}",
                     "context": {"due_text": local_date(ctx.milestone.due), **(extra or {})}},
        },
        queue="docs",
        dedupe_key=f"render:{key}",
    )


def _close_intake(ctx: Context) -> dict:
    conference = ctx.conference
    recipients = recipients_for(ctx.rules)
    if conference.status == ConferenceStatus.DRAFT:
        # Never announced: nobody could register, so there is no quorum to check and no report that
        # says it was announced. The Office and the leaders decide (postpone to a new date, or cancel);
        # the conference stays a draft.
        record(SYSTEM, "conference.intake_closed_unannounced", "conference", conference.slug, now=ctx.now)
        _queue_mail(ctx, "intake_closed_unannounced_to_office", recipients.office, cc=recipients.leaders)
        return ctx.action("not_announced", to=list(recipients.office), cc=list(recipients.leaders))
    quorum = intake_quorum(conference, ctx.rules, ctx.calendar)
    record(SYSTEM, "conference.intake_closed", "conference", conference.slug, now=ctx.now, **quorum.as_dict())
    if quorum.met:
        move_conference(conference, ConferenceStatus.CONFIRMED, reason="")
        record(SYSTEM, "conference.confirmed", "conference", conference.slug, now=ctx.now, cycle=conference.cycle)
        after = db.session.scalar(select(func.max(Document.id))) or 0  # earlier dates' invitations stay theirs
        cycle_tag = "" if conference.cycle == 1 else f"@{conference.cycle}"
        outbox.queue_task("send_invitations", {"conference_id": conference.id, "as_of": ctx.now.isoformat(),
                                               "cycle": conference.cycle, "after_document_id": after},
                          queue="docs", dedupe_key=f"invitations:{conference.id}{cycle_tag}")
        render_task(ctx, "consolidated_table", template="consolidated_table_to_leaders",
                    to=recipients.leaders, cc=recipients.office, extra={"quorum": quorum.as_dict()})
        return ctx.action("confirmed", quorum=quorum.as_dict(),
                          queued=["send_invitations", "consolidated_table"])
    move_conference(conference, ConferenceStatus.POSTPONEMENT_PROPOSED, reason=(
        f"Chưa đủ điều kiện tổ chức: {quorum.enterprises}/{quorum.min_enterprises} doanh nghiệp đăng ký, "
        f"{quorum.recommendations}/{quorum.min_recommendations} kiến nghị trong phạm vi."
    ))
    record(SYSTEM, "conference.postponement_proposed", "conference", conference.slug, now=ctx.now,
           **quorum.as_dict())
    render_task(ctx, "postponement_report", template="postponement_report_to_staff",
                to=[*recipients.office, *recipients.consolidation], extra={"quorum": quorum.as_dict()})
    return ctx.action("postponement_proposed", quorum=quorum.as_dict(), queued=["postponement_report"])


def _answers_table(ctx: Context) -> dict:
    recipients = recipients_for(ctx.rules)
    render_task(ctx, "consolidated_table", template="answers_prepared_to_leaders", to=recipients.leaders,
                cc=recipients.office)
    return ctx.action("consolidated_table_to_leaders", to=list(recipients.leaders))


def _results_report(ctx: Context) -> dict:
    recipients = recipients_for(ctx.rules)
    render_task(ctx, "results_report", template="results_report_to_consolidation",
                to=recipients.consolidation,
                cc=recipients.office)
    return ctx.action("results_report_requested", to=list(recipients.consolidation))


# -- the run itself -----------------------------------------------------------------------------

def _insert_run(conference_id: int, cycle: int, key: str, now: dt.datetime) -> bool:
    """Claim the stage: True when this transaction inserted its MilestoneRun row. Must be the first
    statement of its transaction, so that on SQLite it waits for a concurrent claim and then reads
    fresh data, and on PostgreSQL it blocks on the unique index until the other transaction ends."""
    values = {"conference_id": conference_id, "cycle": cycle, "milestone": key, "action": "claimed",
              "details": {}, "as_of": now}
    statement = dialect_insert(db.session)(MilestoneRun).values(**values).on_conflict_do_nothing(
        index_elements=["conference_id", "cycle", "milestone"]).returning(MilestoneRun.id)
    # RETURNING, not rowcount: through the ORM session the rowcount of this INSERT is -1 on PostgreSQL
    # (psycopg 3), which made every stage look claimed by someone else there.
    return db.session.execute(statement).scalar() is not None


def _done_keys(conference_id: int, cycle: int) -> set[str]:
    return set(db.session.scalars(select(MilestoneRun.milestone)
                                  .where(MilestoneRun.conference_id == conference_id, MilestoneRun.cycle == cycle)))


def _run_stage(conference_id: int, cycle: int, stage: Stage, now: dt.datetime, rules: Rules,
               calendar: WorkingCalendar, settings) -> dict | None:
    db.session.commit()  # end any read transaction: the claim must start a fresh one
    if not _insert_run(conference_id, cycle, stage.key, now):
        db.session.rollback()
        return None
    conference = db.session.get(Conference, conference_id, populate_existing=True)
    if conference is None or conference.cycle != cycle or not stage.needed(conference):
        db.session.rollback()  # nothing to do after all: keep no proof, a later tick looks again
        return None
    ctx = Context(now, rules, calendar, settings, conference, stage.milestone, stage.stage, stage.key)
    try:
        action = stage.act(ctx)
        run = db.session.scalar(select(MilestoneRun).where(MilestoneRun.conference_id == conference_id,
                                                           MilestoneRun.cycle == cycle,
                                                           MilestoneRun.milestone == stage.key))
        run.action = action["action"]
        run.details = {k: v for k, v in action.items() if k not in ("conference", "milestone", "action")}
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return action


def tick(now: dt.datetime, rules: Rules, calendar: WorkingCalendar, settings, redis=None) -> list[dict]:
    """Act on everything due at `now`; return one dict per action taken (nothing twice).

    :param settings: the app's Settings (addresses, links).
    :param redis: where the outbox sweep enqueues; no sweep when None.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    actions: list[dict] = []
    conferences = db.session.execute(
        select(Conference.id, Conference.slug)
        .where(Conference.status.in_(ACTIVE_STATUSES))
        .order_by(Conference.id)
    ).all()
    for conference_id, _slug in conferences:
        conference = db.session.get(Conference, conference_id, populate_existing=True)
        if conference is None or conference.status not in ACTIVE_STATUSES:
            continue
        # Deadlines follow the calendar: a holiday decision added to holidays.yaml moves them here.
        for told in recompute_open_deadlines(db.session, conference, rules, calendar, now,
                                             "holidays",
                                             message_domain=address_domain(settings.mail_default_sender)):
            actions.append({"conference": conference.slug, "milestone": None, "action": "deadlines_moved",
                            **told})
        db.session.commit()
        conference = db.session.get(Conference, conference_id, populate_existing=True)
        cycle = conference.cycle
        done = _done_keys(conference_id, cycle)
        due = [s for s in stages_for(conference, rules, calendar, now)
               if s.key not in done and s.due(now) and s.needed(conference)]
        for stage in due:
            action = _run_stage(conference_id, cycle, stage, now, rules, calendar, settings)
            if action is not None:
                actions.append(action)
    db.session.commit()
    for action in run_reminders(now, rules, calendar, settings):
        actions.append(action)
    db.session.commit()
    discarded = discard_unconfirmed_files(now)
    remove_after_commit(*(settings.resolved_uploads_dir / name for name in discarded))  # with their rows
    released = release_held_receipts(now, rules, calendar, settings)  # the per-address limit has room again
    db.session.commit()
    if released:
        actions.append({"conference": None, "milestone": None, "action": "held_receipts_sent", "receipts": released})
    if discarded:
        actions.append({"conference": None, "milestone": None, "action": "unconfirmed_files_discarded",
                        "files": len(discarded)})
    anonymised = apply_retention(now, rules)  # personal data past its retention period (mail in batches)
    db.session.commit()
    if anonymised and any(anonymised.values()):
        actions.append({"conference": None, "milestone": None, "action": "personal_data_anonymised", **anonymised})
    stale = discard_stale_staged_files(settings.resolved_documents_dir)
    if stale:
        actions.append({"conference": None, "milestone": None, "action": "stale_staged_files_removed",
                        "files": len(stale)})
    if redis is not None:
        swept = outbox.sweep(redis, settings, now)
        if swept["requeued"] or swept["stale_claims_freed"]:
            actions.append({"conference": None, "milestone": None, "action": "outbox_sweep", **swept})
    for action in actions:
        log.info("%s", log_line(action))
    return actions


def log_line(action: dict) -> str:
    """The greppable line worker and cron logs carry for each action."""
    extra = " ".join(f"{k}={v}" for k, v in action.items() if k not in ("conference", "milestone", "action"))
    line = (f"tick conference={action.get('conference')} milestone={action.get('milestone')} "
            f"action={action['action']}")
    return f"{line} {extra}" if extra else line
