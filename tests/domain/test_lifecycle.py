"""One table of states and moves per lifecycle, CHECK constraints on the status columns, and one table
of milestone handlers the deadline engine checks at startup."""

import dataclasses
import shutil

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from config.rules import RulesError, load_rules
from config.settings import PROJECT_ROOT
from tests.factories import create_conference, create_recommendation, create_registration
from webforms.domain.lifecycle import (
    ASSIGNMENT_MOVES,
    CONFERENCE_MOVES,
    RECOMMENDATION_MOVES,
    TransitionRefused,
    move_conference,
)
from webforms.domain.tick import MILESTONE_HANDLERS, check_milestone_handlers
from webforms.extensions import db
from webforms.models import AssignmentState, ConferenceStatus, RecommendationStatus


def test_every_state_has_a_row_and_every_move_names_a_state():
    for table, states in ((CONFERENCE_MOVES, ConferenceStatus), (RECOMMENDATION_MOVES, RecommendationStatus),
                          (ASSIGNMENT_MOVES, AssignmentState)):
        assert set(table) == {s.value for s in states}
        assert all(target in table for targets in table.values() for target in targets)


def test_a_refused_move_raises_and_changes_nothing(app_ctx):
    conference = create_conference(slug="hn", status=ConferenceStatus.CANCELLED)
    with pytest.raises(TransitionRefused, match="hn: cannot move from cancelled to announced"):
        move_conference(conference, ConferenceStatus.ANNOUNCED)
    assert conference.status == ConferenceStatus.CANCELLED
    held = create_conference(slug="hn-held", status=ConferenceStatus.HELD)
    with pytest.raises(TransitionRefused, match=r"allowed: concluded"):
        move_conference(held, ConferenceStatus.DRAFT)
    assert move_conference(held, ConferenceStatus.CONCLUDED) == ConferenceStatus.HELD


def test_a_held_conference_cannot_be_postponed_through_the_admin_ops(app_ctx, rules, settings):
    import datetime as dt

    from webforms.domain.audit import SYSTEM
    from webforms.domain.conference_admin import postpone_conference
    from webforms.domain.conferences import ConferenceError

    conference = create_conference(slug="hn", status=ConferenceStatus.HELD)
    with pytest.raises(ConferenceError, match="cannot be postponed"):
        postpone_conference(conference, new_starts_at=conference.starts_at + dt.timedelta(days=30), reason="x",
                            now=conference.starts_at, actor=SYSTEM, rules=rules, settings=settings)


@pytest.mark.parametrize(("table", "column"), [("conferences", "status"), ("recommendations", "status"),
                                               ("assignments", "state")])
def test_status_columns_accept_only_their_states(app_ctx, table, column):
    conference = create_conference(slug="hn")
    rec = create_recommendation(create_registration(conference))
    db.session.commit()
    row_id = {"conferences": conference.id, "recommendations": rec.id}.get(table)
    if row_id is None:
        from webforms.domain import events
        from webforms.services import services

        svc = services()
        events.recommendation_received.send(rec, now=conference.starts_at, rules=svc.rules, calendar=svc.calendar,
                                            settings=svc.settings)
        db.session.commit()
        row_id = rec.assignments[0].id
    with pytest.raises(IntegrityError):
        db.session.execute(text(f"UPDATE {table} SET {column} = 'sent' WHERE id = :id"), {"id": row_id})  # noqa: S608
    db.session.rollback()


def test_every_milestone_of_the_plan_has_a_handler():
    rules = load_rules(PROJECT_ROOT / "config")
    check_milestone_handlers(rules.plan)
    assert {m.name for m in rules.plan.milestones} <= set(MILESTONE_HANDLERS)
    assert "coordination_input" in {m.name for m in rules.plan.milestones}


def test_a_milestone_without_a_handler_is_refused_at_startup(tmp_path, settings):
    rules_dir = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", rules_dir)
    plan = (rules_dir / "plan.yaml").read_text()
    plan = plan.replace("milestones:\n", "milestones:\n  - name: site_visit\n    offset: 3\n    owner: VP\n"
                                         "    label: Khảo sát\n    description: Khảo sát thực tế.\n", 1)
    (rules_dir / "plan.yaml").write_text(plan)
    # Refused when the rules are read (the schema asks the engine's table), with the file and line ...
    with pytest.raises(RulesError, match="plan.yaml:24: .*'site_visit': the engine has no handler"):
        load_rules(rules_dir)
    # ... and by the engine itself for any plan it is handed.
    from config.rules import Milestone

    plan = load_rules(PROJECT_ROOT / "config").plan
    odd = dataclasses.replace(plan, milestones=(*plan.milestones, Milestone("site_visit", 3, "VP", "Khảo sát", "")))
    with pytest.raises(RulesError, match="milestone\\(s\\) site_visit have no handler"):
        check_milestone_handlers(odd)
    from webforms.app import create_app

    with pytest.raises(RulesError, match="site_visit"):
        create_app(dataclasses.replace(settings, rules_dir=rules_dir))


def test_every_caller_goes_through_the_tables(app_ctx):
    """A status set anywhere (not only through move_conference) is checked against its table."""
    conference = create_conference(slug="hn", status=ConferenceStatus.CANCELLED)
    with pytest.raises(TransitionRefused, match="conference hn: cannot move from cancelled to announced"):
        conference.status = ConferenceStatus.ANNOUNCED
    rec = create_recommendation(create_registration(create_conference(slug="hn-2")),
                                status=RecommendationStatus.ANSWERED_IN_WRITING)
    db.session.flush()
    with pytest.raises(TransitionRefused, match="cannot move from answered_in_writing to received"):
        rec.status = RecommendationStatus.RECEIVED
    rec.status = RecommendationStatus.ANSWERED_IN_WRITING  # the same state: no move
    db.session.rollback()
