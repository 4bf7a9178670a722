"""Counts the instructions the server runs per request for the filtered pages of
`bench/audit_logs.py`, under valgrind's callgrind: a count that the machine's noise does not
move, for comparing builds where req/s cannot tell them apart. Each build serves the same store
(as `orgusers serve` starts it); per filter, 50 requests warm it, the counters are zeroed, and
the next N (one at a time, on one connection) are counted, every thread of the server included.
What the kernel does for a request is not counted. Needs valgrind; standard library otherwise.

    python3 bench/instructions.py [--entries 1000000] [--requests 300] [--orgusers PATH]...
"""

import argparse
import glob
import http.client
import os
import pathlib
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from audit_logs import filtered_pages, seeded_store  # noqa: E402
from harness import KEY, ORGUSERS  # noqa: E402

WARM_UP = 50


def count(orgusers, store, path, requests, work):
    """Instructions per request of `path` on a server of `orgusers` over `store`."""
    out = f"{work}/callgrind"
    for old in glob.glob(out + ".*"):
        os.remove(old)
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p", str(orgusers), "serve",
         "--listen", "127.0.0.1:0", "--database", f"sqlite://{store}", "--admin-key", KEY],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(re.search(r":(\d+)$", server.stdout.readline().strip()).group(1))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

        def get(n):
            for _ in range(n):
                conn.request("GET", path, headers={"Authorization": f"Bearer {KEY}"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise SystemExit(f"{path}: {response.status}")

        get(WARM_UP)
        subprocess.run(["callgrind_control", "-z", str(server.pid)], check=True, capture_output=True)
        get(requests)
        subprocess.run(["callgrind_control", "-d", str(server.pid)], check=True, capture_output=True)
    finally:
        server.kill()
        server.wait()
    # The dump asked for above is the server's first numbered part.
    (dump,) = [f for f in glob.glob(out + ".*") if re.search(r"\.\d+\.1$", f)]
    with open(dump) as lines:
        total = next(int(line.split()[1]) for line in lines if line.startswith("summary:"))
    return total / requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--orgusers", type=pathlib.Path, action="append",
                        help="a build to count (repeatable; default: this tree's release build)")
    args = parser.parse_args()
    builds = args.orgusers or [ORGUSERS]
    with tempfile.TemporaryDirectory() as work:
        store = f"{work}/audit.db"
        wanted = seeded_store(builds[0], store, args.entries)
        print("| filter | " + " | ".join(f"instructions per request, {b}" for b in builds) + " |")
        print("|---|" + "---:|" * len(builds))
        for name, path in filtered_pages(wanted):
            counts = [count(b, store, path, args.requests, work) for b in builds]
            print(f"| {name} | " + " | ".join(f"{c:,.0f}" for c in counts) + " |", flush=True)


if __name__ == "__main__":
    main()
