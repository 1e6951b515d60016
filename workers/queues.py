"""Queue names, written once."""

from __future__ import annotations

from redis import Redis
from rq import Queue

MAIL = "mail"
DOCS = "docs"
DEFAULT = "default"
ALL_QUEUES = (MAIL, DOCS, DEFAULT)


def get_queue(name: str, connection: Redis) -> Queue:
    if name not in ALL_QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=connection)
