"""How many intake mails one address or one tax code may receive per day (issue 16, F8).

The public form mails the address a submitter types (a receipt) and, for a tax code already registered,
the contact on file (a confirmation request). Without a limit anyone could make the agency's sender mail
any address again and again. Counters live in Redis, one per address or tax code and UTC day; the
numbers are in config/security.yaml (`intake`). Staff entries are not limited.
"""

from __future__ import annotations

import datetime as dt
import hashlib


def allow(kind: str, key: str, limit: int, *, now: dt.datetime) -> bool:
    """Count one more mail of `kind` for `key` today; whether it is still within `limit`."""
    from webforms.services import services

    digest = hashlib.sha256(key.strip().lower().encode("utf-8")).hexdigest()[:32]
    bucket = f"doithoai:mail-limit:{kind}:{digest}:{now.astimezone(dt.UTC):%Y%m%d}"
    redis = services().redis
    pipe = redis.pipeline()
    pipe.incr(bucket)
    pipe.expire(bucket, 2 * 86400)
    count, _ = pipe.execute()
    return int(count) <= limit
