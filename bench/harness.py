"""Drives the orgusers benchmarks: seeds a store, starts `orgusers serve` and the ceiling server,
and runs wrk workloads against each in turn on loopback. Standard library only."""

import argparse
import http.client
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
ORGUSERS = ROOT / "target" / "release" / "orgusers"
CEILING = ROOT / "target" / "release" / "orgusers-bench-ceiling"
KEY = "sk-admin-bench-key-000000000000000000"


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


def get(port, path, key=KEY):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def rss_kib(pid, field):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def parse_duration_ms(text):
    value = float(re.match(r"[\d.]+", text).group(0))
    unit = text[len(re.match(r"[\d.]+", text).group(0)):]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(port, script, env, args):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
           "-s", str(BENCH / "wrk" / script), f"http://127.0.0.1:{port}"]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = parse_duration_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = parse_duration_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": int(non_2xx.group(1)) if non_2xx else 0}


def run_store(label, database, args, work):
    env = {**os.environ, "ORGUSERS_LOG": "warn"}
    results = {"label": label}

    log(f"[{label}] seeding {args.users} users")
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
    with open(ids_file, "w") as out:
        dump = subprocess.run([str(ORGUSERS), "export", "--database", database], capture_output=True, text=True,
                              check=True, env=env).stdout
        users = [json.loads(line) for line in dump.splitlines()]
        for user in users:
            out.write(user["id"] + "\n")
    middle, near_end = users[len(users) // 2]["id"], users[max(0, len(users) - 50)]["id"]
    sample = users[:: max(1, len(users) // 100)][:100]
    one_email = "emails[]=" + quote(users[len(users) // 3]["email"])
    hundred_emails = "&".join("emails[]=" + quote(u["email"]) for u in sample)
    del dump, users

    workloads = [
        ("retrieve random ids", "retrieve.lua", None),
        ("list first page, limit 20", "fixed.lua", "/v1/organization/users?limit=20"),
        ("list first page, limit 100", "fixed.lua", "/v1/organization/users?limit=100"),
        ("list deep page (middle), limit 20", "fixed.lua", f"/v1/organization/users?limit=20&after={middle}"),
        ("list deep page (near end), limit 20", "fixed.lua", f"/v1/organization/users?limit=20&after={near_end}"),
        ("emails filter, 1 address", "fixed.lua", f"/v1/organization/users?{one_email}"),
        ("emails filter, 100 addresses", "fixed.lua", f"/v1/organization/users?limit=100&{hundred_emails}"),
        ("mixed reads and writes", "mixed.lua", None),
    ]
    rows = []
    for name, script, path in workloads:
        env_wrk = {"BENCH_KEY": KEY, "BENCH_IDS": str(ids_file), "BENCH_DIR": str(BENCH), "BENCH_PATH": path or ""}
        probe = path or f"/v1/organization/users/{first_line(ids_file)}"
        size = len(get(port, probe)[1])
        log(f"[{label}] {name}: {size}-byte answers")
        ours = wrk(port, script, env_wrk, args)
        ceiling, ceiling_port = start([str(CEILING), "127.0.0.1:0", str(size)])
        theirs = wrk(ceiling_port, script, env_wrk, args)
        ceiling.kill()
        ceiling.wait()
        rows.append({"workload": name, "bytes": size, **ours, "ceiling_rps": theirs["rps"],
                     "ratio": ours["rps"] / theirs["rps"]})
    results["rows"] = rows
    results["rss_peak_kib"] = rss_kib(server.pid, "VmHWM")
    results["rss_now_kib"] = rss_kib(server.pid, "VmRSS")
    server.kill()
    server.wait()
    return results


def quote(text):
    from urllib.parse import quote as q
    return q(text, safe="")


def first_line(path):
    with open(path) as f:
        return f.readline().strip()


def markdown(all_results, args, command):
    lines = [f"Command: `{command}`", "",
             f"Machine: {os.cpu_count()} cores; wrk -t{args.threads} -c{args.connections} -d{args.duration}s on loopback; "
             f"{args.users:,} users.", ""]
    for r in all_results:
        lines += [f"### {r['label']}", "",
                  "| workload | bytes | req/s | p50 ms | p99 ms | non-2xx | ceiling req/s | ratio |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for row in r["rows"]:
            lines.append(f"| {row['workload']} | {row['bytes']} | {row['rps']:,.0f} | {row['p50']:.2f} | {row['p99']:.2f} | "
                         f"{row['non2xx']} | {row['ceiling_rps']:,.0f} | {row['ratio']:.0%} |")
        imp = r["import"]
        lines += ["",
                  f"- import (seed): {imp['users']:,} users in {imp['seconds']:.1f} s = {imp['users_per_s']:,.0f} users/s",
                  f"- start to first 200: {r['startup_ms']:.0f} ms",
                  f"- server RSS: peak {r['rss_peak_kib'] / 1024:.1f} MiB, at the end {r['rss_now_kib'] / 1024:.1f} MiB", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (the machine has few cores)")
    parser.add_argument("--postgres", help="also measure PostgreSQL at this URL (a database the harness may fill)")
    args = parser.parse_args()
    command = "bench/run.sh " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        stores = [("SQLite", f"sqlite://{work / 'bench.db'}")]
        if args.postgres:
            stores.append(("PostgreSQL", args.postgres))
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
