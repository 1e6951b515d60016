"""One registration through the API, taken apart (issue 18): the SQL statements it runs (SAVEPOINTs included),
the Redis commands, and a cProfile of the request's time. A tool to read, not a benchmark: run it, read it.

    .venv/bin/python -m bench.profile_intake            # SQLite in a temporary folder
    .venv/bin/python -m bench.profile_intake --time 200 # also: wall and CPU ms per registration, one client
    DATABASE_URL=postgresql://user@host/db .venv/bin/python -m bench.profile_intake   # a fresh database there
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import pstats
import sys

from sqlalchemy import event

from bench.common import bench_app, fresh_database
from bench.intake_bench import payload

PATH = "/api/v1/conferences/bench/registrations"


def _conference(app) -> None:
    """The announced conference `bench`, made with the CLI as bench/intake_bench.py makes it."""
    runner = app.test_cli_runner()
    for offset in range(60, 75):
        day = (dt.date.today() + dt.timedelta(days=offset)).isoformat()
        made = runner.invoke(args=["conference", "create", "--title", "Hội nghị đo tải", "--date", day,
                                   "--venue", "Trụ sở", "--slug", "bench"])
        if made.exit_code == 0:
            break
    announced = runner.invoke(args=["conference", "announce", "bench"])
    assert announced.exit_code == 0, announced.output


def _server_round_trips(engine, trace_path):
    """On PostgreSQL, libpq's trace of every pooled connection (checkouts' pings, BEGIN, SAVEPOINT and COMMIT
    included, which the engine's cursor events do not show), written to `trace_path`."""
    if engine.dialect.name != "postgresql":
        return None
    trace = open(trace_path, "w")  # noqa: SIM115 - closed at the end of main

    def on_connect(dbapi_connection, _record):
        dbapi_connection.pgconn.trace(trace.fileno())

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # the pool's connections so far were opened without the trace
    return trace


def _read_trace(path, start: int) -> tuple[int, list[str]]:
    """(round trips, the simple-protocol commands: BEGIN, SAVEPOINT, COMMIT…) since byte `start` of a libpq trace."""
    with open(path) as trace:
        trace.seek(start)
        lines = [line.split("\t") for line in trace.read().splitlines()]
    waits = sum(1 for f in lines if len(f) > 3 and f[1] == "B" and f[3] == "ReadyForQuery")
    simple = [f[4].strip().strip('"')[:60] for f in lines if len(f) > 4 and f[1] == "F" and f[3] == "Query"]
    return waits, simple


def _redis_round_trips():
    """Count what redis-py sends (a pipeline is one send), for the app's client and the limiter's alike."""
    from redis.connection import AbstractConnection

    sent: list[str] = []
    real = AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        chunks = command if isinstance(command, list | tuple) else [command]
        tokens = b"".join(bytes(c) for c in chunks).split(b"\r\n")
        names = [tokens[i + 2].decode(errors="replace") for i, t in enumerate(tokens[:-2]) if t.startswith(b"*")]
        sent.append("+".join(names))
        return real(self, command, check_health)

    AbstractConnection.send_packed_command = counting
    return sent, lambda: setattr(AbstractConnection, "send_packed_command", real)


def main(timed: int = 0, limiter: bool = False, recommendations: int = 1) -> None:
    import tempfile
    import time

    from webforms.extensions import db

    def body(n: int) -> dict:
        data = payload(n)
        first = data["recommendations"][0]
        data["recommendations"] = [dict(first, title=f"{first['title']} ({i + 1})") for i in range(recommendations)]
        return data

    # The limiter as production has it (on the same Redis), with a limit no run reaches.
    overrides = {"ratelimit_enabled": True, "ratelimit_submit": "1000000 per minute"} if limiter else {}
    with fresh_database("profile_intake") as url, bench_app(**({"database_url": url} if url else {}),
                                                            **overrides) as app, \
            tempfile.NamedTemporaryFile(prefix="pqtrace-") as trace_file:
        _conference(app)
        with app.app_context():
            engine = db.engine
        trace = _server_round_trips(engine, trace_file.name)
        client = app.test_client()
        for n in range(20):  # warm: caches, prepared statements, the day's counter
            assert client.post(PATH, json=body(n)).status_code == 202
        statements: list[str] = []

        def on_execute(_conn, _cursor, statement, _params, _context, _many):
            statements.append(" ".join(statement.split())[:150])

        event.listen(engine, "before_cursor_execute", on_execute)
        sent, restore_redis = _redis_round_trips()
        start = trace.tell() if trace else 0
        assert client.post(PATH, json=body(1000)).status_code == 202
        event.remove(engine, "before_cursor_execute", on_execute)
        restore_redis()
        print(f"SQL statements for one registration with {recommendations} recommendation(s) "
              f"({engine.dialect.name}): {len(statements)}")
        for s in statements:
            print("   ", s)
        if trace:
            trace.flush()
            waits, simple = _read_trace(trace_file.name, start)
            print(f"PostgreSQL round trips (libpq trace, every connection): {waits}; "
                  f"simple-protocol commands among them: {simple}")
        print(f"Redis round trips (limiter {'on' if limiter else 'off'}): {len(sent)} {sent}")
        if timed:
            wall, cpu = time.perf_counter(), time.process_time()
            for n in range(timed):
                assert client.post(PATH, json=body(10_000 + n)).status_code == 202
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(f"{timed} registrations, one client: {wall / timed * 1000:.1f} ms wall, "
                  f"{cpu / timed * 1000:.1f} ms CPU of this process per registration")
        profile = cProfile.Profile()
        profile.enable()
        for n in range(50):
            client.post(PATH, json=body(2000 + n))
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time", type=int, default=0, metavar="N", help="time N registrations, one client")
    parser.add_argument("--limiter", action="store_true", help="rate limits on, as in production")
    parser.add_argument("--recommendations", type=int, default=1, metavar="N", help="recommendations per registration")
    args = parser.parse_args()
    main(args.time, limiter=args.limiter, recommendations=args.recommendations)
    sys.exit(0)
