"""Times the write path on SQLite: seeds a store, then, for each build (or setting) named with
`--variant`, starts `orgusers serve` as a user would on a fresh copy of that store and runs the
writes-only workload (`bench/wrk/modify.lua`: each request modifies a random user) at each
connection count. Variants run interleaved, round after round, so that they share the
machine's noise; the figures to read are the ratios within a round. Standard library only (and
wrk).

    python3 bench/writes.py --variant now=target/release/orgusers \\
        --variant before=/path/to/other/orgusers [--users 200000] [--duration 8] [--rounds 3]

A variant is `LABEL=PATH` or `LABEL=PATH,NAME=VALUE,…` (environment variables of its server)."""

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
from types import SimpleNamespace

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from harness import KEY, ORGUSERS, log, start, stop, wrk  # noqa: E402


def variant(text):
    label, _, rest = text.partition("=")
    path, *settings = rest.split(",")
    if not label or not path:
        raise argparse.ArgumentTypeError(f"expected LABEL=PATH[,NAME=VALUE…], got {text!r}")
    env = dict(setting.split("=", 1) for setting in settings)
    return SimpleNamespace(label=label, path=pathlib.Path(path).resolve(), env=env)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", type=variant, action="append", required=True)
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", default="1,64")
    args = parser.parse_args()
    connections = [int(c) for c in args.connections.split(",")]
    wrk_args = SimpleNamespace(threads=1, duration=args.duration)
    results = {(v.label, c): [] for v in args.variant for c in connections}
    with tempfile.TemporaryDirectory() as work:
        seeded = f"{work}/seeded.db"
        first = args.variant[0].path if args.variant else ORGUSERS
        log(f"seeding {args.users} users")
        subprocess.run([str(first), "import", "--database", f"sqlite://{seeded}", "/dev/stdin"],
                       input="".join(f'{{"id":"user-w{i:07d}","email":"w{i}@example.com","role":"reader",'
                                     f'"added_at":{1_700_000_000 + i}}}\n' for i in range(args.users)),
                       text=True, check=True, stdout=subprocess.DEVNULL)
        ids = f"{work}/ids.txt"
        pathlib.Path(ids).write_text("".join(f"user-w{i:07d}\n" for i in range(args.users)))
        env = {"BENCH_DIR": str(pathlib.Path(__file__).resolve().parent), "BENCH_IDS": ids, "BENCH_KEY": KEY}
        for round_no in range(1, args.rounds + 1):
            for v in args.variant:
                database = f"{work}/run.db"
                for suffix in ("", "-wal", "-shm"):
                    pathlib.Path(database + suffix).unlink(missing_ok=True)
                shutil.copyfile(seeded, database)
                server, port = start([str(v.path), "serve", "--listen", "127.0.0.1:0", "--database",
                                      f"sqlite://{database}", "--admin-key", KEY],
                                     env={**os.environ, **v.env}, log_file=f"{work}/serve.log")
                try:
                    for c in connections:
                        r = wrk(port, server.pid, "modify.lua", env, c, wrk_args)
                        results[(v.label, c)].append(r)
                        log(f"round {round_no}, {v.label}, {c} connections: {r['rps']:.0f} req/s, "
                            f"p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms, non-2xx {r['non2xx']}, "
                            f"CPU {r['cpu_us']:.0f} µs/req")
                finally:
                    stop(server)
    print("| variant | connections | req/s (median) | p50 ms | p99 ms | CPU µs/req | req/s of each round |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for (label, c), runs in results.items():
        print(f"| {label} | {c} | {statistics.median(r['rps'] for r in runs):,.0f} | "
              f"{statistics.median(r['p50'] for r in runs):.2f} | {statistics.median(r['p99'] for r in runs):.2f} | "
              f"{statistics.median(r['cpu_us'] for r in runs):.0f} | "
              f"{' / '.join(format(r['rps'], ',.0f') for r in runs)} |")


if __name__ == "__main__":
    main()
