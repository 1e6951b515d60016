"""The one-way rule (review 2026-12, aesthetics §2.1): webforms/domain is called by the web, the CLI and the
workers and calls none of them. Read from the source with `ast`, so an import inside a function counts."""

import ast
import re
from pathlib import Path

from config.settings import PROJECT_ROOT

DOMAIN = PROJECT_ROOT / "webforms" / "domain"

# A worker named by its import path, as RQ takes it ("workers.mail_jobs.send_outbox_messages").
WORKER_PATH = re.compile(r"\bworkers\.[a-z_]")

# Modules the domain must not import: the composition root and the layers that call the domain.
OUTER = (
    "webforms.app",
    "webforms.services",
    "webforms.cli",
    "webforms.backoffice",
    "webforms.api",
    "webforms.intake.routes",
    "webforms.reply",
    "webforms.public",
    "webforms.folder",
    "webforms.verify",
    "workers",
)


def _outer(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in OUTER)


def violations(root: Path) -> list[str]:
    """Every import of an outer module, every use of flask's current_app and every string naming a
    worker (`workers.…`, as RQ would import it) in the modules under `root`, as "path:line: what"."""
    found = []
    for path in sorted(root.rglob("*.py")):
        where = path.relative_to(root.parent.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                found += [f"{where}:{node.lineno}: import {a.name}" for a in node.names if _outer(a.name)]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if _outer(node.module) or _outer(full):
                        found.append(f"{where}:{node.lineno}: from {node.module} import {alias.name}")
                    elif node.module == "flask" and alias.name == "current_app":
                        found.append(f"{where}:{node.lineno}: from flask import current_app")
            elif isinstance(node, ast.Attribute) and node.attr == "current_app":
                found.append(f"{where}:{node.lineno}: .current_app")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if named := WORKER_PATH.search(node.value):
                    found.append(f"{where}:{node.lineno}: string naming {node.value[named.start():][:40]!r}")
    return sorted(found, key=lambda v: (v.split(":")[0], int(v.split(":")[1])))


def test_the_domain_imports_no_outer_layer_and_names_no_worker():
    assert violations(DOMAIN) == []


def test_the_check_sees_each_kind_of_violation(tmp_path):
    """The walk itself: each forbidden form in a module is reported, an allowed one is not."""
    package = tmp_path / "webforms" / "domain"
    package.mkdir(parents=True)
    (package / "bad.py").write_text(
        "import workers.mail_jobs\n"
        "from flask import current_app\n"
        "import flask\n"
        "from webforms import services\n"
        "from config.rules import Rules\n"
        "def f():\n"
        "    from webforms.services import services\n"
        "    from webforms.backoffice.conference_views import bp\n"
        "    return flask.current_app, 'workers.task_jobs.run_outbox_tasks', 'the workers. Not a path'\n",
        encoding="utf-8")
    assert violations(package) == [
        "webforms/domain/bad.py:1: import workers.mail_jobs",
        "webforms/domain/bad.py:2: from flask import current_app",
        "webforms/domain/bad.py:4: from webforms import services",
        "webforms/domain/bad.py:7: from webforms.services import services",
        "webforms/domain/bad.py:8: from webforms.backoffice.conference_views import bp",
        "webforms/domain/bad.py:9: .current_app",
        "webforms/domain/bad.py:9: string naming 'workers.task_jobs.run_outbox_tasks'",
    ]
