"""The memory floor of an RQ worker on this stack (bench/memory_bench.py): the job module imports what any
worker of a Flask + SQLAlchemy + Flask-Mail app carries, and each job builds and sends nothing."""

import flask  # noqa: F401 - imported for what it weighs
import flask_mail  # noqa: F401
import flask_sqlalchemy  # noqa: F401
import jinja2  # noqa: F401
import sqlalchemy.orm  # noqa: F401


def noop(i: int) -> int:
    return i
