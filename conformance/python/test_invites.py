"""The official `openai` Python SDK against orgusers' invites: `client.admin.organization.invites`
(create, retrieve, list with its `ConversationCursorPage` and auto-pagination, delete), every
refusal as the exception class the real API would give, and acceptance, which the public API has
no call for, through orgusers' control endpoint `POST /_orgusers/invites/{invite_id}/accept` with
plain HTTP. Every answer is validated against the SDK's own model classes (strict response
validation).

The onboarding of the issue's "done when": an invite into two projects (owner of one, member of
the other), accepted, then the user found by email with the right role and `projects` field, and
each membership confirmed through the project's users; and docs/examples/onboarding.py, the same
as a script, run as its users run it."""

import asyncio
import os
import re
import subprocess
import sys

import httpx2
import openai
import pytest
from openai.pagination import AsyncConversationCursorPage, SyncConversationCursorPage
from openai.types.admin.organization import Invite, InviteDeleteResponse, OrganizationUser
from openai.types.admin.organization import projects as project_types

from conftest import KEY, ROOT, USER_COUNT, fixture_users
from test_offboarding import Recorder

TOTAL = USER_COUNT + 1  # the fixture users plus the one with '+' in its email
INVITE_ID = re.compile(r"^invite-[A-Za-z0-9]{24}$")
USER_ID = re.compile(r"^user-[A-Za-z0-9]{24}$")
WEEK = 7 * 24 * 60 * 60
DEFAULT = "Default project"
ADMIN_AUTH = {"security": {"admin_api_key_auth": True}}
SCRIPT = ROOT / "docs" / "examples" / "onboarding.py"
FIXTURE = {u["id"]: u for u in fixture_users()}


def strict(server):
    """A client that validates every answer against the SDK's pydantic models."""
    return server.client(_strict_response_validation=True)


def root(server):
    """The server without `/v1`: where the control endpoints live."""
    return server.base_url.removesuffix("/v1")


def accept(server, invite_id, name=None, key=KEY, body=None):
    """`POST /_orgusers/invites/{invite_id}/accept` with plain HTTP (the SDK has no such call)."""
    if body is None:
        body = {} if name is None else {"name": name}
    return httpx2.post(f"{root(server)}/_orgusers/invites/{invite_id}/accept", json=body,
                       headers={"Authorization": f"Bearer {key}"}, timeout=30)


def accepted_user(server, invite_id, name=None):
    """Accepts an invite; returns the new user as the SDK's model (strictly validated)."""
    answer = accept(server, invite_id, name)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-request-id"].startswith("req_")
    return OrganizationUser.model_validate(answer.json())


def one_of(value, expected):
    """`expected` is a value, or a tuple of the values the contract leaves open."""
    return value in expected if isinstance(expected, tuple) else value == expected


def expect_error(server, call, cls, status, param, code=None, message=None):
    """`call` raises exactly `cls` with the status, param and code, after one request."""
    server.requests = 0
    with pytest.raises(cls) as info:
        call()
    e = info.value
    assert type(e) is cls, type(e)
    assert e.status_code == status, (e.status_code, e.body)
    assert one_of(e.param, param), (e.param, e.body)
    assert one_of(e.code, code), (e.code, e.body)
    assert set(e.body) == {"message", "type", "param", "code"}
    assert e.type == "invalid_request_error"
    if message is not None:
        assert e.body["message"] == message
    assert e.request_id.startswith("req_")
    assert server.requests == 1, f"{type(e).__name__} was retried"
    return e


def refused(server, call, param, code=None):
    """A 400 `BadRequestError` naming `param`, with a message."""
    e = expect_error(server, call, openai.BadRequestError, 400, param, code)
    assert e.body["message"]
    return e


def not_found(server, call, ident):
    return expect_error(server, call, openai.NotFoundError, 404, "invite_id", None, f"No such invite: {ident}")


def oldest_first(items):
    """Items of a first/last list in the contract's order: creation time, ties by id."""
    return sorted(items, key=lambda x: (x.created_at, x.id))


def ids(items):
    return [x.id for x in items]


def default_project(client):
    found = [p for p in client.admin.organization.projects.list(limit=100) if p.name == DEFAULT]
    assert len(found) == 1, found
    return found[0]


def granted(invite):
    """An invite's projects as (id, role) pairs, in its order."""
    return [(p.id, p.role) for p in invite.projects]


def is_pending(invite, email, role):
    assert isinstance(invite, Invite)
    assert INVITE_ID.match(invite.id), invite.id
    assert (invite.object, invite.email, invite.role, invite.status) == ("organization.invite", email, role, "pending")
    assert isinstance(invite.created_at, int) and invite.created_at > 1_600_000_000
    assert invite.expires_at == invite.created_at + WEEK
    assert invite.accepted_at is None
    return True


# Creating, reading, listing, deleting


def test_create_with_the_default_projects(server):
    client = strict(server)
    invites = client.admin.organization.invites
    default = default_project(client)
    made = invites.create(email="new.person@example.com", role="reader")
    assert is_pending(made, "new.person@example.com", "reader")
    # No `projects`: the Default project, as member.
    assert granted(made) == [(default.id, "member")]
    assert invites.retrieve(made.id).model_dump() == made.model_dump()
    owner = invites.create(email="Zoë.Owner@exämple.com", role="owner")
    assert is_pending(owner, "Zoë.Owner@exämple.com", "owner")
    assert granted(owner) == [(default.id, "member")]
    listed = invites.list()
    assert isinstance(listed, SyncConversationCursorPage)
    assert ids(listed.data) == ids(oldest_first([made, owner]))
    assert (listed.has_more, listed.first_id, listed.last_id) == (False, listed.data[0].id, listed.data[-1].id)
    assert [i.model_dump() for i in listed.data] == [i.model_dump() for i in oldest_first([made, owner])]
    # An invite is no user until it is accepted.
    assert list(client.admin.organization.users.list(emails=["new.person@example.com"])) == []
    assert len(list(client.admin.organization.users.list(limit=100))) == TOTAL


def test_create_with_explicit_projects(server):
    client = strict(server)
    o = client.admin.organization
    alpha, beta = o.projects.create(name="Alpha"), o.projects.create(name="Beta")
    both = o.invites.create(email="two@example.com", role="reader",
                            projects=[{"id": alpha.id, "role": "owner"}, {"id": beta.id, "role": "member"}])
    assert is_pending(both, "two@example.com", "reader")
    assert sorted(granted(both)) == sorted([(alpha.id, "owner"), (beta.id, "member")])
    assert o.invites.retrieve(both.id).model_dump() == both.model_dump()
    # `projects=[]`: no project at all, not even the Default one.
    none = o.invites.create(email="none@example.com", role="owner", projects=[])
    assert is_pending(none, "none@example.com", "owner")
    assert none.projects == []
    assert o.invites.retrieve(none.id).projects == []
    one = o.invites.create(email="one@example.com", role="reader", projects=[{"id": beta.id, "role": "owner"}])
    assert granted(one) == [(beta.id, "owner")]
    # Creating an invite changes no project's members.
    assert list(o.projects.users.list(alpha.id)) == []
    assert list(o.projects.users.list(beta.id)) == []


def test_create_refusals(server):
    client = strict(server)
    o = client.admin.organization
    invites = o.invites
    pending = invites.create(email="taken@example.com", role="reader")
    archived = o.projects.create(name="Old")
    o.projects.archive(archived.id)
    bad = openai.BadRequestError
    # The email of a pending invite, or of a user of the organization (whatever the letter case).
    refused(server, lambda: invites.create(email="taken@example.com", role="owner"), "email")
    refused(server, lambda: invites.create(email="TAKEN@example.com", role="reader"), "email")
    refused(server, lambda: invites.create(email=FIXTURE["user-conf0003"]["email"], role="reader"), "email")
    refused(server, lambda: invites.create(email="USER5@EXAMPLE.COM", role="reader"), "email")
    # Not an address.
    for address in ["no-at-sign", "@example.com", "someone@", ""]:
        refused(server, lambda: invites.create(email=address, role="reader"), "email", "invalid_value")
    # Projects that are not active projects of the organization (a conflict with the state, or
    # a value out of range: the contract names only the param).
    refused(server, lambda: invites.create(email="p1@example.com", role="reader",
                                           projects=[{"id": "proj_nope", "role": "member"}]), "projects",
            (None, "invalid_value"))
    refused(server, lambda: invites.create(email="p2@example.com", role="reader",
                                           projects=[{"id": archived.id, "role": "member"}]), "projects",
            (None, "invalid_value"))
    # The shape of the body.
    expect_error(server, lambda: client.post("/organization/invites", body={"role": "reader"}, cast_to=Invite,
                                             options=ADMIN_AUTH),
                 bad, 400, "email", "missing_required_parameter", "Missing required parameter: 'email'.")
    expect_error(server, lambda: client.post("/organization/invites", body={"email": "r@example.com"}, cast_to=Invite,
                                             options=ADMIN_AUTH),
                 bad, 400, "role", "missing_required_parameter", "Missing required parameter: 'role'.")
    expect_error(server, lambda: client.post("/organization/invites", body={"email": 7, "role": "reader"},
                                             cast_to=Invite, options=ADMIN_AUTH),
                 bad, 400, "email", "invalid_type", "Invalid type for 'email': expected a string, but got an integer instead.")
    refused(server, lambda: invites.create(email="r@example.com", role="member"), "role", "invalid_value")
    refused(server, lambda: client.post("/organization/invites",
                                        body={"email": "r@example.com", "role": "reader", "projects": {}},
                                        cast_to=Invite, options=ADMIN_AUTH), ("projects",), "invalid_type")
    refused(server, lambda: invites.create(email="r@example.com", role="reader",
                                           projects=[{"id": archived.id, "role": "admin"}]),
            ("projects", "projects[0].role", "role"), ("invalid_value", None))
    expect_error(server, lambda: invites.create(email="r@example.com", role="reader", extra_body={"color": "red"}),
                 bad, 400, "color", None, "Unrecognized request argument supplied: color")
    # Nothing of the refused requests was written.
    assert ids(invites.list()) == [pending.id]


def test_retrieve_and_delete(server):
    client = strict(server)
    invites = client.admin.organization.invites
    kept = invites.create(email="kept@example.com", role="reader")
    gone = invites.create(email="gone@example.com", role="owner", projects=[])
    deleted = invites.delete(gone.id)
    assert isinstance(deleted, InviteDeleteResponse)
    assert (deleted.object, deleted.id, deleted.deleted) == ("organization.invite.deleted", gone.id, True)
    assert ids(invites.list()) == [kept.id]
    not_found(server, lambda: invites.retrieve(gone.id), gone.id)
    not_found(server, lambda: invites.delete(gone.id), gone.id)
    not_found(server, lambda: invites.retrieve("invite-nope"), "invite-nope")
    not_found(server, lambda: invites.delete("invite-nope"), "invite-nope")
    # The address is free again.
    again = invites.create(email="gone@example.com", role="reader")
    assert again.id != gone.id and is_pending(again, "gone@example.com", "reader")
    # Another organization's key sees none of them.
    expect_error(server, lambda: server.client(key="sk-admin-wrong-key-1234567890").admin.organization.invites.list(),
                 openai.AuthenticationError, 401, None, "invalid_api_key")


def test_invites_auto_pagination(server):
    client = strict(server)
    invites = client.admin.organization.invites
    made = [invites.create(email=f"page{i:02d}@example.com", role="reader", projects=[]) for i in range(25)]
    expected = ids(oldest_first(made))
    server.requests = 0
    assert ids(invites.list(limit=7)) == expected
    assert server.requests == 4  # 7 + 7 + 7 + 4
    server.requests = 0
    assert ids(invites.list()) == expected and server.requests == 2  # the default limit is 20
    first = invites.list(limit=7)
    assert (first.has_more, first.first_id, first.last_id) == (True, expected[0], expected[6])
    second = first.get_next_page()
    assert isinstance(second, SyncConversationCursorPage) and isinstance(second.data[0], Invite)
    assert ids(second.data) == expected[7:14]
    assert ids(invites.list(limit=7, after=first.last_id).data) == expected[7:14]
    last = invites.list(limit=7, after=expected[20])
    assert ids(last.data) == expected[21:]
    assert (last.has_more, last.last_id, last.has_next_page()) == (False, expected[-1], False)
    # Deleting while walking, the page's last invite (the next `after`) among them: every invite
    # kept throughout is met once.
    seen = []
    for i, invite in enumerate(invites.list(limit=5)):
        seen.append(invite.id)
        if i == 4:
            invites.delete(expected[4])
            invites.delete(expected[12])
    assert seen == [x for x in expected if x != expected[12]]
    assert ids(invites.list(limit=100)) == [x for x in expected if x not in (expected[4], expected[12])]
    # The list's parameters.
    bad = openai.BadRequestError
    expect_error(server, lambda: invites.list(limit=0), bad, 400, "limit", "integer_below_min_value")
    expect_error(server, lambda: invites.list(limit=101), bad, 400, "limit", "integer_above_max_value")
    expect_error(server, lambda: invites.list(extra_query={"limit": "x"}), bad, 400, "limit", "invalid_type")
    expect_error(server, lambda: invites.list(after="invite-nothing"), bad, 400, "after", "invalid_value")


# Acceptance, through the control endpoint


def test_accept(server):
    client = strict(server)
    o = client.admin.organization
    default = default_project(client)
    invite = o.invites.create(email="Grace.New@example.com", role="owner")
    user = accepted_user(server, invite.id, name="Grace New")
    assert isinstance(user, OrganizationUser)
    assert USER_ID.match(user.id), user.id
    assert (user.object, user.email, user.name, user.role) == ("organization.user", "Grace.New@example.com",
                                                               "Grace New", "owner")
    assert isinstance(user.added_at, int) and user.added_at >= invite.created_at
    # The SDK reads the same user back; the invite's projects are its memberships.
    found = o.users.retrieve(user.id)
    assert (found.id, found.email, found.name, found.role, found.added_at) == (
        user.id, user.email, user.name, user.role, user.added_at)
    assert [(p.id, p.name, p.role) for p in found.projects.data] == [(default.id, DEFAULT, "member")]
    assert o.projects.users.retrieve(user.id, project_id=default.id).role == "member"
    assert len(list(o.users.list(limit=100))) == TOTAL + 1
    # The invite is accepted, and stays listed.
    now = o.invites.retrieve(invite.id)
    assert (now.status, now.email, now.role) == ("accepted", invite.email, "owner")
    assert isinstance(now.accepted_at, int) and now.accepted_at >= invite.created_at
    assert now.accepted_at == user.added_at
    assert granted(now) == granted(invite)
    assert [i.status for i in o.invites.list()] == ["accepted"]
    # An accepted invite cannot be deleted, nor accepted again; its address is a user's now.
    refused(server, lambda: o.invites.delete(invite.id), (None, "invite_id"))
    assert o.invites.retrieve(invite.id).status == "accepted"
    again = accept(server, invite.id)
    assert again.status_code == 400, again.text
    assert set(again.json()["error"]) == {"message", "type", "param", "code"}
    refused(server, lambda: o.invites.create(email="grace.new@example.com", role="reader"), "email")
    # Without a name, and into no project.
    quiet = o.invites.create(email="quiet@example.com", role="reader", projects=[])
    nameless = accepted_user(server, quiet.id)
    assert (nameless.email, nameless.role) == ("quiet@example.com", "reader")
    assert nameless.name is None or isinstance(nameless.name, str)
    assert o.users.retrieve(nameless.id).projects.data == []


def test_accept_refusals(server):
    client = strict(server)
    invite = client.admin.organization.invites.create(email="later@example.com", role="reader")
    unknown = accept(server, "invite-nope")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == "No such invite: invite-nope"
    assert unknown.json()["error"]["param"] == "invite_id"
    wrong_key = accept(server, invite.id, key="sk-admin-wrong-key-1234567890")
    assert wrong_key.status_code == 401
    assert wrong_key.json()["error"]["code"] == "invalid_api_key"
    bad_name = accept(server, invite.id, body={"name": 7})
    assert bad_name.status_code == 400 and bad_name.json()["error"]["param"] == "name"
    # Under /v1 it is no path of the API.
    under_v1 = httpx2.post(f"{server.base_url}/_orgusers/invites/{invite.id}/accept", json={},
                           headers={"Authorization": f"Bearer {KEY}"})
    assert under_v1.status_code == 404
    # None of it accepted anything.
    assert client.admin.organization.invites.retrieve(invite.id).status == "pending"
    assert list(client.admin.organization.users.list(emails=["later@example.com"])) == []


def test_expired_invites(server):
    """An invite reads as expired 7 days after its creation: it cannot be accepted, but can be
    deleted. orgusers' clock (`POST /_orgusers/clock`) moves time on."""
    client = strict(server)
    invites = client.admin.organization.invites
    invite = invites.create(email="slow@example.com", role="reader")
    moved = httpx2.post(f"{root(server)}/_orgusers/clock", json={"advance_seconds": WEEK + 60},
                        headers={"Authorization": f"Bearer {KEY}"})
    assert moved.status_code == 200, moved.text
    expired = invites.retrieve(invite.id)
    assert (expired.status, expired.expires_at, expired.accepted_at) == ("expired", invite.expires_at, None)
    refused_accept = accept(server, invite.id)
    assert refused_accept.status_code == 400, refused_accept.text
    assert invites.delete(invite.id).deleted is True
    # A fresh invite for the same address.
    assert invites.create(email="slow@example.com", role="reader").status == "pending"


# Onboarding: the "done when"


def test_onboarding(server):
    """Invite a person into two projects, owner of one and member of the other; accept; find the
    user by email with the role and `projects` field; confirm each membership in the project."""
    client = strict(server)
    o = client.admin.organization
    billing, search = o.projects.create(name="Billing"), o.projects.create(name="Search")
    address = "Ngozi.Okafor+new@exämple.com"
    invite = o.invites.create(email=address, role="reader", projects=[{"id": billing.id, "role": "owner"},
                                                                      {"id": search.id, "role": "member"}])
    assert is_pending(invite, address, "reader")
    assert sorted(granted(invite)) == sorted([(billing.id, "owner"), (search.id, "member")])

    made = accepted_user(server, invite.id, name="Ngozi Okafor")

    found = list(o.users.list(emails=[address.upper()]))
    assert len(found) == 1
    user = found[0]
    assert (user.id, user.email, user.name, user.role) == (made.id, address, "Ngozi Okafor", "reader")
    assert user.projects is not None and user.projects.object == "list"
    # Oldest project first, with each project's name and the invite's role; no Default project.
    assert [(p.id, p.name, p.role) for p in user.projects.data] == [
        (p.id, p.name, role) for p, role in sorted([(billing, "owner"), (search, "member")],
                                                   key=lambda x: (x[0].created_at, x[0].id))]
    for project, role in [(billing, "owner"), (search, "member")]:
        member = o.projects.users.retrieve(user.id, project_id=project.id)
        assert isinstance(member, project_types.ProjectUser)
        assert (member.object, member.id, member.email, member.name, member.role) == (
            "organization.project.user", user.id, address, "Ngozi Okafor", role)
        assert member.added_at == user.added_at
        assert user.id in ids(o.projects.users.list(project.id))
    assert user.id not in ids(o.projects.users.list(default_project(client).id, limit=100))
    assert o.invites.retrieve(invite.id).status == "accepted"


def test_async_client(server):
    async def scenario():
        client = server.async_client(_strict_response_validation=True)
        invites = client.admin.organization.invites
        made = [await invites.create(email=f"async{i}@example.com", role="reader") for i in range(3)]
        assert all(isinstance(x, Invite) for x in made)
        page = await invites.list(limit=2)
        assert isinstance(page, AsyncConversationCursorPage)
        assert [x.id async for x in invites.list(limit=2)] == ids(oldest_first(made))
        assert (await invites.retrieve(made[1].id)).email == "async1@example.com"
        assert (await invites.delete(made[0].id)).deleted is True
        server.requests = 0
        with pytest.raises(openai.NotFoundError) as info:
            await invites.retrieve(made[0].id)
        assert info.value.param == "invite_id" and server.requests == 1
        with pytest.raises(openai.BadRequestError) as info:
            await invites.create(email="async1@example.com", role="reader")
        assert info.value.param == "email"
        await client.close()

    asyncio.run(scenario())


# docs/examples/onboarding.py


def run_script(*args, env=None):
    """Runs the example as a user would; OPENAI_* variables of the test's environment are left out
    unless given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120,
                          env={**clean, **(env or {})})


@pytest.fixture
def recorder(server):
    r = Recorder(root(server))
    try:
        yield r
    finally:
        r.close()


def test_onboarding_script(server, recorder):
    client = strict(server)
    o = client.admin.organization
    billing, search = o.projects.create(name="Billing"), o.projects.create(name="Search")
    address = "amélie.new@exämple.com"
    connection = ["--base-url", recorder.base_url, "--admin-key", KEY]
    done = run_script(*connection, "--project", f"{billing.id}:owner", "--project", search.id,
                      "--accept", "--name", "Amélie New", address)
    assert done.returncode == 0, done.stderr
    invite = next(i for i in o.invites.list() if i.email == address)
    user = next(iter(o.users.list(emails=[address])))
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"invited {address} as reader: {invite.id} (expires ")
    assert f"{billing.id} (owner)" in lines[0] and f"{search.id} (member)" in lines[0]
    assert lines[1] == f"accepted {invite.id}: user {user.id} (Amélie New)"
    assert lines[2] == f"user {user.id} ({address}, Amélie New): role reader, 2 project(s)"
    assert sorted(lines[3:]) == sorted([f"project {billing.id} (Billing): owner, confirmed",
                                        f"project {search.id} (Search): member, confirmed"])
    # The changes it made: the invite, then its acceptance.
    assert recorder.changes() == [("POST", "/v1/organization/invites"),
                                  ("POST", f"/_orgusers/invites/{invite.id}/accept")]
    # The state the SDK sees.
    assert (user.name, user.role) == ("Amélie New", "reader")
    assert sorted((p.id, p.role) for p in user.projects.data) == sorted([(billing.id, "owner"), (search.id, "member")])
    assert o.projects.users.retrieve(user.id, project_id=billing.id).role == "owner"
    assert o.invites.retrieve(invite.id).status == "accepted"

    # Again, from the environment: only checks, changes nothing.
    recorder.seen.clear()
    again = run_script("--project", f"{billing.id}:owner", "--project", f"{search.id}:member", address,
                       env={"OPENAI_BASE_URL": recorder.base_url, "OPENAI_ADMIN_KEY": KEY})
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == f"{address} is a user of the organization already"
    assert recorder.changes() == []
    # A check that fails: the user is no owner of Search.
    wrong = run_script(*connection, "--project", f"{search.id}:owner", address)
    assert (wrong.returncode, wrong.stderr.strip()) == (
        1, f"error: project {search.id} (Search): the role is member, not owner")
    assert recorder.changes() == []


def test_onboarding_script_pending_then_accepted(server, recorder):
    """Without --accept the invite waits; a second run takes up the pending invite."""
    o = strict(server).admin.organization
    default = default_project(strict(server))
    connection = ["--base-url", recorder.base_url, "--admin-key", KEY]
    first = run_script(*connection, "--role", "owner", "waiting@example.com")
    assert first.returncode == 0, first.stderr
    invite = next(iter(o.invites.list()))
    assert (invite.email, invite.role, invite.status) == ("waiting@example.com", "owner", "pending")
    assert granted(invite) == [(default.id, "member")]
    assert first.stdout.splitlines()[-1] == (
        f"{invite.id} is pending until waiting@example.com accepts it; run this again then to check the access")
    assert list(o.users.list(emails=["waiting@example.com"])) == []
    recorder.seen.clear()
    second = run_script(*connection, "--accept", "waiting@example.com")
    assert second.returncode == 0, second.stderr
    lines = second.stdout.splitlines()
    assert lines[0].startswith(f"pending invite {invite.id} for waiting@example.com as owner")
    assert recorder.changes() == [("POST", f"/_orgusers/invites/{invite.id}/accept")]
    assert lines[-1] == f"project {default.id} ({DEFAULT}): member, confirmed"
    assert next(iter(o.users.list(emails=["waiting@example.com"]))).role == "owner"


def test_onboarding_script_errors(server, recorder):
    o = strict(server).admin.organization
    connection = ["--base-url", recorder.base_url, "--admin-key", KEY]
    # The API's refusal, with its message and request id: a project that does not exist.
    refused_ = run_script(*connection, "--project", "proj_nope", "someone@example.com")
    assert (refused_.returncode, refused_.stdout) == (1, "")
    assert refused_.stderr.startswith("error: 400 ") and "(request id req_" in refused_.stderr
    # A wrong key.
    wrong = run_script("--base-url", recorder.base_url, "--admin-key", "sk-admin-wrong-key-1234567890",
                       "someone@example.com")
    assert wrong.returncode == 1 and wrong.stderr.startswith("error: 401 Incorrect API key provided")
    # No key at all; mistyped options.
    assert run_script("--base-url", recorder.base_url, "someone@example.com").returncode == 1
    assert run_script(*connection, "--project", "proj_x:admin", "someone@example.com").returncode == 2
    assert run_script(*connection, "--no-projects", "--project", "proj_x", "someone@example.com").returncode == 2
    # The one change asked for was the refused invite.
    assert recorder.changes() == [("POST", "/v1/organization/invites")]
    assert list(o.invites.list()) == []
