"""What a worker process carries (issue 18, memory): building the app and importing every job module does not
import the libraries only some jobs need — pyHanko (signing) and docxtpl/python-docx/qrcode (rendering) — and
does not run scrypt (the dummy password hash of the login path). bench/memory_bench.py measures the resident
size these decide; this checks the decisions themselves, in a fresh interpreter."""

import json
import os
import subprocess
import sys

PROBE = """
import json, sys
import werkzeug.security
calls = []
real = werkzeug.security.generate_password_hash
werkzeug.security.generate_password_hash = lambda *a, **k: calls.append(1) or real(*a, **k)
from webforms.app import create_app
app = create_app()
import workers.document_jobs, workers.mail_jobs, workers.task_jobs, workers.tick_jobs  # noqa: E401
from webforms.domain import accounts
heavy = ("pyhanko", "pyhanko_certvalidator", "aiohttp", "docxtpl", "docx", "qrcode", "PIL")
print(json.dumps({"loaded": sorted(m for m in heavy if m in sys.modules),
                  "scrypt_runs": len(calls) + (accounts._dummy_hash.cache_info().currsize)}))
"""


def _probe(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DOITHOAI_INSTANCE_DIR=str(tmp_path), SECRET_KEY="probe-" + "k" * 40, RATELIMIT_ENABLED="false")
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,  # noqa: S603
                          check=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_worker_builds_the_app_without_the_signing_and_rendering_libraries_or_scrypt(tmp_path):
    found = _probe(tmp_path)
    assert found["loaded"] == []
    assert found["scrypt_runs"] == 0

