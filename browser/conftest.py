"""Fixtures of the console's browser suite: a real `orgusers serve` on a random port with a fresh,
seeded SQLite store, and Debian's Chromium driven by Playwright.

- `Server` starts `$ORGUSERS_BIN serve --listen 127.0.0.1:0 --database sqlite://TMP/db
  --admin-key KEY --init TMP/init.jsonl` and reads its first line, `listening on http://…`.
  The init file gives the users, a custom role, a group and projects with members (users can
  only come from an import or an accepted invite); an invite is then made over the API.
- `server` is a fresh server per test (tests that change data stay independent);
  `shared_server` one per module, for the read-only tests (accessibility).
- `browser` is one Chromium for the session (`executable_path`, never a downloaded browser).
- `page` is a fresh browser context per test; `signed_in` the same, signed in with KEY.
"""

import json
import os
import pathlib
import re
import subprocess
import tempfile
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect, sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = os.environ.get("ORGUSERS_BIN", str(ROOT / "target" / "release" / "orgusers"))
CHROMIUM = os.environ.get("ORGUSERS_CHROMIUM", "/usr/bin/chromium")
AXE = pathlib.Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
KEY = "sk-admin-browser-suite-key-00000000000000WXYZ"
# Every Playwright wait (auto-waiting locators, expect) gives up after this; no sleeps anywhere.
TIMEOUT_MS = 10_000

# The organization every test starts from.
USERS = [
    ("user-ada-lovelace", "ada@example.com", "Ada Lovelace", "owner"),
    ("user-grace-hopper", "grace@example.com", "Grace Hopper", "owner"),
    ("user-alan-turing", "alan@example.com", "Alan Turing", "reader"),
    ("user-zoe-odegaard", "zoë@exämple.de", "Zoë Ødegaard", "reader"),
    ("user-ken-thompson", "ken@example.com", "Ken Thompson", "reader"),
    ("user-ngozi-okafor", "ngozi.okafor@example.com", "Ngozi Okafor", "reader"),
    ("user-jose-garcia", "jose.garcia@example.com", "José García", "reader"),
    ("user-priya-iyer", "priya.iyer@example.com", "Priya Iyer", "reader"),
]
ROLE_ID = "role_support_agents"
GROUP_ID = "group_platform"
SEARCH_PROJECT = "proj_search"
INVITED_EMAIL = "margaret.hamilton@example.com"


def init_lines():
    """The JSON Lines of `--init`: users, a custom role, a group, two projects with members."""
    lines = []
    for i, (uid, email, name, role) in enumerate(USERS):
        lines.append({"object": "organization.user", "id": uid, "email": email, "name": name,
                      "role": role, "added_at": 1_735_689_600 + 60 * i})
    lines += [
        {"object": "role", "id": ROLE_ID, "name": "Support agent",
         "description": "Reads users and projects, manages invites",
         "permissions": ["api.users.read", "api.projects.read", "api.invites.read", "api.invites.write"]},
        {"object": "group", "id": GROUP_ID, "name": "Platform team", "created_at": 1_735_689_900},
        {"object": "group.user", "group_id": GROUP_ID, "user_id": "user-grace-hopper"},
        {"object": "group.user", "group_id": GROUP_ID, "user_id": "user-alan-turing"},
        {"object": "group.role", "group_id": GROUP_ID, "role_id": ROLE_ID},
        {"object": "user.role", "user_id": "user-ken-thompson", "role_id": ROLE_ID},
        {"object": "organization.project", "id": SEARCH_PROJECT, "name": "Search", "created_at": 1_735_690_000},
        {"object": "organization.project", "id": "proj_assistant", "name": "Assistant", "created_at": 1_735_690_060},
        {"object": "organization.project.user", "project_id": SEARCH_PROJECT, "id": "user-ada-lovelace", "role": "owner"},
        {"object": "organization.project.user", "project_id": SEARCH_PROJECT, "id": "user-alan-turing", "role": "member"},
        {"object": "organization.project.user", "project_id": "proj_assistant", "id": "user-grace-hopper", "role": "owner"},
        {"object": "organization.project.user", "project_id": "proj_assistant", "id": "user-zoe-odegaard", "role": "member"},
    ]
    return lines


class Server:
    """A running `orgusers serve` over a fresh store in `tmp`, seeded."""

    def __init__(self, tmp: pathlib.Path):
        if not os.access(BIN, os.X_OK):
            raise RuntimeError(f"no orgusers binary at {BIN}: build it, or set ORGUSERS_BIN")
        init = tmp / "init.jsonl"
        init.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in init_lines()),
                        encoding="utf-8")
        self.stderr_path = tmp / "serve.err"
        self._stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--database", f"sqlite://{tmp / 'orgusers.db'}",
             "--admin-key", KEY, "--init", str(init)],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "ORGUSERS_LOG": "warn"},
            text=True,
        )
        first = self.process.stdout.readline().strip()
        if not first.startswith("listening on http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"orgusers serve did not start: {first!r}\n{self.stderr_path.read_text()}")
        self.url = first.removeprefix("listening on ")
        self.seed()

    def api(self, method, path, body=None, key=KEY):
        """One API call: (status, parsed JSON body)."""
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def ok(self, method, path, body=None):
        status, answer = self.api(method, path, body)
        assert status == 200, (method, path, status, answer)
        return answer

    def seed(self):
        """What the init file cannot hold: a pending invite."""
        self.ok("POST", "/v1/organization/invites", {"email": INVITED_EMAIL, "role": "reader"})

    def user(self, user_id):
        return self.ok("GET", f"/v1/organization/users/{user_id}")

    def key_id(self):
        """The id of KEY (the only admin key of the organization)."""
        keys = self.ok("GET", "/v1/organization/admin_api_keys")["data"]
        assert len(keys) == 1, keys
        return keys[0]["id"]

    def stop(self):
        self.process.kill()
        self.process.wait()
        self._stderr.close()


def start_server():
    tmp = tempfile.TemporaryDirectory(prefix="orgusers-browser-")
    try:
        return tmp, Server(pathlib.Path(tmp.name))
    except BaseException:
        tmp.cleanup()
        raise


@pytest.fixture
def server():
    """A fresh, seeded server and store for each test."""
    tmp, s = start_server()
    try:
        yield s
    finally:
        s.stop()
        tmp.cleanup()


@pytest.fixture(scope="module")
def shared_server():
    """One seeded server for a module's read-only tests."""
    tmp, s = start_server()
    try:
        yield s
    finally:
        s.stop()
        tmp.cleanup()


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (browser/run.sh does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def new_page(browser, base_url, **options) -> Page:
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    return page


def sign_in(page: Page, key=KEY):
    """Signs in through the sign-in form, as a person would."""
    page.goto("/console/sign-in")
    page.get_by_label("Admin API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def page(browser, server):
    p = new_page(browser, server.url)
    try:
        yield p
    finally:
        p.context.close()


@pytest.fixture
def signed_in(page):
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/console/people$"))
    expect(page.get_by_role("heading", level=1, name="People")).to_be_visible()
    return page


def pytest_configure(config):
    expect.set_options(timeout=TIMEOUT_MS)
