"""A small closed-loop HTTP load generator: N clients with keep-alive connections, bounded in
requests and seconds, loopback only."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable

from bench.common import percentile


def run_load(port: int, path: str, make_body: Callable[[int], dict] | None, *, clients: int = 16,
             seconds: float = 8.0, max_requests: int = 20000, expect: int = 201, method: str = "POST",
             headers: dict | None = None) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    counter = iter(range(max_requests))
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            body = json.dumps(make_body(n)).encode() if make_body else None
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if response.status != expect:
                    errors.append(f"HTTP {response.status}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return summary(latencies, errors, wall)


def summary(latencies: list[float], errors: list[str], wall: float) -> dict:
    return {
        "requests": len(latencies),
        "rps": len(latencies) / wall,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "latencies": latencies,
        "error_list": errors,
        "wall": wall,
    }


def merged(runs: list[dict]) -> dict:
    """Several slices of one load as one: requests over their summed wall time, percentiles of all latencies."""
    return summary([x for r in runs for x in r["latencies"]], [e for r in runs for e in r["error_list"]],
                   sum(r["wall"] for r in runs))
