"""Two processes issuing at once get distinct, consecutive numbers (PostgreSQL: the counter row's lock;
SQLite: the database's write lock)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.factories import create_conference
from tests.moments import local
from webforms.domain.documents import generate_document
from webforms.domain.documents import register as reg
from webforms.domain.documents.issuing import approve_document
from webforms.extensions import db
from webforms.models import RegisterEntry

PER_PROCESS = 100


@pytest.mark.slow
def test_two_processes_issuing_100_documents_each_get_200_consecutive_numbers(
    app_ctx, rules, settings, signing_setup, signed_pdf, tmp_path
):
    now = local(2027, 1, 5, 10)
    conference = create_conference(starts_at=local(2027, 1, 20, 8, 30))
    draft = generate_document(conference, "announcement", rules, settings, now, pdf=False)
    ids = []
    for n in range(2 * PER_PROCESS):
        document = draft if n == 0 else _copy(draft, n)
        approve_document(document)
        db.session.flush()
        ids.append(document.id)
    db.session.commit()
    (tmp_path / "signed.pdf").write_bytes(signed_pdf)
    go = tmp_path / "go"
    fields = ("env", "instance_dir", "database_url", "redis_url", "secret_key", "public_base_url", "documents_dir")
    base = {name: str(getattr(settings, name)) for name in fields if getattr(settings, name) is not None}
    base["documents_dir"] = str(settings.resolved_documents_dir)
    processes = []
    for half in (ids[0::2], ids[1::2]):
        job = tmp_path / f"job-{len(processes)}.json"
        job.write_text(json.dumps({
            "settings": base, "ids": half, "signed_pdf": str(tmp_path / "signed.pdf"),
            "trust_anchor": str(signing_setup.ca.pem_path), "now": now.isoformat(), "go": str(go),
        }))
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "tests.signing.issue_worker", str(job)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
            env={**os.environ},
        ))
    for process in processes:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()
    go.touch()
    started = time.monotonic()
    results = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    elapsed = time.monotonic() - started
    print(f"200 issues by 2 processes in {elapsed:.1f} s")
    (first, second) = (r["numbers"] for r in results)
    assert len(first) == len(second) == PER_PROCESS
    assert first == sorted(first) and second == sorted(second)
    assert set(first).isdisjoint(second)
    assert sorted(first + second) == list(range(1, 2 * PER_PROCESS + 1))
    # Both processes really issued at the same time (on SQLite one may wait for the write lock a long while).
    one, two = results
    assert one["started"] < two["ended"] and two["started"] < one["ended"]
    db.session.expire_all()
    assert [e.number for e in reg.entries(2027)] == list(range(1, 2 * PER_PROCESS + 1))
    assert db.session.query(RegisterEntry).count() == 2 * PER_PROCESS


def _copy(draft, n: int):
    from webforms.models import Document

    document = Document(
        conference_id=draft.conference_id, kind=draft.kind, subject_key=f"copy:{n}", version=1,
        path=draft.path, sha256=draft.sha256, snapshot=draft.snapshot, status="done", generated_at=draft.generated_at,
    )
    db.session.add(document)
    return document
