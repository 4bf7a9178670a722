"""Times reads of the audit log over a large store, on SQLite: fills an organization's audit log
with N entries (default 1,000,000; written straight into the store file in the server's own
format, as a long history of changes would have left them), starts `orgusers serve` as a user
would, and runs wrk on filtered pages of `GET /v1/organization/audit_logs`, each against
orgusers and then against the ceiling server with a body of the same size, for several rounds.
Standard library only (and wrk).

    python3 bench/audit_logs.py [--entries 1000000] [--duration 5] [--rounds 3]

Needs the release build of orgusers and of the ceiling (`bench/run.sh` makes both)."""

import argparse
import json
import pathlib
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from types import SimpleNamespace
from urllib.parse import quote

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from harness import BENCH, CEILING, KEY, ORGUSERS, get, log, start, stop, wrk  # noqa: E402

# Event types in the proportions a busy organization's history might have.
TYPES = [("user.updated", 30), ("user.added", 15), ("user.deleted", 5), ("group.updated", 15),
         ("project.updated", 10), ("project.created", 3), ("invite.sent", 10), ("invite.accepted", 5),
         ("role.assignment.created", 5), ("api_key.created", 2)]


def fill(path, entries, seed):
    """Writes `entries` audit log entries for the store's first organization; returns what the
    filters will ask for: a rare resource, a project, an actor key and a time range."""
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    org = db.execute("SELECT seq FROM organizations ORDER BY seq LIMIT 1").fetchone()[0]
    users = [r[0] for r in db.execute("SELECT id FROM users WHERE org = ? LIMIT 5000", (org,))]
    projects = [r[0] for r in db.execute("SELECT id FROM projects WHERE org = ?", (org,))]
    keys = [r[0] for r in db.execute("SELECT id FROM admin_keys")]
    names, weights = zip(*TYPES)
    start_at = 1_700_000_000
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    def rows():
        for n in range(entries):
            kind = rng.choices(names, weights)[0]
            resource = rng.choice(projects) if kind.startswith("project.") else rng.choice(users)
            project = resource if kind.startswith("project.") else (
                rng.choice(projects) if rng.random() < 0.3 else None)
            payload = {"id": resource}
            if kind == "user.updated":
                payload["changes_requested"] = {"role": rng.choice(["owner", "reader"])}
            entry_id = "audit_log-" + "".join(rng.choice(alphabet) for _ in range(24))
            yield (org, entry_id, kind, start_at + n // 4, resource, json.dumps(payload, separators=(",", ":")),
                   rng.choice(keys), project)

    db.execute("BEGIN")
    db.executemany("INSERT INTO audit_log (org, id, type, effective_at, resource_id, payload, "
                   "actor_key_id, project_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows())
    db.commit()
    db.execute("ANALYZE")
    db.close()
    end_at = start_at + entries // 4
    return {"resource": users[7], "project": projects[1 % len(projects)], "actor": keys[0],
            "since": start_at + (end_at - start_at) // 2, "until": start_at + (end_at - start_at) * 3 // 4}


def filtered_pages(wanted):
    """The workloads: (name, path) of each filtered page, for what `fill` returned."""
    base = "/v1/organization/audit_logs?limit=20"
    return [
        ("first page, no filter", base),
        ("event_types[]=user.updated", f"{base}&event_types[]=user.updated"),
        ("two event types and a time range", f"{base}&event_types[]=user.added&event_types[]=invite.sent"
         f"&effective_at[gte]={wanted['since']}&effective_at[lt]={wanted['until']}"),
        ("resource_ids[] (one user)", f"{base}&resource_ids[]={quote(wanted['resource'])}"),
        ("project_ids[] (one project)", f"{base}&project_ids[]={quote(wanted['project'])}"),
        ("actor_ids[] and an event type", f"{base}&actor_ids[]={wanted['actor']}&event_types[]=group.updated"),
    ]


def seeded_store(orgusers, path, entries):
    """A seeded store at `path` with an admin key and `entries` audit log entries; returns what
    the filters ask for."""
    subprocess.run([str(orgusers), "seed", "--database", f"sqlite://{path}", "--count", "5000",
                    "--seed", "3"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(orgusers), "keys", "create", "--database", f"sqlite://{path}"],
                   check=True, stdout=subprocess.DEVNULL)
    log(f"writing {entries:,} audit log entries")
    return fill(path, entries, 7)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--orgusers", type=pathlib.Path, default=ORGUSERS)
    args = parser.parse_args()
    wrk_args = SimpleNamespace(threads=1, duration=args.duration)
    with tempfile.TemporaryDirectory() as work:
        path = f"{work}/audit.db"
        wanted = seeded_store(args.orgusers, path, args.entries)
        server, port = start([str(args.orgusers), "serve", "--listen", "127.0.0.1:0", "--database",
                              f"sqlite://{path}", "--admin-key", KEY], log_file=f"{work}/serve.log")
        workloads = filtered_pages(wanted)
        sizes = {}
        for name, path_ in workloads:
            status, body = get(port, path_)
            if status != 200:
                raise SystemExit(f"{name}: {status} {body[:300]!r}")
            sizes[name] = len(body)
        runs = {name: ([], []) for name, _ in workloads}
        try:
            for round_ in range(args.rounds):
                for name, path_ in workloads:
                    env = {"BENCH_DIR": str(BENCH), "BENCH_PATH": path_, "BENCH_KEY": KEY}
                    ours = wrk(port, server.pid, "fixed.lua", env, args.connections, wrk_args)
                    ceiling, ceiling_port = start([str(CEILING), "127.0.0.1:0", str(sizes[name])])
                    try:
                        theirs = wrk(ceiling_port, ceiling.pid, "fixed.lua", env, args.connections, wrk_args)
                    finally:
                        stop(ceiling)
                    runs[name][0].append(ours)
                    runs[name][1].append(theirs)
                    log(f"round {round_ + 1}, {name}: {ours['rps']:.0f} req/s, p99 {ours['p99']:.2f} ms "
                        f"(ceiling {theirs['rps']:.0f} req/s)")
        finally:
            stop(server)
    print(f"| filter ({args.entries:,} entries, {args.connections} connections) | body bytes | req/s "
          f"| p99 ms | share of the ceiling |")
    print("|---|---|---|---|---|")
    for name, _ in workloads:
        ours, theirs = runs[name]
        share = statistics.median(o["rps"] / t["rps"] for o, t in zip(ours, theirs))
        print(f"| {name} | {sizes[name]} | {statistics.median(o['rps'] for o in ours):.0f} "
              f"| {statistics.median(o['p99'] for o in ours):.2f} | {share:.0%} |")


if __name__ == "__main__":
    main()
