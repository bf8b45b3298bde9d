"""Fan-out of one edition to many subscribers into the local SendGrid look-alike.

    python bench/bench_deliver.py [--n 100000] [--validate-every 10] [--baseline 2000]
                                  [--server process|thread]

Subscribers cycle through every combination of four regions and two locales
(32 segments). The measured path is the real one: ``send_edition`` with the
ledger in a SQLite file, one render per segment, signed links per recipient,
and the ``sendgrid`` package posting batches of 1000 personalizations to the
SendGrid look-alike from the test suite. One body in ``--validate-every`` is
kept and checked against SendGrid's schema after the timed part (every body
when 1), so that checking is not timed.

The look-alike runs in a process of its own by default, as SendGrid would:
in this process its threads would parse every request body while holding
the interpreter lock that the sender needs, so the figure would partly
measure the look-alike. ``--server thread`` runs it in this process (the
figures of earlier versions of this bench).

The baseline, measured in the same run on ``--baseline`` recipients of the
same mix, renders the edition once per recipient (render + personalise, no
sending at all), which is what delivery would cost without segments.

The fan-out runs ``--rounds`` times (each to a fresh store and a fresh
look-alike), with a baseline run before and after each one, so that load
from other processes hits both alike; the medians are printed.
``--rss-against N`` also runs a one-round fan-out to N readers in a fresh
process and compares the two peaks (peak RSS should not grow with N), each
the first round's in a fresh process (later rounds' peak is printed apart:
they start from what the allocator kept of the bench's checks). The
readers are imported by a process of their own before each fan-out, as an
operator imports a list before a send, so the sending process's peak is the
send's; the set-up process's peak is printed beside it.

Prints recipients per second for both, the fan-out also per CPU second of
the sending process (digest's threads; with ``--server thread`` the
look-alike's as well), so that a busy machine shows in the wall-clock figure
and not in this one, and the peak memory (VmHWM) of the sending process.
Checks that no address was accepted twice. Never asserts timings.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tests.support.sendgrid_server as look_alike
from bench.floors import postgres_cpu, started_postgres, table_row
from digest.deliver.segments import segment_edition, segment_of
from digest.deliver.send import send_edition
from digest.deliver.workers import send_with_workers
from digest.render.outputs import personalise, render_edition
from digest.store import open_store
from digest.store.subscribers import stream_subscribers
from digest.tokens import SECRET_ENV
from tests.delivery_helpers import (
    SECRET,
    SIGNER,
    SLOT,
    add_readers,
    make_config,
    make_edition,
    record,
)

VALIDATE = look_alike.mail_send_errors  # the schema check, before the bench replaces it


def peak_mb() -> float:
    """This process's own peak resident memory (VmHWM), MiB. Not ru_maxrss: Linux
    carries that over an exec from the process that forked, so the 10k run that
    ``--rss-against`` starts from a 100k run would report the 100k run's peak."""
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sampled_bodies(every: int) -> list[str]:
    """Make the look-alike accept every body unchecked, keeping one in ``every``
    (as JSON text) to be checked against the schema after the timed part."""
    kept: list[str] = []
    seen = [0]

    def keep_some(body: object) -> list[dict[str, Any]]:
        seen[0] += 1
        if (seen[0] - 1) % every == 0:
            kept.append(json.dumps(body))
        return []

    look_alike.mail_send_errors = keep_some
    return kept


def slim_records(server: look_alike.SendGridServer) -> None:
    """Keep only the recipients of each request: the look-alike keeps every body
    for tests to inspect, which here would weigh more than what is measured."""
    keep = server._record

    def record(request: look_alike.MailRequest) -> None:
        body = request.body
        if isinstance(body, dict) and "personalizations" in body:
            slim = [{"to": p.get("to", [])} for p in body["personalizations"]]
            body = {"personalizations": slim}
        keep(look_alike.MailRequest(body, {}, request.status, request.errors))

    server._record = record  # type: ignore[method-assign]


def serve(conn: Connection, every: int) -> None:
    """The look-alike in a child process: send its URL, wait for "stop", then
    send back (requests accepted, every accepted address, the kept bodies)."""
    kept = sampled_bodies(every)
    server = look_alike.SendGridServer()
    slim_records(server)
    server.start()
    conn.send(server.url)
    conn.recv()
    server.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    conn.send((len(server.accepted), server.recipients(), kept, usage.ru_utime + usage.ru_stime))


class LookAlike:
    """The SendGrid look-alike in this process (threads) or in a child process."""

    def __init__(self, mode: str, every: int) -> None:
        self.mode = mode
        if mode == "thread":
            self.kept = sampled_bodies(every)
            self.server = look_alike.SendGridServer()
            slim_records(self.server)
            self.url = self.server.start().url
            return
        self.conn, child = multiprocessing.get_context("fork").Pipe()
        self.process = multiprocessing.get_context("fork").Process(
            target=serve, args=(child, every), daemon=True
        )
        self.process.start()
        self.url = self.conn.recv()

    def stop(self) -> tuple[int, list[str], list[str], float | None]:
        """(requests accepted, accepted addresses with repeats, kept bodies, CPU
        seconds of the look-alike's process, None when it is this one)."""
        if self.mode == "thread":
            self.server.stop()
            return len(self.server.accepted), self.server.recipients(), self.kept, None
        self.conn.send("stop")
        accepted, recipients, kept, cpu = self.conn.recv()
        self.process.join()
        return accepted, recipients, kept, cpu


def baseline(store: Any, edition: Any, n: int) -> tuple[float, float]:
    """Recipients per second and per CPU second when each recipient's edition
    is rendered on its own."""
    readers = list(islice(stream_subscribers(store, status="active"), n))
    start, cpu = time.perf_counter(), time.process_time()
    for reader in readers:
        key = segment_of(reader)
        rendered = render_edition(
            segment_edition(edition, key),
            locale=key.locale,
            site_title="Digest",
            base_url="https://news.example.org",
        )
        personalise(
            rendered,
            name=reader.name,
            unsubscribe_url="https://news.example.org/unsubscribe/"
            + SIGNER.make("unsubscribe", reader.id, reader.email),
            preferences_url="https://news.example.org/preferences/"
            + SIGNER.make("preferences", reader.id, reader.email),
        )
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return len(readers) / wall, len(readers) / cpu


def import_readers(url: str, n: int, conn: Connection) -> None:
    """The set-up step in a process of its own: ``n`` readers into the store at
    ``url``; sends back this process's peak RSS."""
    store = open_store(url)
    add_readers(store, n)
    store.close()
    conn.send(peak_mb())


def set_up_readers(url: str, n: int) -> float:
    """Import the readers in a fresh process, as an operator imports a list before
    the send (``digest subscribers import``), so that the sending process's peak is
    the send's own and not the set-up's; the set-up process's own peak, MiB."""
    context = multiprocessing.get_context("spawn")  # no copy of this process's memory
    parent, child = context.Pipe()
    process = context.Process(target=import_readers, args=(url, n, child))
    process.start()
    peak = float(parent.recv())
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"setting up {n:,} readers failed (exit code {process.exitcode})")
    return peak


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return float(usage.ru_utime + usage.ru_stime)


def fan_out(args: argparse.Namespace, postgres: Any = None) -> dict[str, Any]:
    """One measured fan-out to a fresh store of ``--n`` readers and a fresh look-alike."""
    server = LookAlike(args.server, max(1, args.validate_every))
    tmp = Path(tempfile.mkdtemp(prefix="bench-deliver-", dir=os.environ.get("BENCH_DIR")))
    if postgres is not None:  # the workers read the URL from the environment too
        os.environ["DIGEST_DATABASE_URL"] = postgres.create_database(f"b{time.time_ns()}")
    config = make_config(tmp, backend="sendgrid", sendgrid={"host": server.url})
    store = open_store(config.database_url)
    edition = record(store, make_edition())
    setup = set_up_readers(config.database_url, args.n)
    before = peak_mb()
    database_cpu = postgres_cpu(postgres) if postgres is not None else 0.0
    start, cpu, others = time.perf_counter(), time.process_time(), children_cpu()
    if args.workers > 1:
        report = send_with_workers(
            store, config, edition, workers=args.workers, now=SLOT, signer=SIGNER
        )
    else:
        report = send_edition(store, config, edition, now=SLOT, signer=SIGNER)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu + children_cpu() - others
    if postgres is not None:
        database_cpu = postgres_cpu(postgres) - database_cpu
    peak = peak_mb()
    requests, addresses, kept, server_cpu = server.stop()
    invalid = sum(bool(VALIDATE(json.loads(body))) for body in kept)
    return {
        "store": store, "edition": edition, "tmp": tmp, "report": report,
        "wall": elapsed, "cpu": cpu, "peak": peak, "before": before, "setup": setup,
        "requests": requests,
        "recipients": len(addresses), "twice": len(addresses) - len(set(addresses)),
        "kept": len(kept), "invalid": invalid, "server_cpu": server_cpu,
        "database_cpu": database_cpu if postgres is not None else None,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="subscribers")
    parser.add_argument("--validate-every", type=int, default=10, help="check 1 body in N")
    parser.add_argument("--baseline", type=int, default=2_000, help="recipients for the baseline")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument(
        "--rss-against", type=int, default=0, metavar="N",
        help="also run a fan-out to N subscribers in a child process and compare peak RSS",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, default=1, help="runner processes (more than 1 needs --postgres)"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="the ledger in PostgreSQL (started here)"
    )
    parser.add_argument(
        "--server",
        choices=["process", "thread"],
        default="process",
        help="where the look-alike runs",
    )
    args = parser.parse_args()

    os.environ["SENDGRID_API_KEY"] = "SG.bench"
    os.environ[SECRET_ENV] = SECRET  # what the worker processes sign with, as SIGNER does
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(started_postgres()) if args.postgres else None
        run_rounds(args, postgres)


def run_rounds(args: argparse.Namespace, postgres: Any) -> None:
    """The fan-out rounds with a baseline before and after each, then the figures."""
    rounds: list[dict[str, Any]] = []
    bases: list[tuple[float, float]] = []
    for _ in range(max(1, args.rounds)):
        if rounds:  # the baseline runs between fan-outs, on the last round's store
            bases.append(baseline(rounds[-1]["store"], rounds[-1]["edition"], args.baseline))
            rounds[-1]["store"].close()
            shutil.rmtree(rounds[-1]["tmp"], ignore_errors=True)
        rounds.append(fan_out(args, postgres))
    bases.append(baseline(rounds[-1]["store"], rounds[-1]["edition"], args.baseline))
    rounds[-1]["store"].close()
    shutil.rmtree(rounds[-1]["tmp"], ignore_errors=True)

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    recipients = rounds[0]["recipients"]
    wall, cpu = median("wall"), median("cpu")
    base_rate = statistics.median(b[0] for b in bases)
    base_cpu = statistics.median(b[1] for b in bases)
    # The first round's peak: a fresh process, as the --rss-against run is. Later
    # rounds start from what the allocator kept of the bench's own checking after
    # round 1 (100k accepted addresses, the sampled bodies), so they are printed
    # apart; the live Python objects stay the same from round to round.
    peak = rounds[0]["peak"]
    later = max((r["peak"] for r in rounds[1:]), default=None)
    report = rounds[0]["report"]
    print(f"subscribers            {args.n:>10,}   ({len(rounds)} rounds, medians)")
    print(f"look-alike runs in     {'this process' if args.server == 'thread' else 'a child':>10}")
    ledger_in = "PostgreSQL" if postgres is not None else "SQLite"
    print(f"runners, ledger        {args.workers:>10}   ({ledger_in}; CPU counts every runner)")
    print(f"segments rendered      {report.renders:>10,}")
    print(f"requests (202)         {rounds[0]['requests']:>10,}")
    print(
        f"recipients accepted    {recipients:>10,}   (skipped: {report.after.get('skipped', 0):,}, "
        f"accepted twice: {sum(r['twice'] for r in rounds):,} over all rounds)"
    )
    print(
        f"bodies checked/invalid {sum(r['kept'] for r in rounds):>10,} / "
        f"{sum(r['invalid'] for r in rounds)}"
    )
    print(f"fan-out (wall clock)   {recipients / wall:>10,.0f} recipients/s  ({wall:.1f} s)")
    whose = "digest" if args.server == "process" else "digest + look-alike"
    rate = recipients / cpu
    print(f"fan-out (CPU)          {rate:>10,.0f} recipients/CPU-s  ({cpu:.1f} s of {whose})")
    if args.server == "process":  # what the machine's cores also spent on the receiving end
        server_cpu = statistics.median(r["server_cpu"] for r in rounds)
        print(
            f"look-alike (CPU)       {recipients / server_cpu:>10,.0f} recipients/CPU-s  "
            f"({server_cpu:.1f} s, its whole life; {os.cpu_count()} cores, load "
            f"{os.getloadavg()[0]:.1f})"
        )
    if postgres is not None:
        print_bound(rounds, recipients, wall, cpu)
    print(
        f"baseline (render each) {base_rate:>10,.0f} recipients/s, "
        f"{base_cpu:,.0f} recipients/CPU-s  ({args.baseline:,} recipients)"
    )
    print(
        f"speed-up               {recipients / wall / base_rate:>10,.1f} x wall clock, "
        f"{rate / base_cpu:.1f} x CPU"
    )
    print(
        f"peak RSS               {peak:>10,.0f} MB  (first round, fresh process; before sending: "
        f"{rounds[0]['before']:,.0f} MB)"
    )
    if later is not None:
        print(f"peak RSS, later rounds {later:>10,.0f} MB  (this process, after round 1's checks)")
    setup = max(r["setup"] for r in rounds)
    print(f"set-up peak RSS        {setup:>10,.0f} MB  (importing the readers, its own process)")
    rss = ""
    if args.rss_against:
        small, small_before, small_setup = small_peak(
            args.rss_against, postgres is not None, args.workers
        )
        # The readers are imported by a process of their own, so the peak is the
        # sending process's; the set-up's peaks are printed beside it.
        grown, small_grown = peak - rounds[0]["before"], small - small_before
        rss = (
            f"; peak RSS of the send {peak:.0f} MB vs {small:.0f} MB at {args.rss_against // 1000}k"
            f" ({(peak / small - 1) * 100:+.0f}%; set-up {setup:.0f} vs {small_setup:.0f} MB)"
        )
        print(
            f"peak RSS at {args.rss_against:,}     {small:>10,.0f} MB  "
            f"({args.n:,} is {(peak / small - 1) * 100:+.0f}%; grown while sending: "
            f"{grown:,.0f} MB vs {small_grown:,.0f} MB)"
        )
        print(
            f"set-up peak at {args.rss_against:,}  {small_setup:>10,.0f} MB  "
            f"({args.n:,} is {(setup / small_setup - 1) * 100:+.0f}%)"
        )
    print(
        table_row(
            f"fan-out, {args.n // 1000}k subscribers to the local SendGrid server"
            + (f", {args.workers} runners on PostgreSQL" if args.workers > 1 else "")
            + (" (ledger in PostgreSQL)" if postgres is not None and args.workers == 1 else ""),
            f"{recipients / wall / 1000:.1f}k recipients/s wall, {rate / 1000:.1f}k/CPU-s{rss}",
            f"per-recipient render {base_cpu:,.0f}/CPU-s",
            rate / base_cpu,
            "≥ 30k recipients/CPU-s in one process; ≥ 50k/s wall with two runners; "
            "peak RSS flat in N",
        )
    )  # fmt: skip


def print_bound(rounds: list[dict[str, Any]], recipients: int, wall: float, cpu: float) -> None:
    """The PostgreSQL server's CPU during the send, and the best wall clock the
    machine's cores allow for what every party spent (runners, look-alike,
    server): the bound the two-runner figure is measured against."""
    database = statistics.median(r["database_cpu"] for r in rounds)
    print(
        f"PostgreSQL (CPU)       {recipients / database:>10,.0f} recipients/CPU-s  "
        f"({database:.1f} s, its backends and postmaster during the send)"
    )
    server = statistics.median(r["server_cpu"] or 0.0 for r in rounds)
    cores = os.cpu_count() or 1
    best = (cpu + server + database) / cores
    print(
        f"bound by the cores     {recipients / best:>10,.0f} recipients/s  "
        f"({cpu:.1f} + {server:.1f} + {database:.1f} CPU-s over {cores} cores = {best:.1f} s;"
        f" measured {wall:.1f} s)"
    )


def small_peak(n: int, postgres: bool, workers: int) -> tuple[float, float, float]:
    """The peak RSS of a one-round fan-out to ``n`` readers, in a fresh process,
    its RSS before sending, and the peak of its set-up process."""
    out = subprocess.run(
        [sys.executable, __file__, "--n", str(n), "--rounds", "1", "--baseline", "10"]
        + (["--postgres"] if postgres else []) + ["--workers", str(workers)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    found: dict[str, float] = {}
    for text in out.splitlines():
        if text.startswith("peak RSS "):
            before = text.split("before sending:")[1].split()[0]
            found["peak"] = float(text.split()[2].replace(",", ""))
            found["before"] = float(before.replace(",", ""))
        if text.startswith("set-up peak RSS "):
            found["setup"] = float(text.split()[3].replace(",", ""))
    if len(found) == 3:
        return found["peak"], found["before"], found["setup"]
    raise SystemExit(f"no peak RSS in the output of the {n:,} run:\n{out}")


if __name__ == "__main__":
    main()
