"""The rate limiter's Redis storage: one round trip per limit and request instead of three.

Flask-Limiter counts a hit with `incr` (a Lua script: INCRBY, EXPIRE on the first hit) and then, for the
X-RateLimit-* and Retry-After headers, asks `get` (GET) and `get_expiry` (TTL) of the same key. Here the
script answers the count and the key's TTL together, and `get` / `get_expiry` of a key this request has just
counted are answered from them: the remaining count as of this request's hit, the same reset time.
Anything else (another request, a CLI command, a key not counted in this request) reads Redis as before.

Selected by the storage URI's scheme, `doithoai+redis://…` (services.redis_url_for_limits): `limits`
registers every Storage subclass under the schemes it names.
"""

from __future__ import annotations

import time

from flask import has_request_context, request
from limits.storage import RedisStorage

SCHEME_PREFIX = "doithoai+"
_COUNTED = "doithoai_limits_counted"

# limits' incr_expire.lua, and the key's TTL with the count.
INCR_EXPIRE_TTL = """
local amount = tonumber(ARGV[2])
local current = redis.call("incrby", KEYS[1], amount)
if tonumber(current) == amount then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("ttl", KEYS[1])}
"""


def _counted() -> dict | None:
    """This request's counted keys: {key: (count, reset timestamp)}; None outside a request."""
    if not has_request_context():
        return None
    return request.environ.setdefault(_COUNTED, {})


class CountingRedisStorage(RedisStorage):
    STORAGE_SCHEME = [SCHEME_PREFIX + s for s in ("redis", "rediss", "redis+unix")]

    def __init__(self, uri: str, **options) -> None:
        super().__init__(uri.removeprefix(SCHEME_PREFIX), **options)

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_incr_expire_ttl = self.get_connection().register_script(INCR_EXPIRE_TTL)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        current, ttl = self.lua_incr_expire_ttl([self.prefixed_key(key)], [expiry, amount])
        counted = _counted()
        if counted is not None:
            counted[key] = (int(current), max(int(ttl), 0) + time.time())
        return int(current)

    def get(self, key: str) -> int:
        seen = (_counted() or {}).get(key)
        return seen[0] if seen else super().get(key)

    def get_expiry(self, key: str) -> float:
        seen = (_counted() or {}).get(key)
        return seen[1] if seen else super().get_expiry(key)

    def clear(self, key: str) -> None:
        (_counted() or {}).pop(key, None)
        super().clear(key)
