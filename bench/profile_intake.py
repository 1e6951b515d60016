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


def main(timed: int = 0) -> None:
    import time

    from webforms.extensions import db

    with fresh_database("profile_intake") as url, bench_app(**({"database_url": url} if url else {})) as app:
        _conference(app)
        client = app.test_client()
        for n in range(20):  # warm: caches, prepared statements, the day's counter
            assert client.post(PATH, json=payload(n)).status_code == 201
        statements: list[str] = []
        with app.app_context():
            engine = db.engine
        redis = app.extensions["doithoai"].redis
        commands: list[str] = []
        real_execute = redis.execute_command

        def counting(*args, **kwargs):
            commands.append(str(args[0]))
            return real_execute(*args, **kwargs)

        def on_execute(_conn, _cursor, statement, _params, _context, _many):
            statements.append(" ".join(statement.split())[:150])

        event.listen(engine, "before_cursor_execute", on_execute)
        redis.execute_command = counting
        assert client.post(PATH, json=payload(1000)).status_code == 201
        event.remove(engine, "before_cursor_execute", on_execute)
        redis.execute_command = real_execute
        print(f"SQL statements for one registration ({engine.dialect.name}): {len(statements)}")
        for s in statements:
            print("   ", s)
        print(f"Redis commands through the app's client: {len(commands)} {commands}")
        if timed:
            wall, cpu = time.perf_counter(), time.process_time()
            for n in range(timed):
                assert client.post(PATH, json=payload(10_000 + n)).status_code == 201
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(f"{timed} registrations, one client: {wall / timed * 1000:.1f} ms wall, "
                  f"{cpu / timed * 1000:.1f} ms CPU of this process per registration")
        profile = cProfile.Profile()
        profile.enable()
        for n in range(50):
            client.post(PATH, json=payload(2000 + n))
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time", type=int, default=0, metavar="N", help="time N registrations, one client")
    main(parser.parse_args().time)
    sys.exit(0)
