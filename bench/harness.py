"""Drives the orgusers benchmarks: seeds a store, starts `orgusers serve` and the ceiling server,
and runs wrk workloads against each, alternating, on loopback. Standard library only.

The workloads run in rounds; a round runs each workload once against orgusers and once against
the ceiling (a minimal hyper server answering a fixed body of the same size). The machines here
are noisy, so the figures that count are ratios taken within a round (orgusers to the ceiling, a
deep page to the first), and the CPU time each server spent per request (from /proc), which noise
from other processes barely moves."""

import argparse
import http.client
import json
import os
import pathlib
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote

ROOT = pathlib.Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
ORGUSERS = ROOT / "target" / "release" / "orgusers"
CEILING = ROOT / "target" / "release" / "orgusers-bench-ceiling"
KEY = "sk-admin-bench-key-000000000000000000"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The PostgreSQL database the harness creates (and drops first) when none is named.
DEFAULT_PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_PG_DATABASE = "orgusers_bench"


def log(message):
    print(message, file=sys.stderr, flush=True)


def start(cmd, env=None):
    """Starts a server that prints `listening on http://HOST:PORT` first; returns (process, port)."""
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    first = process.stdout.readline().strip()
    match = re.match(r"listening on http://127\.0\.0\.1:(\d+)$", first)
    if not match:
        process.kill()
        raise SystemExit(f"{cmd[0]} did not start: {first!r}")
    return process, int(match.group(1))


def stop(process):
    process.kill()
    process.wait()


def get(port, path, key=KEY):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def proc_status_kib(pid, field):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User plus system CPU time of a process so far."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def parse_duration_ms(text):
    number = re.match(r"[\d.]+", text).group(0)
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[text[len(number):]]


def wrk(port, pid, script, env, connections, args):
    """One wrk run; returns req/s, p50, p99, non-2xx and the server's CPU µs per request."""
    cmd = ["wrk", f"-t{args.threads}", f"-c{connections}", f"-d{args.duration}s", "--latency",
           "-s", str(BENCH / "wrk" / script), f"http://127.0.0.1:{port}"]
    cpu_before = cpu_seconds(pid)
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, check=True).stdout
    cpu = cpu_seconds(pid) - cpu_before
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": parse_duration_ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": parse_duration_ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "non2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "cpu_us": cpu * 1e6 / max(requests, 1),
    }


def median_of(runs, key):
    return statistics.median(run[key] for run in runs)


def prepare_postgres(url, admin_url):
    """Returns a database URL for the PostgreSQL rows, or None (with the reason logged)."""
    if url:
        return url
    if not shutil.which("psql"):
        log("PostgreSQL rows skipped: no psql on this machine (name a database with --postgres URL)")
        return None
    for sql in (f"DROP DATABASE IF EXISTS {BENCH_PG_DATABASE}", f"CREATE DATABASE {BENCH_PG_DATABASE}"):
        done = subprocess.run(["psql", admin_url, "-qc", sql], capture_output=True, text=True)
        if done.returncode != 0:
            log(f"PostgreSQL rows skipped: {done.stderr.strip() or 'psql failed'}")
            return None
    base, _, query = admin_url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + BENCH_PG_DATABASE + (f"?{query}" if query else "")


def run_store(label, database, args, work):
    env = {**os.environ, "ORGUSERS_LOG": "warn"}
    results = {"label": label}

    log(f"[{label}] seeding {args.users:,} users")
    started = time.perf_counter()
    subprocess.run([str(ORGUSERS), "seed", "--database", database, "--count", str(args.users)], check=True, env=env,
                   stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    results["import"] = {"users": args.users, "seconds": seconds, "users_per_s": args.users / seconds}

    # Startup: from spawn to the first 200 of an authenticated list.
    started = time.perf_counter()
    server, port = start([str(ORGUSERS), "serve", "--listen", "127.0.0.1:0", "--database", database,
                          "--admin-key", KEY], env=env)
    while True:
        try:
            if get(port, "/v1/organization/users?limit=1")[0] == 200:
                break
        except OSError:
            pass
    results["startup_ms"] = (time.perf_counter() - started) * 1000

    log(f"[{label}] exporting ids")
    ids_file = work / f"{label}-ids.txt"
    dump = subprocess.run([str(ORGUSERS), "export", "--database", database], capture_output=True, text=True,
                          check=True, env=env).stdout
    users = [json.loads(line) for line in dump.splitlines()]
    del dump
    ids_file.write_text("".join(user["id"] + "\n" for user in users))
    middle, near_end = users[len(users) // 2]["id"], users[max(0, len(users) - 50)]["id"]
    sample = users[:: max(1, len(users) // 100)][:100]
    one_email = "emails[]=" + quote(users[len(users) // 3]["email"], safe="")
    hundred_emails = "&".join("emails[]=" + quote(u["email"], safe="") for u in sample)
    first_id = users[0]["id"]
    del users

    c = args.connections
    workloads = [
        ("retrieve random ids", "retrieve.lua", None, c),
        ("list first page, limit 20", "fixed.lua", "/v1/organization/users?limit=20", c),
        ("list first page, limit 100", "fixed.lua", "/v1/organization/users?limit=100", c),
        ("list deep page (middle), limit 20", "fixed.lua", f"/v1/organization/users?limit=20&after={middle}", c),
        ("list deep page (near end), limit 20", "fixed.lua", f"/v1/organization/users?limit=20&after={near_end}", c),
        ("emails filter, 1 address", "fixed.lua", f"/v1/organization/users?{one_email}", c),
        ("emails filter, 100 addresses", "fixed.lua", f"/v1/organization/users?limit=100&{hundred_emails}", c),
        # One connection: the latency of a request alone, without queueing behind others.
        ("retrieve random ids, 1 connection", "retrieve.lua", None, 1),
        ("emails filter, 100 addresses, 1 connection", "fixed.lua",
         f"/v1/organization/users?limit=100&{hundred_emails}", 1),
        # Last: its deletes would turn later retrieves into 404s.
        ("mixed reads and writes", "mixed.lua", None, c),
    ]
    probes = {}
    for name, script, path, connections in workloads:
        status, body = get(port, path or f"/v1/organization/users/{first_id}")
        if status != 200:
            raise SystemExit(f"[{label}] {name}: the probe answered {status}: {body[:200]!r}")
        probes[name] = len(body)
    # A round runs every workload once, against orgusers and then the ceiling, so that the
    # workloads compared by a target (a deep page and the first, the filter and a retrieve) are
    # measured minutes apart at most, in the same round, and compared round by round. The mixed
    # workload runs after the others: its deletes would turn their retrieves into 404s.
    interleaved = [w for w in workloads if w[1] != "mixed.lua"]
    last = [w for w in workloads if w[1] == "mixed.lua"]
    runs = {name: ([], []) for name, *_ in workloads}

    def measure(name, script, path, connections):
        size = probes[name]
        env_wrk = {"BENCH_KEY": KEY, "BENCH_IDS": str(ids_file), "BENCH_DIR": str(BENCH), "BENCH_PATH": path or ""}
        ours, theirs = runs[name]
        ours.append(wrk(port, server.pid, script, env_wrk, connections, args))
        ceiling, ceiling_port = start([str(CEILING), "127.0.0.1:0", str(size)])
        theirs.append(wrk(ceiling_port, ceiling.pid, script, env_wrk, connections, args))
        stop(ceiling)

    for round_no in range(1, args.rounds + 1):
        log(f"[{label}] round {round_no} of {args.rounds}: {len(interleaved)} workloads")
        for workload in interleaved:
            measure(*workload)
    for workload in last:
        log(f"[{label}] {workload[0]}: {args.rounds} rounds")
        for _ in range(args.rounds):
            measure(*workload)

    rows = []
    for name, script, path, connections in workloads:
        ours, theirs = runs[name]
        rows.append({
            "workload": name, "bytes": probes[name], "connections": connections,
            "rps": median_of(ours, "rps"), "p50": median_of(ours, "p50"), "p99": median_of(ours, "p99"),
            "non2xx": sum(r["non2xx"] for r in ours), "cpu_us": median_of(ours, "cpu_us"),
            "ceiling_rps": median_of(theirs, "rps"), "ceiling_cpu_us": median_of(theirs, "cpu_us"),
            # The ratio of each round, then their median: both servers of a round saw the same noise.
            "ratio": statistics.median(o["rps"] / t["rps"] for o, t in zip(ours, theirs)),
            "rounds": {"orgusers": ours, "ceiling": theirs},
        })
    results["rows"] = rows
    results["rss_peak_kib"] = proc_status_kib(server.pid, "VmHWM")
    results["rss_now_kib"] = proc_status_kib(server.pid, "VmRSS")
    stop(server)
    return results


def row_named(results, name):
    return next(row for row in results["rows"] if row["workload"] == name)


def per_round(row, other, ratio):
    """The median over rounds of ratio(row's run, other's run of the same round)."""
    pairs = zip(row["rounds"]["orgusers"], other["rounds"]["orgusers"])
    return statistics.median(ratio(a, b) for a, b in pairs)


def targets(r):
    """The issue's targets, as (target, measured, met) rows, for one store's results."""
    first = row_named(r, "list first page, limit 20")
    retrieve = row_named(r, "retrieve random ids")
    alone = row_named(r, "retrieve random ids, 1 connection")
    emails_alone = row_named(r, "emails filter, 100 addresses, 1 connection")
    deep = [row_named(r, f"list deep page ({where}), limit 20") for where in ("middle", "near end")]
    # Workloads compared by a target ran in the same rounds: compare round by round, take the
    # median of the rounds, and of the two deep pages the dearer.
    deep_cost = max(per_round(row, first, lambda a, b: a["cpu_us"] / b["cpu_us"]) for row in deep)
    deep_rps = max(per_round(first, row, lambda a, b: a["rps"] / b["rps"]) for row in deep)
    answered = emails_alone["rps"] > 0 and alone["rps"] > 0
    emails_latency = (per_round(emails_alone, alone, lambda a, b: a["p50"] / b["p50"])
                      if answered else float("inf"))
    imp = r["import"]["users_per_s"]
    rss = r["rss_peak_kib"] / 1024
    return [
        ("list(limit=20) ≥ 40 % of the ceiling's req/s", f"{first['ratio']:.0%}", first["ratio"] >= 0.40),
        ("retrieve ≥ 60 % of the ceiling's req/s", f"{retrieve['ratio']:.0%}", retrieve["ratio"] >= 0.60),
        ("deep page ≤ 1.2 × the first page's cost",
         f"{deep_cost:.2f} × in CPU per request, {deep_rps:.2f} × in req/s", deep_cost <= 1.2),
        ("emails with 100 addresses ≤ 2 × a retrieve's latency",
         f"{emails_latency:.1f} × (p50 alone: {emails_alone['p50']:.3f} ms vs {alone['p50']:.3f} ms)"
         if answered else "no answer within a run", emails_latency <= 2),
        ("import ≥ 200,000 users/s", f"{imp:,.0f} users/s", imp >= 200_000),
        ("RSS while serving ≤ 64 MiB", f"{rss:.1f} MiB peak", rss <= 64),
        ("start to first 200 ≤ 50 ms", f"{r['startup_ms']:.0f} ms", r["startup_ms"] <= 50),
    ]


def markdown(all_results, args, command):
    lines = [f"Command: `{command}`", "",
             f"Machine: {os.cpu_count()} cores; wrk -t{args.threads} -c{args.connections} -d{args.duration}s on "
             f"loopback, {args.rounds} rounds, each running every workload against orgusers then the ceiling; "
             f"{args.users:,} users. Figures are medians of the rounds; CPU is the server's user + system "
             f"time per request.", ""]
    for r in all_results:
        lines += [f"### {r['label']}", "",
                  "| workload | bytes | req/s | p50 ms | p99 ms | non-2xx | CPU µs/req | ceiling req/s | "
                  "ceiling CPU µs/req | ratio |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in r["rows"]:
            lines.append(f"| {row['workload']} | {row['bytes']} | {row['rps']:,.0f} | {row['p50']:.3f} | "
                         f"{row['p99']:.3f} | {row['non2xx']} | {row['cpu_us']:.1f} | {row['ceiling_rps']:,.0f} | "
                         f"{row['ceiling_cpu_us']:.1f} | {row['ratio']:.0%} |")
        imp = r["import"]
        lines += ["",
                  f"- import (seed): {imp['users']:,} users in {imp['seconds']:.1f} s = {imp['users_per_s']:,.0f} users/s",
                  f"- start to first 200: {r['startup_ms']:.0f} ms",
                  f"- server RSS: peak {r['rss_peak_kib'] / 1024:.1f} MiB, at the end {r['rss_now_kib'] / 1024:.1f} MiB",
                  "", "| target | measured | met |", "|---|---|---|"]
        lines += [f"| {t} | {m} | {'yes' if ok else 'no'} |" for t, m, ok in targets(r)]
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per workload and server")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (the machine has few cores)")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL database to fill, as it is")
    parser.add_argument("--postgres-admin", metavar="URL",
                        default=os.environ.get("ORGUSERS_BENCH_POSTGRES_ADMIN", DEFAULT_PG_ADMIN_URL),
                        help=f"without --postgres: where to (re)create the database {BENCH_PG_DATABASE} "
                             f"(default {DEFAULT_PG_ADMIN_URL})")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    command = "bench/run.sh " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        stores = [("SQLite", f"sqlite://{work / 'bench.db'}")]
        if not args.no_postgres:
            url = prepare_postgres(args.postgres, args.postgres_admin)
            if url:
                stores.append(("PostgreSQL", url))
        for label, database in stores:
            results.append(run_store(label, database, args, work))
            # Written after each store, so a long run keeps what it measured.
            write_results(results, args, command)
    print(markdown(results, args, command))


def write_results(results, args, command):
    out_dir = BENCH / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "latest.md").write_text(markdown(results, args, command) + "\n")
    (out_dir / "latest.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
