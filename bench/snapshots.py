"""Times the emulator's snapshots: seeds a SQLite store (users with their projects, memberships,
groups, roles, service accounts and keys, as `orgusers seed` makes them), starts `orgusers serve`
as a user would, and times `POST /_orgusers/snapshots` and `POST /_orgusers/snapshots/{name}/restore`
over loopback for several rounds; between a save and its restore, 100 users are deleted and a
project is created, as a test would change the state. Standard library only.

    python3 bench/snapshots.py [--users 100000] [--rounds 5]

Needs the release build (`cargo build --release -p orgusers`)."""

import argparse
import http.client
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from harness import KEY, ORGUSERS, log, start, stop  # noqa: E402


def post(port, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    payload = json.dumps(body).encode() if body is not None else b""
    conn.request("POST", path, body=payload, headers={
        "Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    response = conn.getresponse()
    text = response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"POST {path}: {response.status} {text[:300]!r}")
    return json.loads(text)


def send(port, method, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(method, path, headers={"Authorization": f"Bearer {KEY}"})
    response = conn.getresponse()
    text = response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"{method} {path}: {response.status} {text[:300]!r}")
    return json.loads(text)


def change_a_little(port):
    """What a test between a save and a restore does: deletes 100 users (their memberships go
    with them) and creates a project."""
    for user in send(port, "GET", "/v1/organization/users?limit=100")["data"]:
        send(port, "DELETE", f"/v1/organization/users/{user['id']}")
    post(port, "/v1/organization/projects", {"name": "Between save and restore"})


def timed(port, path, body=None):
    started = time.perf_counter()
    post(port, path, body)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--users-only", action="store_true",
                        help="import plain users (each a member of the Default project) instead of seeding "
                             "a whole directory")
    parser.add_argument("--orgusers", type=pathlib.Path, default=ORGUSERS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        database = f"sqlite://{work}/snapshots.db"
        if args.users_only:
            log(f"importing {args.users} users")
            lines = pathlib.Path(work) / "users.jsonl"
            with open(lines, "w") as out:
                for n in range(args.users):
                    role = "owner" if n % 50 == 0 else "reader"
                    out.write(json.dumps({"id": f"user-{n:08d}", "email": f"user{n}@example.com",
                                          "name": f"User {n}", "role": role,
                                          "added_at": 1_700_000_000 + n // 10}) + "\n")
            subprocess.run([str(args.orgusers), "import", "--database", database, str(lines)],
                           check=True, stdout=subprocess.DEVNULL)
        else:
            log(f"seeding {args.users} users")
            subprocess.run([str(args.orgusers), "seed", "--database", database, "--count",
                            str(args.users), "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
        process, port = start([str(args.orgusers), "serve", "--listen", "127.0.0.1:0",
                               "--database", database, "--admin-key", KEY])
        try:
            saves, restores = [], []
            for round_ in range(args.rounds):
                saves.append(timed(port, "/_orgusers/snapshots", {"name": "bench"}))
                change_a_little(port)
                restores.append(timed(port, "/_orgusers/snapshots/bench/restore"))
                log(f"round {round_ + 1}: save {saves[-1] * 1000:.0f} ms, "
                    f"restore {restores[-1] * 1000:.0f} ms")
        finally:
            stop(process)
    for label, runs in (("save", saves), ("restore", restores)):
        print(f"{label}: median {statistics.median(runs) * 1000:.0f} ms, "
              f"max {max(runs) * 1000:.0f} ms over {len(runs)} rounds ({args.users} users, "
              f"{'imported alone' if args.users_only else 'seeded with their directory'})")


if __name__ == "__main__":
    main()
