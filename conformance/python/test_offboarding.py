"""docs/examples/offboarding.py, the offboarding example written against the official Python SDK,
run as its users run it (a subprocess with this interpreter, which has the SDK installed) against
a test server. A recording proxy in front of the server shows the requests the script made: the
server's own cascade on user deletion would remove memberships and keys too, so the end state
alone would not prove that the script did its steps."""

import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.parse

import httpx2
import openai
import pytest

from conftest import BIN, KEY, ROOT, USER_COUNT, fixture_users

SCRIPT = ROOT / "docs" / "examples" / "offboarding.py"
FIXTURE = {u["id"]: u for u in fixture_users()}
TOTAL = USER_COUNT + 1


def uid(i):
    return f"user-conf{i:04d}"


class Recorder:
    """A reverse proxy to `target` that records the method and path of every request."""

    def __init__(self, target):
        self.seen = []
        recorder = self
        upstream = httpx2.Client(base_url=target)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def forward(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                recorder.seen.append((self.command, urllib.parse.urlsplit(self.path).path))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "connection", "accept-encoding")}
                answer = upstream.request(self.command, self.path, headers=headers, content=body)
                self.send_response(answer.status_code)
                for k, v in answer.headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(k, v)
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = forward

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        self.upstream = upstream

    def changes(self):
        """The requests that change something, in order."""
        return [(m, p) for m, p in self.seen if m != "GET"]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.upstream.close()


@pytest.fixture
def recorder(server):
    r = Recorder(server.base_url.removesuffix("/v1"))
    try:
        yield r
    finally:
        r.close()


def run(*args, env=None):
    """Runs the script as a user would; OPENAI_* variables of the test's environment are left out
    unless given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120,
                          env={**clean, **(env or {})})


def user_key(project_id, key_id, owner, created_at):
    user = FIXTURE[owner]
    secret = f"sk-proj-offboarding-{key_id}"
    return {
        "object": "organization.project.api_key", "project_id": project_id, "id": key_id, "name": f"Key {key_id}",
        "redacted_value": f"sk-proj-...{secret[-4:]}", "created_at": created_at, "last_used_at": None,
        "owner_project_access": "active",
        "owner": {"type": "user", "user": {"id": owner, "name": user["name"], "email": user["email"], "role": "member",
                                           "created_at": user["added_at"]}},
        "value_sha256": hashlib.sha256(secret.encode()).hexdigest(),
    }


def key_id(tag, i):
    return f"key_{tag}{i:0{24 - len(tag)}d}"


def import_lines(server, lines):
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    done = subprocess.run([BIN, "import", "--database", server.database, "-"], input=text, capture_output=True,
                          text=True, env={**os.environ, "ORGUSERS_LOG": "warn"})
    assert done.returncode == 0, f"orgusers import refused the lines: {done.stderr}"


@pytest.fixture
def scene(server):
    """The user to offboard (uid 91, a non-ASCII email) in the Default project, two more projects
    (owner of one) and an archived one, owning keys in all four; a colleague (uid 92) in the same
    projects with keys of their own; a service account with its key; a group of both."""
    client = server.client(_strict_response_validation=True)
    o = client.admin.organization
    gone, kept = uid(91), uid(92)
    default = next(p for p in o.projects.list(limit=100) if p.name == "Default project")
    alpha, beta, old = (o.projects.create(name=n) for n in ["Alpha", "Beta", "Old"])
    for project, role in [(alpha, "owner"), (beta, "member"), (old, "member")]:
        o.projects.users.create(project.id, user_id=gone, role=role)
        o.projects.users.create(project.id, user_id=kept, role="member")
    service = o.projects.service_accounts.create(alpha.id, name="Deploys")
    import_lines(server, [
        user_key(alpha.id, key_id("gone", 1), gone, 1_780_000_001),
        user_key(alpha.id, key_id("gone", 2), gone, 1_780_000_002),
        user_key(beta.id, key_id("gone", 3), gone, 1_780_000_003),
        user_key(default.id, key_id("gone", 4), gone, 1_780_000_004),
        user_key(old.id, key_id("gone", 5), gone, 1_780_000_005),
        user_key(alpha.id, key_id("kept", 1), kept, 1_780_000_006),
        user_key(beta.id, key_id("kept", 2), kept, 1_780_000_007),
        user_key(default.id, key_id("kept", 3), kept, 1_780_000_008),
    ])
    o.projects.archive(old.id)
    group = o.groups.create(name="Team")
    o.groups.users.create(group.id, user_id=gone)
    o.groups.users.create(group.id, user_id=kept)
    return {
        "client": client, "gone": gone, "kept": kept, "email": FIXTURE[gone]["email"],
        "default": default, "alpha": alpha, "beta": beta, "old": old, "service": service, "group": group,
        # The user's projects as the script sees them: the active ones, oldest first.
        "active": [p.id for p in o.users.retrieve(gone).projects.data],
        "keys": {p.id: [k.id for k in o.projects.api_keys.list(p.id)] for p in [default, alpha, beta, old]},
        "kept_before": o.users.retrieve(kept).model_dump(),
    }


def test_offboarding_script(server, recorder, scene):
    o = scene["client"].admin.organization
    gone, kept = scene["gone"], scene["kept"]
    default, alpha, beta, old = scene["default"], scene["alpha"], scene["beta"], scene["old"]
    assert sorted(scene["active"]) == sorted([default.id, alpha.id, beta.id])
    assert not scene["email"].isascii()

    done = run("--base-url", recorder.base_url, "--admin-key", KEY, scene["email"])
    assert done.returncode == 0, done.stderr

    # What the script printed: each key deleted, each project left, the user deleted.
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"user {gone} ({scene['email']}") and "3 project(s)" in lines[0]
    for project, keys in [(default, [4]), (alpha, [1, 2]), (beta, [3])]:
        for i in keys:
            assert any(line.startswith(f"project {project.id} ") and f"deleted API key {key_id('gone', i)}" in line
                       for line in lines), (project.name, i, done.stdout)
        assert any(line.startswith(f"project {project.id} ({project.name}): removed the user") for line in lines)
    assert lines[-1] == f"deleted user {gone}"
    assert len(lines) == 1 + 4 + 3 + 1, done.stdout

    # The requests it made: per project its keys, then its membership; the user last. Nothing of
    # the colleague's, the service account's or the archived project's.
    expected = []
    for project_id in scene["active"]:
        for k in [k for k in scene["keys"][project_id] if k.startswith("key_gone")]:
            expected.append(("DELETE", f"/v1/organization/projects/{project_id}/api_keys/{k}"))
        expected.append(("DELETE", f"/v1/organization/projects/{project_id}/users/{gone}"))
    expected.append(("DELETE", f"/v1/organization/users/{gone}"))
    assert recorder.changes() == expected

    # The resulting state: the user, memberships and keys gone.
    assert o.users.list(emails=[scene["email"]]).data == []
    with pytest.raises(openai.NotFoundError):
        o.users.retrieve(gone)
    assert len(list(o.users.list(limit=100))) == TOTAL - 1
    for project in [default, alpha, beta, old]:
        assert gone not in [u.id for u in o.projects.users.list(project.id, limit=100)]
        assert kept in [u.id for u in o.projects.users.list(project.id, limit=100)]
        left = [k.id for k in o.projects.api_keys.list(project.id)]
        assert not [k for k in left if k.startswith("key_gone")], (project.name, left)
        assert left == [k for k in scene["keys"][project.id] if not k.startswith("key_gone")]
    assert scene["service"].api_key.id in [k.id for k in o.projects.api_keys.list(alpha.id)]
    assert [u.id for u in o.groups.users.list(scene["group"].id)] == [kept]
    # The colleague is untouched.
    assert o.users.retrieve(kept).model_dump() == scene["kept_before"]
    assert o.projects.api_keys.retrieve(key_id("kept", 1), project_id=alpha.id).owner.user.id == kept

    # Running it again: the user is no more.
    again = run("--base-url", recorder.base_url, "--admin-key", KEY, scene["email"])
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr.strip() == f"error: no user with email {scene['email']}"


def test_offboarding_script_defaults_from_the_environment_and_dry_run(server, recorder, scene):
    """OPENAI_BASE_URL and OPENAI_ADMIN_KEY, as the SDK reads them; --dry-run changes nothing."""
    o = scene["client"].admin.organization
    gone = scene["gone"]
    before = o.users.retrieve(gone).model_dump()
    done = run("--dry-run", scene["email"].upper(), env={"OPENAI_BASE_URL": recorder.base_url, "OPENAI_ADMIN_KEY": KEY})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"user {gone} ")
    assert sum("would delete API key key_gone" in line for line in lines) == 4
    assert sum("would remove the user" in line for line in lines) == 3
    assert lines[-1] == f"would delete user {gone}"
    assert recorder.changes() == []
    assert {m for m, _ in recorder.seen} == {"GET"}
    assert o.users.retrieve(gone).model_dump() == before
    for project_id, keys in scene["keys"].items():
        assert [k.id for k in o.projects.api_keys.list(project_id)] == keys


def test_offboarding_script_errors(server, recorder, scene):
    o = scene["client"].admin.organization
    # An address of nobody: exit 1, a message, nothing changed.
    nobody = run("--base-url", recorder.base_url, "--admin-key", KEY, "nobody@example.com")
    assert (nobody.returncode, nobody.stdout) == (1, "")
    assert nobody.stderr.strip() == "error: no user with email nobody@example.com"
    # A wrong key: the API's message and request id.
    wrong = run("--base-url", recorder.base_url, "--admin-key", "sk-admin-wrong-key-1234567890", scene["email"])
    assert (wrong.returncode, wrong.stdout) == (1, "")
    assert wrong.stderr.startswith("error: 401 Incorrect API key provided: sk-adm") and "(request id req_" in wrong.stderr
    # No key at all.
    missing = run("--base-url", recorder.base_url, scene["email"])
    assert missing.returncode == 1 and missing.stderr.startswith("error: ")
    assert recorder.changes() == []
    assert o.users.retrieve(scene["gone"]).id == scene["gone"]
