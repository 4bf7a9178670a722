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
# `--orgusers PATH` measures another build (the code before a change, say) with the same harness.
ORGUSERS = ROOT / "target" / "release" / "orgusers"
CEILING = ROOT / "target" / "release" / "orgusers-bench-ceiling"
KEY = "sk-admin-bench-key-000000000000000000"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The PostgreSQL database the harness creates (and drops first) when none is named.
DEFAULT_PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_PG_DATABASE = "orgusers_bench"
BENCH_PG_IMPORT_DATABASE = "orgusers_bench_import"
# The connections of the run whose peak RSS is the memory figure.
MEMORY_CONNECTIONS = 256


def log(message):
    print(message, file=sys.stderr, flush=True)


def start(cmd, env=None, log_file=None):
    """Starts a server that prints `listening on http://HOST:PORT` first; returns (process, port).
    Its standard error goes to `log_file` (as a user's would go to a file or a journal), else nowhere."""
    stderr = open(log_file, "ab") if log_file else subprocess.DEVNULL
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    if log_file:
        stderr.close()
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


def prepare_postgres(url, admin_url, database):
    """Returns a database URL for the PostgreSQL rows, or None (with the reason logged): `url` as
    it is, else `database` dropped and created afresh through `admin_url`."""
    if url:
        return url
    if not shutil.which("psql"):
        log("PostgreSQL rows skipped: no psql on this machine (name a database with --postgres URL)")
        return None
    for sql in (f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}"):
        done = subprocess.run(["psql", admin_url, "-qc", sql], capture_output=True, text=True)
        if done.returncode != 0:
            log(f"PostgreSQL rows skipped: {done.stderr.strip() or 'psql failed'}")
            return None
    base, _, query = admin_url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + database + (f"?{query}" if query else "")


def run_store(label, database, import_database, args, work):
    # Everything at its defaults, the log level included: users run the defaults.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGUSERS_")}
    results = {"label": label}

    log(f"[{label}] seeding {args.users:,} users")
    started = time.perf_counter()
    subprocess.run([str(ORGUSERS), "seed", "--database", database, "--count", str(args.users)], check=True, env=env,
                   stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    results["seed"] = {"users": args.users, "seconds": seconds, "users_per_s": args.users / seconds}

    log(f"[{label}] exporting, then importing the export into an empty store")
    export_file = work / f"{label}-export.jsonl"
    with open(export_file, "wb") as out:
        subprocess.run([str(ORGUSERS), "export", "--database", database], stdout=out, check=True, env=env,
                       stderr=subprocess.DEVNULL)
    started = time.perf_counter()
    subprocess.run([str(ORGUSERS), "import", "--database", import_database, str(export_file)], check=True, env=env,
                   stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    results["import"] = {"users": args.users, "seconds": seconds, "users_per_s": args.users / seconds}

    # Startup: from spawn to the first 200 of an authenticated list.
    started = time.perf_counter()
    server, port = start([str(ORGUSERS), "serve", "--listen", "127.0.0.1:0", "--database", database,
                          "--admin-key", KEY], env=env, log_file=work / f"{label}-serve.log")
    while True:
        try:
            if get(port, "/v1/organization/users?limit=1")[0] == 200:
                break
        except OSError:
            pass
    results["startup_ms"] = (time.perf_counter() - started) * 1000

    ids_file = work / f"{label}-ids.txt"
    with open(export_file) as lines:
        # The export holds the rest of the directory after the users.
        users = [user for user in map(json.loads, lines) if user.get("object", "organization.user") == "organization.user"]
    ids_file.write_text("".join(user["id"] + "\n" for user in users))
    middle, near_end = users[len(users) // 2]["id"], users[max(0, len(users) - 50)]["id"]
    sample = users[:: max(1, len(users) // 100)][:100]
    one_email = "emails[]=" + quote(users[len(users) // 3]["email"], safe="")
    hundred_emails = "&".join("emails[]=" + quote(u["email"], safe="") for u in sample)
    first_id = users[0]["id"]
    del users

    first_page = "/v1/organization/users?limit=20"
    under_load = [
        ("retrieve random ids", "retrieve.lua", None),
        ("list first page, limit 20", "fixed.lua", first_page),
        ("list first page, limit 100", "fixed.lua", "/v1/organization/users?limit=100"),
        ("list deep page (middle), limit 20", "fixed.lua", f"{first_page}&after={middle}"),
        ("list deep page (near end), limit 20", "fixed.lua", f"{first_page}&after={near_end}"),
        ("emails filter, 1 address", "fixed.lua", f"/v1/organization/users?{one_email}"),
        ("emails filter, 100 addresses", "fixed.lua", f"/v1/organization/users?limit=100&{hundred_emails}"),
    ]
    workloads = [(f"{name}, {c} connections", script, path, c)
                 for c in args.connections for name, script, path in under_load]
    workloads += [
        # One connection: the latency of a request alone, without queueing behind others.
        ("retrieve random ids, 1 connection", "retrieve.lua", None, 1),
        ("emails filter, 100 addresses, 1 connection", "fixed.lua",
         f"/v1/organization/users?limit=100&{hundred_emails}", 1),
    ]
    # Last: their deletes would turn later retrieves into 404s. The 256-connection run is the
    # memory figure: the server's peak RSS is read before it and after it.
    mixed = [(f"mixed reads and writes, {c} connections", "mixed.lua", None, c)
             for c in [*args.connections, MEMORY_CONNECTIONS]]
    workloads += mixed
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
        if workload[3] == MEMORY_CONNECTIONS:
            results["rss_before_memory_run_kib"] = proc_status_kib(server.pid, "VmHWM")
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


def targets(r, args):
    """The targets, as (target, measured, met) rows, for one store's results. The throughput
    targets are read at the largest connection count of the run (64 by default)."""
    c = max(args.connections)
    def at(name):
        return row_named(r, f"{name}, {c} connections")
    retrieve, first, hundred = at("retrieve random ids"), at("list first page, limit 20"), at("list first page, limit 100")
    emails = at("emails filter, 100 addresses")
    alone = row_named(r, "retrieve random ids, 1 connection")
    emails_alone = row_named(r, "emails filter, 100 addresses, 1 connection")
    deep = [at(f"list deep page ({where}), limit 20") for where in ("middle", "near end")]
    # Workloads compared by a target ran in the same rounds: compare round by round, take the
    # median of the rounds, and of the two deep pages the dearer.
    deep_cost = max(per_round(row, first, lambda a, b: a["cpu_us"] / b["cpu_us"]) for row in deep)
    deep_rps = max(per_round(first, row, lambda a, b: a["rps"] / b["rps"]) for row in deep)
    answered = emails_alone["rps"] > 0 and alone["rps"] > 0
    emails_latency = (per_round(emails_alone, alone, lambda a, b: a["p50"] / b["p50"])
                      if answered else float("inf"))
    imp = r["import"]["users_per_s"]
    serving = r["rss_before_memory_run_kib"] / 1024
    peak = r["rss_peak_kib"] / 1024
    def ratio(label, row, floor):
        return (f"{label} ≥ {floor:.0%} of the ceiling's req/s ({c} connections)", f"{row['ratio']:.0%}",
                row["ratio"] >= floor)
    return [
        ratio("retrieve", retrieve, 0.60),
        ratio("list(limit=20)", first, 0.45),
        ratio("list(limit=100)", hundred, 0.35),
        ratio("emails filter, 100 addresses", emails, 0.25),
        (f"deep page ≤ 1.2 × the first page's cost ({c} connections)",
         f"{deep_cost:.2f} × in CPU per request, {deep_rps:.2f} × in req/s", deep_cost <= 1.2),
        ("emails with 100 addresses ≤ 2 × a retrieve's latency (p50, 1 connection)",
         f"{emails_latency:.1f} × (p50 alone: {emails_alone['p50']:.3f} ms vs {alone['p50']:.3f} ms)"
         if answered else "no answer within a run", emails_latency <= 2),
        ("import of an export ≥ 200,000 users/s", f"{imp:,.0f} users/s", imp >= 200_000),
        ("RSS while serving ≤ 64 MiB (peak before the 256-connection run)", f"{serving:.1f} MiB", serving <= 64),
        (f"peak RSS at {MEMORY_CONNECTIONS} connections ≤ 96 MiB", f"{peak:.1f} MiB", peak <= 96),
        ("start to first 200 ≤ 50 ms", f"{r['startup_ms']:.0f} ms", r["startup_ms"] <= 50),
    ]


MEMBERSHIP_PROJECTS = 10


def membership_file(path, users, memberships):
    """A directory of `users` users (owner first, readers after) in `path`: with `memberships`,
    each in the Default project (as an imported user without `projects` is) and in two of ten
    other projects; without, in none (every line gives an empty `projects`)."""
    projects = [f"proj_bench{i:019d}" for i in range(MEMBERSHIP_PROJECTS)]
    with open(path, "w") as out:
        for i in range(users):
            user = {"id": f"user-bench{i:014d}", "email": f"member.{i}@example.com", "name": f"Member {i}",
                    "role": "owner" if i == 0 else "reader", "added_at": 1_700_000_000 + i}
            if not memberships:
                user["projects"] = {"object": "list", "data": []}
            out.write(json.dumps(user) + "\n")
        if memberships:
            for n, project in enumerate(projects):
                out.write(json.dumps({"object": "organization.project", "id": project, "name": f"Product {n}",
                                      "created_at": 1_690_000_000 + n}) + "\n")
            for i in range(users):
                for project in (projects[i % MEMBERSHIP_PROJECTS], projects[(i + 3) % MEMBERSHIP_PROJECTS]):
                    out.write(json.dumps({"object": "organization.project.user", "project_id": project,
                                          "id": f"user-bench{i:014d}", "role": "member",
                                          "added_at": 1_700_000_000 + i}) + "\n")


def run_memberships(args, work):
    """Users' list at limit 20 and 100 on two SQLite stores of the same users: one where every
    user is in 3 projects, one where none is in any. Rounds alternate between the two servers;
    the figure is the median of the rounds' ratios (with / without)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGUSERS_")}
    servers = {}
    for label, memberships in (("without memberships", False), ("3 projects per user", True)):
        path = work / f"memberships-{memberships}.jsonl"
        membership_file(path, args.membership_users, memberships)
        database = f"sqlite://{work / f'memberships-{memberships}.db'}"
        log(f"[memberships] importing {args.membership_users:,} users, {label}")
        subprocess.run([str(ORGUSERS), "import", "--database", database, str(path)], check=True, env=env,
                       stderr=subprocess.DEVNULL)
        server, port = start([str(ORGUSERS), "serve", "--listen", "127.0.0.1:0", "--database", database,
                              "--admin-key", KEY], env=env, log_file=work / f"memberships-{memberships}.log")
        while True:
            try:
                if get(port, "/v1/organization/users?limit=1")[0] == 200:
                    break
            except OSError:
                pass
        status, body = get(port, "/v1/organization/users?limit=1")
        projects = len(json.loads(body)["data"][0]["projects"]["data"])
        if projects != (3 if memberships else 0):
            raise SystemExit(f"[memberships] {label}: the first user has {projects} projects")
        servers[label] = (server, port)
    c = max(args.connections)
    rows = []
    for limit in (20, 100):
        path = f"/v1/organization/users?limit={limit}"
        runs = {label: [] for label in servers}
        for round_no in range(args.rounds):
            for label, (server, port) in servers.items():
                env_wrk = {"BENCH_KEY": KEY, "BENCH_DIR": str(BENCH), "BENCH_PATH": path}
                runs[label].append(wrk(port, server.pid, "fixed.lua", env_wrk, c, args))
        without, with_ = runs["without memberships"], runs["3 projects per user"]
        rows.append({
            "workload": f"list first page, limit {limit}, {c} connections",
            "without_rps": median_of(without, "rps"), "with_rps": median_of(with_, "rps"),
            "without_cpu_us": median_of(without, "cpu_us"), "with_cpu_us": median_of(with_, "cpu_us"),
            "ratio": statistics.median(w["rps"] / o["rps"] for w, o in zip(with_, without)),
            "rounds": runs,
        })
    for server, _ in servers.values():
        stop(server)
    return {"label": "memberships", "users": args.membership_users, "rows": rows}


def memberships_markdown(r):
    lines = [f"### Users' list with and without project memberships (SQLite, {r['users']:,} users)", "",
             "| workload | without: req/s | 3 projects: req/s | without: CPU µs/req | 3 projects: CPU µs/req | "
             "ratio (rounds' median) |", "|---|---:|---:|---:|---:|---:|"]
    for row in r["rows"]:
        lines.append(f"| {row['workload']} | {row['without_rps']:,.0f} | {row['with_rps']:,.0f} | "
                     f"{row['without_cpu_us']:.1f} | {row['with_cpu_us']:.1f} | {row['ratio']:.0%} |")
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for row in r["rows"]:
        lines.append(f"| {row['workload']}: with 3 projects per user ≥ 90 % of without | {row['ratio']:.0%} | "
                     f"{'yes' if row['ratio'] >= 0.9 else 'no'} |")
    return lines + [""]


def markdown(all_results, args, command):
    lines = [f"Command: `{command}`", "",
             f"Machine: {os.cpu_count()} cores; wrk -t{args.threads} -d{args.duration}s on loopback at "
             f"{', '.join(map(str, args.connections))} connections (and 1, and {MEMORY_CONNECTIONS} for memory), "
             f"{args.rounds} rounds, each running every workload against orgusers then the ceiling; "
             f"{args.users:,} users. The server runs as `serve` starts it (log level `info`, one line per "
             f"request, to a file). Figures are medians of the rounds; CPU is the server's user + system "
             f"time per request.", ""]
    for r in all_results:
        if r["label"] == "memberships":
            lines += memberships_markdown(r)
            continue
        lines += [f"### {r['label']}", "",
                  "| workload | bytes | req/s | p50 ms | p99 ms | non-2xx | CPU µs/req | ceiling req/s | "
                  "ceiling CPU µs/req | ratio |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in r["rows"]:
            lines.append(f"| {row['workload']} | {row['bytes']} | {row['rps']:,.0f} | {row['p50']:.3f} | "
                         f"{row['p99']:.3f} | {row['non2xx']} | {row['cpu_us']:.1f} | {row['ceiling_rps']:,.0f} | "
                         f"{row['ceiling_cpu_us']:.1f} | {row['ratio']:.0%} |")
        seed, imp = r["seed"], r["import"]
        lines += ["",
                  f"- seed: {seed['users']:,} users in {seed['seconds']:.1f} s = {seed['users_per_s']:,.0f} users/s",
                  f"- import of that export into an empty store: {imp['users']:,} users in {imp['seconds']:.1f} s = "
                  f"{imp['users_per_s']:,.0f} users/s",
                  f"- start to first 200: {r['startup_ms']:.0f} ms",
                  f"- server RSS: peak {r['rss_before_memory_run_kib'] / 1024:.1f} MiB before the "
                  f"{MEMORY_CONNECTIONS}-connection run, {r['rss_peak_kib'] / 1024:.1f} MiB after it, "
                  f"{r['rss_now_kib'] / 1024:.1f} MiB at the end",
                  "", "| target | measured | met |", "|---|---|---|"]
        lines += [f"| {t} | {m} | {'yes' if ok else 'no'} |" for t, m, ok in targets(r, args)]
        lines.append("")
    return "\n".join(lines)


def connection_counts(text):
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("expected counts like 16,64")
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per workload and server")
    parser.add_argument("--connections", type=connection_counts, default=[16, 64],
                        help="comma-separated connection counts of the loaded runs (default 16,64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (the machine has few cores)")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL database to fill, as it is")
    parser.add_argument("--postgres-admin", metavar="URL",
                        default=os.environ.get("ORGUSERS_BENCH_POSTGRES_ADMIN", DEFAULT_PG_ADMIN_URL),
                        help=f"without --postgres: where to (re)create the database {BENCH_PG_DATABASE} "
                             f"(default {DEFAULT_PG_ADMIN_URL})")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--membership-users", type=int,
                        help="users of the two stores of the memberships comparison "
                             "(default: --users, at most 100,000)")
    parser.add_argument("--only-memberships", action="store_true",
                        help="run only users' list with and without project memberships")
    parser.add_argument("--no-memberships", action="store_true",
                        help="leave out users' list with and without project memberships (for "
                             "builds from before projects)")
    parser.add_argument("--orgusers", metavar="PATH", type=pathlib.Path,
                        help="the orgusers binary to measure (default: this tree's release build)")
    args = parser.parse_args()
    if args.membership_users is None:
        args.membership_users = min(args.users, 100_000)
    if args.orgusers:
        global ORGUSERS
        ORGUSERS = args.orgusers.resolve()
    command = "bench/run.sh " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        # (label, database served, database the export is imported into)
        stores = [("SQLite", f"sqlite://{work / 'bench.db'}", f"sqlite://{work / 'imported.db'}")]
        if args.only_memberships:
            stores = []
        elif not args.no_postgres:
            url = prepare_postgres(args.postgres, args.postgres_admin, BENCH_PG_DATABASE)
            imported = url and prepare_postgres(None, args.postgres_admin, BENCH_PG_IMPORT_DATABASE)
            if url and imported:
                stores.append(("PostgreSQL", url, imported))
        for label, database, import_database in stores:
            results.append(run_store(label, database, import_database, args, work))
            # Written after each store, so a long run keeps what it measured.
            write_results(results, args, command)
        if not args.no_memberships:
            results.append(run_memberships(args, work))
            write_results(results, args, command)
    print(markdown(results, args, command))


def write_results(results, args, command):
    out_dir = BENCH / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "latest.md").write_text(markdown(results, args, command) + "\n")
    (out_dir / "latest.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
