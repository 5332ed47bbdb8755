"""Measure fw against raw WSGI: ``python -m tests.bench [--json] [--quick]``.

In-process cost per request for every endpoint (the median of several
rounds, each many calls through the WSGI callable), the CGI cold start of
index.cgi against ``python -c pass``, and the peak memory of a serving
process. Everything runs on a temporary copy of tests/bench/app, in
production mode (``--development`` measures the watching mode instead).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fw.testing import build_environ

from . import prepare
from .peers import ENDPOINTS as PEER_ENDPOINTS, PEERS
from .raw import RawApp

REPO = Path(__file__).resolve().parents[2]
ENDPOINTS = {
    "plaintext": "/plaintext",
    "json": "/json",
    "db": "/db",
    "queries": "/queries?queries=20",
    "fortunes": "/fortunes",
    "updates": "/updates?queries=20",
    "page": "/page",
}
CGI_ENDPOINTS = ("plaintext", "page")
SERVED_REQUESTS = 2000
WSGIApp = Callable[..., Iterable[bytes]]


class Settings:
    """How long to measure: warm-up, rounds, time per round, CGI runs."""

    def __init__(self, quick: bool, smoke: bool = False) -> None:
        self.warmup_seconds = 0.2 if quick else 0.5
        self.rounds = 5 if quick else 9
        self.round_seconds = 0.03 if quick else 0.1
        self.cgi_runs = 10 if quick else 30
        if smoke:
            self.warmup_seconds, self.rounds, self.round_seconds = 0.002, 1, 0.002
            self.cgi_runs = 2


def environ_for(target: str) -> dict[str, Any]:
    """Return the WSGI environ of a GET of ``target`` on localhost."""
    return build_environ("GET", target)


def call(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, bytes]:
    """Call a WSGI application once; return its status line and body."""
    started: list[str] = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> None:
        started.append(status)

    chunks = app(dict(environ), start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return started[0], body


def costs_us(
    runs: dict[str, tuple[WSGIApp, str]], settings: Settings
) -> dict[str, float]:
    """Return the cost of one request of each (application, target).

    They take turns, round after round, so that a machine that slows down
    or speeds up during the run moves all of them alike, and each one's
    fastest round counts: other work on the machine only ever adds time
    (as timeit's documentation says of its repeats).
    """
    environs = {name: environ_for(target) for name, (_, target) in runs.items()}
    for name, (app, target) in runs.items():
        status, _ = call(app, environs[name])
        if not status.startswith("200"):
            raise SystemExit(f"{name}: {target} answered {status!r}, not 200.")

    calls = {
        name: _calls_per_round(app, environs[name], settings)
        for name, (app, _) in runs.items()
    }
    rounds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(settings.rounds):
        for name, (app, _) in runs.items():
            rounds[name].append(_round(app, environs[name], calls[name]))
    return {name: min(times) * 1e6 for name, times in rounds.items()}


def _calls_per_round(app: WSGIApp, environ: dict, settings: Settings) -> int:
    """Warm ``app`` up on ``environ``; return how many calls fill one round.

    NOTE: a new process answers slower for its first second or so (memory
    being mapped, caches filling), fw more than raw: the figures are those
    of a warm process.
    """
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < settings.warmup_seconds:
        call(app, environ)
        count += 1
    return max(5, int(settings.round_seconds * count / max(elapsed, 1e-7)))


def _round(app: WSGIApp, environ: dict, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call(app, environ)
    return (time.perf_counter() - started) / calls


def measure_endpoints(root: Path, settings: Settings) -> dict[str, dict]:
    """Measure every endpoint through fw, the raw callable and any peer."""
    import fw

    database = root / "var" / "app.db"
    apps = {"fw": fw.application(root), "raw": RawApp(database)}
    peers = {name: build(database) for name, build in PEERS.items()}
    results = {}

    for name, target in ENDPOINTS.items():
        runs = {who: (app, target) for who, app in apps.items()}
        if name in PEER_ENDPOINTS:
            runs.update({peer: (app, target) for peer, app in peers.items() if app})
        if name == "page":
            # NOTE: page's budget is raw fortunes, so that runs in the same turns.
            runs["raw_fortunes"] = (apps["raw"], ENDPOINTS["fortunes"])
        costs = costs_us(runs, settings)
        row = {f"{who}_us": cost for who, cost in costs.items()}
        row["ratio"] = row["fw_us"] / row["raw_us"]
        results[name] = row
    page = results["page"]
    page["ratio_to_raw_fortunes"] = page["fw_us"] / page.pop("raw_fortunes_us")
    return results


def cgi_environ(target: str) -> dict[str, str]:
    """Return the process environment a web server gives a CGI script."""
    variables = {k: v for k, v in environ_for(target).items() if isinstance(v, str)}
    variables.update(
        PATH="/usr/bin:/bin",
        PYTHONPATH=str(REPO),
        GATEWAY_INTERFACE="CGI/1.1",
        SCRIPT_NAME="/index.cgi",
    )
    return variables


def timed_runs(command: list[str], env: dict[str, str], runs: int) -> list[float]:
    """Run a command ``runs`` times; return each run's wall time in ms."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, check=False)
        times.append((time.perf_counter() - started) * 1000)
        if done.returncode != 0 or b"Status: 5" in done.stdout[:64]:
            raise SystemExit(
                f"{' '.join(command)} failed (exit {done.returncode}): "
                f"{done.stderr.decode(errors='replace')[-400:]}"
            )
    return times


def summary(times: list[float]) -> dict[str, float]:
    """Return the median and the 90th percentile of run times."""
    p90 = statistics.quantiles(times, n=10, method="inclusive")[-1]
    return {"median_ms": statistics.median(times), "p90_ms": p90}


def measure_cgi(root: Path, settings: Settings) -> dict[str, dict]:
    """Time index.cgi per endpoint against ``python -c pass``, taking turns."""
    script = [sys.executable, str(root / "index.cgi")]
    commands = {"python": ([sys.executable, "-c", "pass"], cgi_environ("/"))}
    for name in CGI_ENDPOINTS:
        commands[name] = (script, cgi_environ(ENDPOINTS[name]))
        timed_runs(*commands[name], 1)  # NOTE: the first run fills the template cache

    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(settings.cgi_runs):
        for name, (command, env) in commands.items():
            times[name].extend(timed_runs(command, env, 1))

    results = {name: summary(runs) for name, runs in times.items()}
    for row in results.values():
        row["ratio"] = row["median_ms"] / results["python"]["median_ms"]
    return results


def serve_child(root: str, requests: int) -> None:
    """Serve ``requests`` requests over every endpoint; print the peak RSS in KiB."""
    import resource

    import fw

    app = fw.application(root)
    targets = [environ_for(target) for target in ENDPOINTS.values()]
    for number in range(requests):
        call(app, targets[number % len(targets)])
    sys.stdout.write(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\n")


def peak_rss_kb(root: Path) -> int:
    """Return the peak RSS of a child process that serves the endpoints."""
    code = (
        "import sys; from tests.bench.__main__ import serve_child; "
        "serve_child(sys.argv[1], int(sys.argv[2]))"
    )
    command = [sys.executable, "-c", code, str(root), str(SERVED_REQUESTS)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, check=True)
    return int(done.stdout.split()[-1])


def run(settings: Settings, *, production: bool) -> dict[str, Any]:
    """Prepare a temporary copy of the application and measure it."""
    with tempfile.TemporaryDirectory(prefix="fw-bench-") as folder:
        root = prepare(folder)
        if production:
            (root / "production").mkdir()
        return {
            "endpoints": measure_endpoints(root, settings),
            "cgi": measure_cgi(root, settings),
            "peak_rss_kb": peak_rss_kb(root),
            "skipped": [name for name, build in PEERS.items() if not _importable(name)],
            "mode": "production" if production else "development",
        }


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def report(results: dict[str, Any]) -> str:
    """Return the results as a table for people."""
    lines = [f"fw benchmark ({results['mode']}), in-process cost per request"]
    lines.append(f"{'endpoint':<10} {'fw us':>9} {'raw us':>9} {'ratio':>7}  peers")

    for name, row in results["endpoints"].items():
        peers = " ".join(
            f"{key[:-3]} {value:.1f}" for key, value in row.items()
            if key.endswith("_us") and key not in ("fw_us", "raw_us")
        )
        lines.append(
            f"{name:<10} {row['fw_us']:>9.1f} {row['raw_us']:>9.1f} "
            f"{row['ratio']:>6.2f}x  {peers}"
        )
    page = results["endpoints"]["page"]["ratio_to_raw_fortunes"]
    lines.append(f"page against raw fortunes: {page:.2f}x")
    lines.extend(f"{name}: not importable, skipped" for name in results["skipped"])

    lines.append("CGI cold start, ms")
    for name, row in results["cgi"].items():
        lines.append(
            f"{name:<10} median {row['median_ms']:>7.1f}  p90 {row['p90_ms']:>7.1f}  "
            f"{row['ratio']:.2f}x"
        )
    lines.append(f"peak RSS of a serving process: {results['peak_rss_kb']} KiB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse the options, measure, and print a table or one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument(
        "--development", action="store_true", help="measure without production/"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="one tiny round: check that it runs"
    )
    args = parser.parse_args(argv)

    settings = Settings(args.quick, smoke=args.smoke)
    results = run(settings, production=not args.development)
    text = json.dumps(results, indent=2) if args.json else report(results)
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
