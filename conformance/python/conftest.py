"""Fixtures: a real `orgusers serve` on a random port with a fresh store and a known key."""

import json
import os
import pathlib
import subprocess
import tempfile

import pytest

import httpx2
import openai

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("ORGUSERS_BIN", str(ROOT / "target" / "debug" / "orgusers"))
KEY = "sk-admin-conformance-key-0000000000WXYZ"
USER_COUNT = 420

FIRST = ["Ada", "Zoë", "José", "Łukasz", "Søren", "Amélie", "王", "Ngozi", "Priya", "Grace"]
LAST = ["Lovelace", "Müller", "García", "Kowalski", "Ødegaard", "Lefèvre", "芳", "Okafor", "Iyer", "Hopper"]


def fixture_users():
    """Several hundred users, some names and emails non-ASCII, one email with '+'."""
    users = []
    for i in range(USER_COUNT):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        users.append(
            {
                "id": f"user-conf{i:04d}",
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}.{i}@exämple.com" if i % 7 == 0 else f"user{i}@example.com",
                "role": "owner" if i < 2 else "reader",
                "added_at": 1_700_000_000 + i // 3,
                "technical_level": "expert" if i % 5 == 0 else None,
            }
        )
    users.append({"id": "user-plus", "email": "first+tag@example.com", "name": "Plus Sign", "added_at": 1_800_000_000})
    return users


class Server:
    def __init__(self, tmp: pathlib.Path):
        data = tmp / "users.jsonl"
        data.write_text("\n".join(json.dumps(u, ensure_ascii=False) for u in fixture_users()) + "\n", encoding="utf-8")
        database = f"sqlite://{tmp / 'orgusers.db'}"
        self.database = database
        env = {**os.environ, "ORGUSERS_LOG": "warn"}
        subprocess.run([BIN, "import", "--database", database, str(data)], check=True, env=env, capture_output=True)
        self.process = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--database", database, "--admin-key", KEY],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        first = self.process.stdout.readline().strip()
        assert first.startswith("listening on http://127.0.0.1:"), first
        self.base_url = first.removeprefix("listening on ") + "/v1"
        self.requests = 0

    def count(self, request):
        self.requests += 1

    def client(self, key=KEY, **kwargs):
        http = httpx2.Client(event_hooks={"request": [self.count]})
        return openai.OpenAI(admin_api_key=key, base_url=self.base_url, http_client=http, **kwargs)

    def async_client(self, key=KEY, **kwargs):
        async def count(request):
            self.requests += 1

        http = httpx2.AsyncClient(event_hooks={"request": [count]})
        return openai.AsyncOpenAI(admin_api_key=key, base_url=self.base_url, http_client=http, **kwargs)

    def stop(self):
        self.process.kill()
        self.process.wait()


@pytest.fixture
def server():
    """A fresh server and store for each test, so tests that change data stay independent."""
    with tempfile.TemporaryDirectory() as tmp:
        s = Server(pathlib.Path(tmp))
        try:
            yield s
        finally:
            s.stop()
