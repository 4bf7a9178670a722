"""The official `openai` Python SDK's retries, driven by faults injected through orgusers' own
`/_orgusers/faults`, and counted in its request journal (`/_orgusers/requests`)."""

import os
import subprocess
import sys

import httpx2
import openai
import pytest

from conftest import KEY, ROOT

EXAMPLE = ROOT / "docs" / "examples" / "retries.py"

USERS = "/v1/organization/users"


def control(server, method, path, body=None):
    """A request to orgusers' control endpoints, which sit beside /v1."""
    root = server.base_url.removesuffix("/v1")
    response = httpx2.request(method, root + path, json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200, response.text
    return response.json()


def add_fault(server, **fault):
    return control(server, "POST", "/_orgusers/faults", fault)


def journal(server, limit=10):
    """The organization's last requests, newest first."""
    return control(server, "GET", f"/_orgusers/requests?limit={limit}")["data"]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_get_past_failures(server, status):
    fault = add_fault(server, method="GET", path=USERS, status=status, count=2)
    assert fault["object"] == "orgusers.fault" and fault["remaining"] == 2
    client = server.client().with_options(max_retries=2)
    page = client.admin.organization.users.list(limit=5)
    assert len(page.data) == 5
    assert server.requests == 3
    requests = journal(server, 3)
    assert [r["status"] for r in requests] == [200, status, status]
    assert all(r["method"] == "GET" and r["path"] == USERS and r["query"] == "limit=5" for r in requests)
    # Each attempt had its own request id.
    assert len({r["request_id"] for r in requests}) == 3
    # The used-up fault is gone.
    assert control(server, "GET", "/_orgusers/faults")["data"] == []


@pytest.mark.parametrize(
    "status, error",
    [(429, openai.RateLimitError), (500, openai.InternalServerError), (503, openai.InternalServerError)],
)
def test_retries_give_up_after_max_retries(server, status, error):
    add_fault(server, method="GET", path=USERS, status=status, count=3)
    client = server.client().with_options(max_retries=2)
    with pytest.raises(error) as raised:
        client.admin.organization.users.list()
    assert raised.value.status_code == status
    assert server.requests == 3
    assert [r["status"] for r in journal(server, 3)] == [status] * 3
    # The last answer's request id is the one the SDK reports.
    assert raised.value.request_id == journal(server, 1)[0]["request_id"]
    if status == 429:
        assert raised.value.code == "rate_limit_exceeded"
        assert raised.value.type == "requests"
        assert raised.value.response.headers["retry-after"] == "0"
    # The fault's count is used up: the next call succeeds at once.
    assert client.admin.organization.users.list(limit=1).data


def test_errors_that_are_not_retried_fail_at_once(server):
    add_fault(server, path="/v1/organization/users/*", status=404, count=5)
    client = server.client().with_options(max_retries=2)
    with pytest.raises(openai.NotFoundError):
        client.admin.organization.users.retrieve("user-conf0001")
    assert server.requests == 1
    assert [r["status"] for r in journal(server, 5)] == [404]


def test_latency_meets_the_sdk_timeout(server):
    # A fault that only waits: the SDK's own timeout gives up on the slow attempt, and its retry
    # gets through once the fault is used up.
    add_fault(server, path=USERS, latency_ms=1500, count=1)
    client = server.client().with_options(max_retries=1, timeout=0.5)
    page = client.admin.organization.users.list(limit=1)
    assert len(page.data) == 1
    assert server.requests == 2
    add_fault(server, path=USERS, latency_ms=1500, count=1)
    with pytest.raises(openai.APITimeoutError):
        server.client().with_options(max_retries=0, timeout=0.5).admin.organization.users.list(limit=1)


def run_example(server, *args):
    """docs/examples/retries.py as its users run it, with this interpreter and its SDK."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env = {**clean, "OPENAI_BASE_URL": server.base_url, "OPENAI_ADMIN_KEY": KEY}
    return subprocess.run([sys.executable, str(EXAMPLE), *args], capture_output=True, text=True, timeout=60, env=env)


def test_the_retries_example_gets_through(server):
    done = run_example(server)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("fault fault_") and lines[0].endswith(f"the next 2 GET {USERS} answer 429")
    assert lines[1] == "listed 5 users with max_retries=2"
    assert [line.split(" -> ")[1].split(" ")[0] for line in lines[2:]] == ["429", "429", "200"]
    assert all(line.startswith(f"  GET {USERS}?limit=5 -> ") for line in lines[2:])
    assert control(server, "GET", "/_orgusers/faults")["data"] == []


def test_the_retries_example_reports_giving_up(server):
    done = run_example(server, "--status", "503", "--failures", "4", "--max-retries", "1")
    assert done.returncode == 1
    assert done.stderr.startswith("error: 503 Our servers are currently overloaded. Please try again later. (request id req_")
    lines = done.stdout.splitlines()
    assert [line.split(" -> ")[1].split(" ")[0] for line in lines[1:]] == ["503", "503"]
    # What was left of the fault is removed.
    assert control(server, "GET", "/_orgusers/faults")["data"] == []
