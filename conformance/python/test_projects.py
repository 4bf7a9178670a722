"""The official `openai` Python SDK against orgusers' projects: `client.admin.organization.projects`
and what lives in a project, `.users`, `.service_accounts` (with `.service_accounts.api_keys`),
`.api_keys` and `.groups`, and the `projects` field of every organization user. Every answer is
validated against the SDK's own model class (strict response validation), every first/last list
walked through the SDK's `ConversationCursorPage` (project groups: `NextCursorPage`) and its
auto-pagination, and every error checked as the exception class the real API would give.

Project API keys owned by users exist only through `orgusers import` (the API creates keys for
service accounts only): the tests import them into the running server's store."""

import asyncio
import hashlib
import json
import os
import re
import subprocess

import openai
import pytest
from openai.pagination import (
    AsyncConversationCursorPage,
    SyncConversationCursorPage,
    SyncNextCursorPage,
)
from openai.types.admin.organization import Project
from openai.types.admin.organization import projects as project_types
from openai.types.admin.organization.projects import service_accounts as service_account_types

from conftest import BIN, USER_COUNT, fixture_users

TOTAL = USER_COUNT + 1  # the fixture users plus the one with '+' in its email
PROJECT_ID = re.compile(r"^proj_[A-Za-z0-9]{24}$")
SERVICE_ACCOUNT_ID = re.compile(r"^svc_acct_[A-Za-z0-9]{24}$")
KEY_ID = re.compile(r"^key_[A-Za-z0-9]{24}$")
SECRET = re.compile(r"^sk-svcacct-[A-Za-z0-9]{48}$")
DEFAULT = "Default project"
ADMIN_AUTH = {"security": {"admin_api_key_auth": True}}
# The fixture users by id: names and emails to compare answers with (every seventh email is
# non-ASCII, so tests take them from here rather than spelling them).
FIXTURE = {u["id"]: u for u in fixture_users()}
# A refused change of an archived project: 400, param the field at fault or null.
ARCHIVED_PARAM = (None, "project_id")


def strict(server):
    """A client that validates every answer against the SDK's pydantic models (by default the SDK
    builds them from any JSON without checking), so a missing field or a wrong type fails with
    openai.APIResponseValidationError."""
    return server.client(_strict_response_validation=True)


def uid(i):
    return f"user-conf{i:04d}"


def email(i):
    return FIXTURE[uid(i)]["email"]


def one_of(value, expected):
    """`expected` is a value, or a tuple of the values the contract leaves open."""
    return value in expected if isinstance(expected, tuple) else value == expected


def expect_error(server, call, cls, status, param, code=None, message=None):
    """`call` raises exactly `cls` (or one of a tuple) with the status, param and code, after one
    request."""
    server.requests = 0
    with pytest.raises(cls if isinstance(cls, tuple) else (cls,)) as info:
        call()
    e = info.value
    assert one_of(type(e), cls), type(e)
    assert one_of(e.status_code, status), (e.status_code, e.body)
    assert one_of(e.param, param), (e.param, e.body)
    assert one_of(e.code, code), (e.code, e.body)
    assert set(e.body) == {"message", "type", "param", "code"}
    assert e.type == "invalid_request_error"
    if message is not None:
        assert e.body["message"] == message
    assert e.request_id.startswith("req_")
    assert server.requests == 1, f"{type(e).__name__} was retried"
    return e


def not_found(server, call, kind, param, ident):
    return expect_error(server, call, openai.NotFoundError, 404, param, None, f"No such {kind}: {ident}")


def conflict(server, call, param):
    """A request that conflicts with the state: 400, code null, a one-sentence message. Where the
    contract says only "the field at fault or null", `param` is a tuple of the values allowed."""
    e = expect_error(server, call, openai.BadRequestError, 400, param, None)
    assert e.body["message"]
    return e


def oldest_first(items):
    """Items of a first/last list in the contract's order: creation time, ties by id."""
    return sorted(items, key=lambda x: (x.created_at, x.id))


def ids(items):
    return [x.id for x in items]


def default_project(client):
    found = [p for p in client.admin.organization.projects.list(limit=100, include_archived=True) if p.name == DEFAULT]
    assert len(found) == 1, found
    return found[0]


def held(user):
    """A user's `projects` field as (project id, name, role) triples, in its order."""
    assert user.projects is not None, f"{user.id} has no projects field"
    assert user.projects.object == "list"
    return [(p.id, p.name, p.role) for p in user.projects.data]


def expected_held(client, roles):
    """The `projects` field of a user with these direct memberships ({project id: role}): the
    active projects, oldest first."""
    projects = [client.admin.organization.projects.retrieve(p) for p in roles]
    return [(p.id, p.name, roles[p.id]) for p in oldest_first(projects) if p.status == "active"]


def project_roles(project_id):
    return (f"role-api-project-owner__api-project__{project_id}", f"role-api-project-member__api-project__{project_id}")


def user_key(project_id, key_id, owner, role, created_at, name=None):
    """A line of `orgusers import` for a project API key owned by `owner` (a fixture user id),
    in the API's shape with the project's id and the hash of a secret."""
    user = FIXTURE[owner]
    secret = f"sk-proj-conformance-{key_id}"
    return {
        "object": "organization.project.api_key",
        "project_id": project_id,
        "id": key_id,
        "name": name or f"Key {key_id}",
        "redacted_value": f"sk-proj-...{secret[-4:]}",
        "created_at": created_at,
        "last_used_at": None,
        "owner_project_access": "active",
        "owner": {
            "type": "user",
            "user": {"id": owner, "name": user["name"], "email": user["email"], "role": role,
                     "created_at": user["added_at"]},
        },
        "value_sha256": hashlib.sha256(secret.encode()).hexdigest(),
    }


def key_id(tag, i):
    """An imported key id: `key_` and 24 characters, like generated ones."""
    return f"key_{tag}{i:0{24 - len(tag)}d}"


def import_lines(server, lines):
    """Imports JSON Lines into the running server's store (import works beside a server)."""
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    done = subprocess.run([BIN, "import", "--database", server.database, "-"], input=text, capture_output=True,
                          text=True, env={**os.environ, "ORGUSERS_LOG": "warn"})
    assert done.returncode == 0, f"orgusers import refused the lines: {done.stderr}"


# Projects


def test_default_project_and_its_members(server):
    client = strict(server)
    o = client.admin.organization
    page = o.projects.list()
    assert isinstance(page, SyncConversationCursorPage)
    assert len(page.data) == 1 and page.has_more is False
    default = page.data[0]
    assert isinstance(default, Project)
    assert PROJECT_ID.match(default.id), default.id
    assert (default.object, default.name, default.status, default.archived_at) == (
        "organization.project", DEFAULT, "active", None)
    assert isinstance(default.created_at, int) and default.created_at > 1_600_000_000
    assert page.first_id == page.last_id == default.id
    assert o.projects.retrieve(default.id).model_dump() == default.model_dump()
    # It cannot be archived.
    conflict(server, lambda: o.projects.archive(default.id), (None, "project_id"))
    assert o.projects.retrieve(default.id).model_dump() == default.model_dump()

    # Every imported user is a member: owners as owner, readers as member.
    members = {m.id: m for m in o.projects.users.list(default.id, limit=100)}
    assert len(members) == TOTAL
    users = {u.id: u for u in o.users.list(limit=100)}
    assert set(users) == set(members)
    for user_id, user in users.items():
        member = members[user_id]
        assert isinstance(member, project_types.ProjectUser)
        assert member.object == "organization.project.user"
        assert (member.email, member.name) == (user.email, user.name)
        assert member.role == ("owner" if user.role == "owner" else "member")
        assert isinstance(member.added_at, int)
        assert held(user) == [(default.id, DEFAULT, member.role)]
    assert members[uid(0)].role == members[uid(1)].role == "owner"
    assert members["user-plus"].email == "first+tag@example.com"


def test_project_lifecycle(server):
    client = strict(server)
    projects = client.admin.organization.projects
    default = default_project(client)
    created = projects.create(name="Project ABC")
    assert isinstance(created, Project)
    assert PROJECT_ID.match(created.id), created.id
    assert (created.object, created.name, created.status, created.archived_at) == (
        "organization.project", "Project ABC", "active", None)
    assert isinstance(created.created_at, int) and created.created_at >= default.created_at
    assert projects.retrieve(created.id).model_dump() == created.model_dump()
    assert ids(projects.list()) == ids(oldest_first([default, created]))
    # A new project has no members: an admin key is no user.
    assert list(projects.users.list(created.id)) == []

    renamed = projects.update(created.id, name="Project DEF")
    assert isinstance(renamed, Project)
    assert (renamed.id, renamed.name, renamed.created_at, renamed.status) == (
        created.id, "Project DEF", created.created_at, "active")
    assert projects.update(created.id).model_dump() == renamed.model_dump()  # {} changes nothing
    assert projects.retrieve(created.id).model_dump() == renamed.model_dump()
    keyed = projects.create(name="Keyed", external_key_id="ekey_conformance")
    assert keyed.external_key_id == "ekey_conformance"
    assert projects.update(keyed.id, external_key_id="ekey_other").external_key_id == "ekey_other"
    placed = projects.create(name="Placed", residency="EU_STORAGE_PROCESSING")
    assert projects.retrieve(placed.id).residency == placed.residency == "EU_STORAGE_PROCESSING"
    twin = projects.create(name="Project DEF")  # names need not be unique
    assert twin.id != created.id and twin.name == "Project DEF"
    unicode_name = projects.create(name="Prøjekt 王 ✓")
    assert projects.retrieve(unicode_name.id).name == "Prøjekt 王 ✓"

    archived = projects.archive(created.id)
    assert isinstance(archived, Project)
    assert (archived.id, archived.name, archived.status) == (created.id, "Project DEF", "archived")
    assert isinstance(archived.archived_at, int) and archived.archived_at >= created.created_at
    # Idempotent: archiving again answers the same project.
    assert projects.archive(created.id).model_dump() == archived.model_dump()
    assert projects.retrieve(created.id).model_dump() == archived.model_dump()
    assert created.id not in ids(projects.list())
    assert ids(projects.list(include_archived=True)) == ids(oldest_first([default, created, keyed, placed, twin, unicode_name]))


def test_project_errors(server):
    client = strict(server)
    projects = client.admin.organization.projects
    bad = openai.BadRequestError
    kept = projects.create(name="Kept")
    expect_error(server, lambda: server.client(key="sk-admin-wrong-key-1234567890").admin.organization.projects.list(),
                 openai.AuthenticationError, 401, None, "invalid_api_key",
                 "Incorrect API key provided: sk-adm*******************7890.")
    expect_error(server, lambda: client.post("/organization/projects", body={}, cast_to=Project, options=ADMIN_AUTH),
                 bad, 400, "name", "missing_required_parameter", "Missing required parameter: 'name'.")
    expect_error(server, lambda: client.post("/organization/projects", body={"name": 7}, cast_to=Project,
                                             options=ADMIN_AUTH),
                 bad, 400, "name", "invalid_type", "Invalid type for 'name': expected a string, but got an integer instead.")
    expect_error(server, lambda: client.post("/organization/projects", body=["Kept"], cast_to=Project,
                                             options=ADMIN_AUTH),
                 bad, 400, None, None, "We could not parse the JSON body of your request. The API expects a JSON payload.")
    expect_error(server, lambda: projects.create(name="Extra", extra_body={"color": "red"}), bad, 400, "color", None,
                 "Unrecognized request argument supplied: color")
    expect_error(server, lambda: projects.update(kept.id, extra_body={"status": "archived"}), bad, 400, "status", None,
                 "Unrecognized request argument supplied: status")
    expect_error(server, lambda: projects.create(name="x" * (1024 * 1024 + 1)), openai.APIStatusError, 413, None, None,
                 "Request body too large.")
    for call in [lambda: projects.retrieve("proj_nope"), lambda: projects.update("proj_nope", name="x"),
                 lambda: projects.archive("proj_nope")]:
        not_found(server, call, "project", "project_id", "proj_nope")
    expect_error(server, lambda: client.get(f"/organization/projects/{kept.id}/nothing", cast_to=object,
                                            options=ADMIN_AUTH),
                 openai.NotFoundError, 404, None, None, f"Invalid URL (GET /v1/organization/projects/{kept.id}/nothing)")
    # Nothing of the refused requests was written.
    assert sorted(p.name for p in projects.list(include_archived=True)) == [DEFAULT, "Kept"]
    assert projects.retrieve(kept.id).status == "active"


def test_include_archived(server):
    client = strict(server)
    projects = client.admin.organization.projects
    default = default_project(client)
    a, b, c = (projects.create(name=n) for n in ["A", "B", "C"])
    projects.archive(b.id)
    active = ids(oldest_first([default, a, c]))
    everything = ids(oldest_first([default, a, b, c]))
    assert ids(projects.list()) == active
    assert ids(projects.list(include_archived=False)) == active
    assert ids(projects.list(include_archived=True)) == everything
    # Scripts built on other clients send True/False, 1/0: every letter case is accepted.
    for value in ["true", "True", "TRUE", "1"]:
        assert ids(projects.list(extra_query={"include_archived": value})) == everything, value
    for value in ["false", "False", "FALSE", "0"]:
        assert ids(projects.list(extra_query={"include_archived": value})) == active, value
    for value in ["yes", "", "2"]:
        expect_error(server, lambda: projects.list(extra_query={"include_archived": value}), openai.BadRequestError,
                     400, "include_archived", "invalid_type")


def test_projects_auto_pagination(server):
    client = strict(server)
    projects = client.admin.organization.projects
    made = [projects.create(name=f"Project {i:02d}") for i in range(25)]
    default = default_project(client)
    expected = ids(oldest_first(made + [default]))
    server.requests = 0
    assert ids(projects.list(limit=7)) == expected
    assert server.requests == 4  # 7 + 7 + 7 + 5
    server.requests = 0
    assert ids(projects.list()) == expected and server.requests == 2  # the default limit is 20
    first = projects.list(limit=7)
    assert (first.has_more, first.first_id, first.last_id) == (True, expected[0], expected[6])
    second = first.get_next_page()
    assert isinstance(second, SyncConversationCursorPage) and isinstance(second.data[0], Project)
    assert ids(second.data) == expected[7:14]
    assert ids(projects.list(limit=7, after=first.last_id).data) == expected[7:14]
    last = projects.list(limit=7, after=expected[20])
    assert ids(last.data) == expected[21:]
    assert (last.has_more, last.last_id, last.has_next_page()) == (False, expected[-1], False)
    # Archiving while walking, the page's last project (the next cursor) among them: every project
    # active throughout is met once. (The Default project, which cannot be archived, sorts among
    # the others when they were created in the same second.)
    cursor = 4 if expected[4] != default.id else 9
    later = 12 if expected[12] != default.id else 13
    seen = []
    for i, p in enumerate(projects.list(limit=5)):
        seen.append(p.id)
        if i == cursor:
            projects.archive(expected[cursor])
            projects.archive(expected[later])
    assert seen == [p for p in expected if p != expected[later]]
    assert ids(projects.list(limit=5, include_archived=True)) == expected
    assert ids(projects.list(limit=100)) == [p for p in expected if p not in (expected[cursor], expected[later])]


@pytest.mark.parametrize("kind", ["projects", "project users", "service accounts", "project API keys"])
def test_first_last_list_parameters(server, kind):
    """limit 1..100 and an `after` that names nothing of the list, on every first/last list."""
    client = strict(server)
    o = client.admin.organization
    project = o.projects.create(name="Parameters")
    o.projects.users.create(project.id, user_id=uid(3), role="member")
    o.projects.service_accounts.create(project.id, name="Parameters")
    lister = {
        "projects": lambda **q: o.projects.list(**q),
        "project users": lambda **q: o.projects.users.list(project.id, **q),
        "service accounts": lambda **q: o.projects.service_accounts.list(project.id, **q),
        "project API keys": lambda **q: o.projects.api_keys.list(project.id, **q),
    }[kind]
    bad = openai.BadRequestError
    expect_error(server, lambda: lister(limit=0), bad, 400, "limit", "integer_below_min_value",
                 "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead.")
    expect_error(server, lambda: lister(limit=101), bad, 400, "limit", "integer_above_max_value",
                 "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got 101 instead.")
    expect_error(server, lambda: lister(extra_query={"limit": "5.0"}), bad, 400, "limit", "invalid_type",
                 "Invalid 'limit': expected an integer, but got '5.0' instead.")
    expect_error(server, lambda: lister(after="nothing-of-this-list"), bad, 400, "after", "invalid_value")
    server.requests = 0
    page = lister(limit=100)
    assert isinstance(page, SyncConversationCursorPage)
    assert page.has_more is False and len(page.data) >= 1
    assert (page.first_id, page.last_id) == (page.data[0].id, page.data[-1].id)
    assert list(lister(limit=1)) == page.data
    assert server.requests == 1 + len(page.data)


# Project users


def test_project_users(server):
    client = strict(server)
    o = client.admin.organization
    users = o.projects.users
    project = o.projects.create(name="Members")
    added = users.create(project.id, user_id=uid(10), role="member")
    assert isinstance(added, project_types.ProjectUser)
    assert (added.object, added.id, added.role) == ("organization.project.user", uid(10), "member")
    assert (added.email, added.name) == (email(10), FIXTURE[uid(10)]["name"])
    assert isinstance(added.added_at, int) and added.added_at >= project.created_at
    by_email = users.create(project.id, email=email(11), role="owner")
    assert (by_email.id, by_email.role, by_email.email) == (uid(11), "owner", email(11))
    both = users.create(project.id, user_id=uid(12), email=email(12), role="member")
    assert both.id == uid(12)
    non_ascii = users.create(project.id, email=email(14), role="member")  # "…@exämple.com"
    assert non_ascii.id == uid(14) and not non_ascii.email.isascii()
    plus = users.create(project.id, email="first+tag@example.com", role="member")
    assert plus.id == "user-plus"

    assert users.retrieve(uid(10), project_id=project.id).model_dump() == added.model_dump()
    promoted = users.update(uid(10), project_id=project.id, role="owner")
    assert isinstance(promoted, project_types.ProjectUser)
    assert (promoted.id, promoted.role, promoted.added_at, promoted.email) == (uid(10), "owner", added.added_at, email(10))
    assert users.retrieve(uid(10), project_id=project.id).role == "owner"

    page = users.list(project.id)
    assert isinstance(page, SyncConversationCursorPage)
    assert all(isinstance(m, project_types.ProjectUser) for m in page.data)
    assert ids(page.data) == [m.id for m in sorted(page.data, key=lambda m: (m.added_at, m.id))]
    assert sorted(ids(page.data)) == sorted([uid(10), uid(11), uid(12), uid(14), "user-plus"])
    assert (page.has_more, page.first_id, page.last_id) == (False, page.data[0].id, page.data[-1].id)

    removed = users.delete(uid(11), project_id=project.id)
    assert isinstance(removed, project_types.UserDeleteResponse)
    assert (removed.object, removed.id, removed.deleted) == ("organization.project.user.deleted", uid(11), True)
    for call in [lambda: users.retrieve(uid(11), project_id=project.id),
                 lambda: users.update(uid(11), project_id=project.id, role="member"),
                 lambda: users.delete(uid(11), project_id=project.id)]:
        not_found(server, call, "user", "user_id", uid(11))
    assert uid(11) not in ids(users.list(project.id))
    assert o.users.retrieve(uid(11)).id == uid(11)  # still in the organization
    # A project may be left without owners.
    assert users.delete(uid(10), project_id=project.id).deleted is True
    assert {m.role for m in users.list(project.id)} == {"member"}
    # Coming back is a new membership.
    back = users.create(project.id, user_id=uid(11), role="member")
    assert back.role == "member" and back.added_at >= by_email.added_at
    assert sorted(ids(users.list(project.id))) == sorted([uid(11), uid(12), uid(14), "user-plus"])


def test_project_user_errors(server):
    client = strict(server)
    o = client.admin.organization
    users = o.projects.users
    bad = openai.BadRequestError
    project = o.projects.create(name="Errors")
    users.create(project.id, user_id=uid(20), role="member")
    for call in [lambda: users.list("proj_nope"), lambda: users.create("proj_nope", user_id=uid(20), role="member"),
                 lambda: users.retrieve(uid(20), project_id="proj_nope"),
                 lambda: users.update(uid(20), project_id="proj_nope", role="owner"),
                 lambda: users.delete(uid(20), project_id="proj_nope")]:
        not_found(server, call, "project", "project_id", "proj_nope")
    # A known project: an unknown user, or an organization user who is no member, is an unknown child.
    for user_id in ["user-nobody", uid(21)]:
        for call in [lambda: users.retrieve(user_id, project_id=project.id),
                     lambda: users.update(user_id, project_id=project.id, role="owner"),
                     lambda: users.delete(user_id, project_id=project.id)]:
            not_found(server, call, "user", "user_id", user_id)

    # Only organization users can be added, by id or by email.
    o.users.delete(uid(22))
    for user_id in ["user-nobody", uid(22), project.id]:
        expect_error(server, lambda: users.create(project.id, user_id=user_id, role="member"), bad, 400, "user_id",
                     (None, "invalid_value"))
    for address in ["nobody@example.com", email(22)]:
        expect_error(server, lambda: users.create(project.id, email=address, role="member"), bad, 400, "email",
                     (None, "invalid_value"))
    # Both given: they must name the same user.
    expect_error(server, lambda: users.create(project.id, user_id=uid(23), email=email(24), role="member"), bad, 400,
                 ("user_id", "email", None), (None, "invalid_value"))
    # Not yet a member.
    conflict(server, lambda: users.create(project.id, user_id=uid(20), role="owner"), ("user_id", "email", None))
    conflict(server, lambda: users.create(project.id, email=email(20), role="member"), ("user_id", "email", None))
    # Roles: owner or member.
    for role in ["admin", "reader", "Owner"]:
        expect_error(server, lambda: users.create(project.id, user_id=uid(25), role=role), bad, 400, "role",
                     "invalid_value")
        expect_error(server, lambda: users.update(uid(20), project_id=project.id, role=role), bad, 400, "role",
                     "invalid_value")
    path = f"/organization/projects/{project.id}/users"
    expect_error(server, lambda: client.post(path, body={"user_id": uid(25)}, cast_to=object, options=ADMIN_AUTH),
                 bad, 400, "role", "missing_required_parameter", "Missing required parameter: 'role'.")
    expect_error(server, lambda: client.post(path, body={"role": "member"}, cast_to=object, options=ADMIN_AUTH),
                 bad, 400, ("user_id", "email"), ("missing_required_parameter", None))
    expect_error(server, lambda: client.post(path, body={"user_id": uid(25), "role": 1}, cast_to=object,
                                             options=ADMIN_AUTH),
                 bad, 400, "role", "invalid_type", "Invalid type for 'role': expected a string, but got an integer instead.")
    expect_error(server, lambda: users.create(project.id, user_id=uid(25), role="member", extra_body={"note": 1}),
                 bad, 400, "note", None, "Unrecognized request argument supplied: note")
    # Nothing of the refused requests was written.
    assert [(m.id, m.role) for m in users.list(project.id)] == [(uid(20), "member")]


def test_project_users_auto_pagination(server):
    client = strict(server)
    o = client.admin.organization
    default = default_project(client)
    server.requests = 0
    members = list(o.projects.users.list(default.id, limit=50))
    assert len(members) == TOTAL and len(set(ids(members))) == TOTAL
    assert server.requests == -(-TOTAL // 50)
    assert ids(members) == [m.id for m in sorted(members, key=lambda m: (m.added_at, m.id))]
    server.requests = 0
    assert ids(o.projects.users.list(default.id)) == ids(members)
    assert server.requests == -(-TOTAL // 20)  # the default limit is 20

    project = o.projects.create(name="Thirty")
    for i in range(30):
        o.projects.users.create(project.id, user_id=uid(100 + i), role="owner" if i % 3 == 0 else "member")
    expected = ids(sorted(o.projects.users.list(project.id, limit=100).data, key=lambda m: (m.added_at, m.id)))
    assert sorted(expected) == sorted(uid(100 + i) for i in range(30))
    server.requests = 0
    assert ids(o.projects.users.list(project.id, limit=8)) == expected and server.requests == 4
    first = o.projects.users.list(project.id, limit=8)
    assert (first.first_id, first.last_id, first.has_more) == (expected[0], expected[7], True)
    assert ids(first.get_next_page().data) == expected[8:16]
    assert ids(o.projects.users.list(project.id, limit=8, after=expected[7]).data) == expected[8:16]
    # Removing members while walking, the page's last one (the next cursor) among them: every
    # member present throughout is met once.
    seen = []
    for i, m in enumerate(o.projects.users.list(project.id, limit=5)):
        seen.append(m.id)
        if i == 4:
            o.projects.users.delete(expected[4], project_id=project.id)
            o.projects.users.delete(expected[17], project_id=project.id)
    assert seen == [m for m in expected if m != expected[17]]
    # A removed member's id still places a page.
    assert ids(o.projects.users.list(project.id, limit=3, after=expected[4]).data) == expected[5:8]


def test_user_projects_field(server):
    client = strict(server)
    o = client.admin.organization
    default = default_project(client)
    user_id = uid(30)
    first, second, third = (o.projects.create(name=n) for n in ["First", "Second", "Third"])
    o.projects.users.create(second.id, user_id=user_id, role="owner")
    o.projects.users.create(first.id, user_id=user_id, role="member")
    roles = {default.id: "member", first.id: "member", second.id: "owner"}
    expected = expected_held(client, roles)
    assert [p for p, _, _ in expected] == ids(oldest_first([default, first, second]))  # oldest project first
    assert held(o.users.retrieve(user_id)) == expected
    assert held(o.users.list(emails=[email(30)]).data[0]) == expected
    assert held(next(u for u in o.users.list(limit=100) if u.id == user_id)) == expected
    # Changes of role and of name show.
    o.projects.users.update(user_id, project_id=first.id, role="owner")
    o.projects.update(second.id, name="Second, renamed")
    roles[first.id] = "owner"
    expected = expected_held(client, roles)
    assert ("Second, renamed" in [name for _, name, _ in expected])
    assert held(o.users.retrieve(user_id)) == expected
    # Access through a group is not a direct membership.
    group = o.groups.create(name="Via group")
    o.groups.users.create(group.id, user_id=user_id)
    o.projects.groups.create(third.id, group_id=group.id, role=project_roles(third.id)[1])
    assert held(o.users.retrieve(user_id)) == expected
    # Leaving a project, or its archiving, ends its entry.
    o.projects.users.delete(user_id, project_id=second.id)
    del roles[second.id]
    assert held(o.users.retrieve(user_id)) == expected_held(client, roles)
    o.projects.archive(first.id)
    assert held(o.users.retrieve(user_id)) == [(default.id, DEFAULT, "member")]
    # Every answer that carries a user carries the field.
    assert held(o.users.update(user_id, technical_level="expert")) == [(default.id, DEFAULT, "member")]
    # Others are untouched.
    assert held(o.users.retrieve(uid(31))) == [(default.id, DEFAULT, "member")]
    assert held(o.users.retrieve(uid(0))) == [(default.id, DEFAULT, "owner")]


# Service accounts


def test_service_accounts(server):
    client = strict(server)
    o = client.admin.organization
    accounts = o.projects.service_accounts
    project = o.projects.create(name="Services")
    created = accounts.create(project.id, name="Production App")
    assert isinstance(created, project_types.ServiceAccountCreateResponse)
    assert SERVICE_ACCOUNT_ID.match(created.id), created.id
    assert (created.object, created.name, created.role) == ("organization.project.service_account", "Production App",
                                                             "member")
    assert isinstance(created.created_at, int) and created.created_at >= project.created_at
    key = created.api_key
    assert key is not None
    assert key.object == "organization.project.service_account.api_key"
    assert SECRET.match(key.value), key.value
    assert KEY_ID.match(key.id), key.id
    assert isinstance(key.name, str) and key.name and isinstance(key.created_at, int)

    fetched = accounts.retrieve(created.id, project_id=project.id)
    assert isinstance(fetched, project_types.ProjectServiceAccount)
    assert (fetched.id, fetched.name, fetched.role, fetched.created_at) == (
        created.id, "Production App", "member", created.created_at)
    raw = accounts.with_raw_response.retrieve(created.id, project_id=project.id)
    assert set(json.loads(raw.text)) == {"object", "id", "name", "role", "created_at"}

    # The key is listed among the project's keys, redacted: its value was shown once.
    listed = list(o.projects.api_keys.list(project.id))
    assert ids(listed) == [key.id]
    entry = listed[0]
    assert isinstance(entry, project_types.ProjectAPIKey)
    assert (entry.object, entry.name, entry.owner_project_access) == ("organization.project.api_key", key.name, "active")
    assert entry.redacted_value == f"sk-svcacct-...{key.value[-4:]}"
    assert entry.owner.type == "service_account" and entry.owner.user is None
    assert (entry.owner.service_account.id, entry.owner.service_account.name) == (created.id, "Production App")
    assert entry.last_used_at is None
    assert o.projects.api_keys.retrieve(key.id, project_id=project.id).model_dump() == entry.model_dump()
    for answer in [o.projects.api_keys.with_raw_response.list(project.id),
                   o.projects.api_keys.with_raw_response.retrieve(key.id, project_id=project.id),
                   accounts.with_raw_response.list(project.id),
                   accounts.with_raw_response.retrieve(created.id, project_id=project.id)]:
        assert key.value[11:] not in answer.text

    # Without a key: role none, nothing listed.
    bare = accounts.create(project.id, name="No key", create_service_account_only=True)
    assert (bare.api_key, bare.role) == (None, "none")
    assert accounts.retrieve(bare.id, project_id=project.id).role == "none"
    assert ids(o.projects.api_keys.list(project.id)) == [key.id]

    renamed = accounts.update(created.id, project_id=project.id, name="Renamed")
    assert isinstance(renamed, project_types.ProjectServiceAccount)
    assert (renamed.name, renamed.role, renamed.created_at) == ("Renamed", "member", created.created_at)
    promoted = accounts.update(created.id, project_id=project.id, role="owner")
    assert (promoted.name, promoted.role) == ("Renamed", "owner")
    assert accounts.update(created.id, project_id=project.id).model_dump() == promoted.model_dump()
    assert accounts.retrieve(created.id, project_id=project.id).model_dump() == promoted.model_dump()
    page = accounts.list(project.id)
    assert isinstance(page, SyncConversationCursorPage)
    assert [a.model_dump() for a in page.data] == [
        a.model_dump() for a in oldest_first([promoted, accounts.retrieve(bare.id, project_id=project.id)])]

    # More keys for it, each value shown once.
    second = accounts.api_keys.create(created.id, project_id=project.id, name="Second key")
    assert isinstance(second, service_account_types.APIKeyCreateResponse)
    assert (second.object, second.name) == ("organization.project.service_account.api_key", "Second key")
    assert SECRET.match(second.value) and KEY_ID.match(second.id)
    assert second.value != key.value and second.id != key.id
    third = accounts.api_keys.create(created.id, project_id=project.id, scopes=["api.responses.write"])
    assert isinstance(third.name, str) and SECRET.match(third.value)
    keys = list(o.projects.api_keys.list(project.id))
    assert sorted(ids(keys)) == sorted([key.id, second.id, third.id])
    assert {k.owner.service_account.id for k in keys} == {created.id}
    assert {k.owner.service_account.role for k in keys} == {"owner"}

    # Service accounts are no organization users.
    assert created.id not in ids(o.users.list(limit=100))
    not_found(server, lambda: o.users.retrieve(created.id), "user", "user_id", created.id)

    deleted = accounts.delete(created.id, project_id=project.id)
    assert isinstance(deleted, project_types.ServiceAccountDeleteResponse)
    assert (deleted.object, deleted.id, deleted.deleted) == ("organization.project.service_account.deleted",
                                                             created.id, True)
    for call in [lambda: accounts.retrieve(created.id, project_id=project.id),
                 lambda: accounts.update(created.id, project_id=project.id, name="x"),
                 lambda: accounts.delete(created.id, project_id=project.id),
                 lambda: accounts.api_keys.create(created.id, project_id=project.id, name="x")]:
        not_found(server, call, "service account", "service_account_id", created.id)
    # Its keys went with it.
    assert list(o.projects.api_keys.list(project.id)) == []
    not_found(server, lambda: o.projects.api_keys.retrieve(key.id, project_id=project.id), "API key", "api_key_id",
              key.id)
    assert ids(accounts.list(project.id)) == [bare.id]


def test_service_account_errors(server):
    client = strict(server)
    o = client.admin.organization
    accounts = o.projects.service_accounts
    bad = openai.BadRequestError
    project = o.projects.create(name="Errors")
    other = o.projects.create(name="Other")
    account = accounts.create(project.id, name="Kept")
    for call in [lambda: accounts.list("proj_nope"), lambda: accounts.create("proj_nope", name="x"),
                 lambda: accounts.retrieve(account.id, project_id="proj_nope"),
                 lambda: accounts.update(account.id, project_id="proj_nope", name="x"),
                 lambda: accounts.delete(account.id, project_id="proj_nope"),
                 lambda: accounts.api_keys.create(account.id, project_id="proj_nope", name="x")]:
        not_found(server, call, "project", "project_id", "proj_nope")
    # Another project's service account is unknown here.
    for ident, where in [("svc_acct_nope", project.id), (account.id, other.id)]:
        for call in [lambda: accounts.retrieve(ident, project_id=where),
                     lambda: accounts.update(ident, project_id=where, name="x"),
                     lambda: accounts.delete(ident, project_id=where),
                     lambda: accounts.api_keys.create(ident, project_id=where, name="x")]:
            not_found(server, call, "service account", "service_account_id", ident)
    path = f"/organization/projects/{project.id}/service_accounts"
    expect_error(server, lambda: client.post(path, body={}, cast_to=object, options=ADMIN_AUTH), bad, 400, "name",
                 "missing_required_parameter", "Missing required parameter: 'name'.")
    expect_error(server, lambda: client.post(path, body={"name": ["x"]}, cast_to=object, options=ADMIN_AUTH), bad,
                 400, "name", "invalid_type", "Invalid type for 'name': expected a string, but got an array instead.")
    expect_error(server, lambda: client.post(path, body={"name": "x", "create_service_account_only": "yes"},
                                             cast_to=object, options=ADMIN_AUTH),
                 bad, 400, "create_service_account_only", "invalid_type")
    expect_error(server, lambda: accounts.create(project.id, name="x", extra_body={"role": "owner"}), bad, 400, "role",
                 None, "Unrecognized request argument supplied: role")
    for role in ["admin", "none", "reader"]:
        expect_error(server, lambda: client.post(f"{path}/{account.id}", body={"role": role}, cast_to=object,
                                                 options=ADMIN_AUTH),
                     bad, 400, "role", "invalid_value")
    expect_error(server, lambda: accounts.api_keys.create(account.id, project_id=project.id, extra_body={"color": 1}),
                 bad, 400, "color", None, "Unrecognized request argument supplied: color")
    # Nothing of the refused requests was written.
    assert [(a.id, a.name, a.role) for a in accounts.list(project.id)] == [(account.id, "Kept", "member")]
    assert len(list(o.projects.api_keys.list(project.id))) == 1
    assert list(accounts.list(other.id)) == []


def test_service_accounts_auto_pagination(server):
    client = strict(server)
    accounts = client.admin.organization.projects.service_accounts
    project = client.admin.organization.projects.create(name="Many services")
    made = [accounts.create(project.id, name=f"Service {i:02d}", create_service_account_only=i % 2 == 0)
            for i in range(23)]
    expected = ids(oldest_first(made))
    server.requests = 0
    walked = list(accounts.list(project.id, limit=5))
    assert ids(walked) == expected and server.requests == 5  # 5 + 5 + 5 + 5 + 3
    assert all(isinstance(a, project_types.ProjectServiceAccount) for a in walked)
    first = accounts.list(project.id, limit=5)
    assert (first.first_id, first.last_id, first.has_more) == (expected[0], expected[4], True)
    assert ids(first.get_next_page().data) == expected[5:10]
    assert ids(accounts.list(project.id, limit=5, after=expected[4]).data) == expected[5:10]
    seen = []
    for i, a in enumerate(accounts.list(project.id, limit=5)):
        seen.append(a.id)
        if i == 9:
            accounts.delete(expected[9], project_id=project.id)
            accounts.delete(expected[15], project_id=project.id)
    assert seen == [a for a in expected if a != expected[15]]


# Project API keys


def test_project_api_keys(server):
    client = strict(server)
    o = client.admin.organization
    keys = o.projects.api_keys
    project = o.projects.create(name="Keys")
    other = o.projects.create(name="Other keys")
    o.projects.users.create(project.id, user_id=uid(40), role="member")
    o.projects.users.create(project.id, user_id=uid(41), role="owner")
    import_lines(server, [
        user_key(project.id, key_id("keys", 1), uid(40), "member", 1_750_000_001, name="Laptop"),
        user_key(project.id, key_id("keys", 2), uid(40), "member", 1_750_000_002, name="CI"),
        user_key(project.id, key_id("keys", 3), uid(41), "owner", 1_750_000_002, name="Notebook"),
        user_key(other.id, key_id("keys", 4), uid(41), "owner", 1_750_000_003),
    ])
    page = keys.list(project.id)
    assert isinstance(page, SyncConversationCursorPage)
    assert ids(page.data) == [key_id("keys", i) for i in (1, 2, 3)]
    assert (page.first_id, page.last_id, page.has_more) == (key_id("keys", 1), key_id("keys", 3), False)
    for entry, owner, role, name in zip(page.data, [uid(40), uid(40), uid(41)], ["member", "member", "owner"],
                                        ["Laptop", "CI", "Notebook"]):
        assert isinstance(entry, project_types.ProjectAPIKey)
        assert (entry.object, entry.name, entry.last_used_at) == ("organization.project.api_key", name, None)
        assert entry.redacted_value.startswith("sk-proj-...")
        assert entry.owner_project_access == "active"
        assert entry.owner.type == "user" and entry.owner.service_account is None
        user = o.users.retrieve(owner)
        assert (entry.owner.user.id, entry.owner.user.email, entry.owner.user.name) == (owner, user.email, user.name)
        assert entry.owner.user.role == role
        assert entry.owner.user.created_at == user.added_at
        assert keys.retrieve(entry.id, project_id=project.id).model_dump() == entry.model_dump()
    assert ids(keys.list(other.id)) == [key_id("keys", 4)]
    # A key of another project is unknown here.
    not_found(server, lambda: keys.retrieve(key_id("keys", 4), project_id=project.id), "API key", "api_key_id",
              key_id("keys", 4))
    not_found(server, lambda: keys.delete(key_id("keys", 4), project_id=project.id), "API key", "api_key_id",
              key_id("keys", 4))

    deleted = keys.delete(key_id("keys", 2), project_id=project.id)
    assert isinstance(deleted, project_types.APIKeyDeleteResponse)
    assert (deleted.object, deleted.id, deleted.deleted) == ("organization.project.api_key.deleted", key_id("keys", 2),
                                                             True)
    for call in [lambda: keys.retrieve(key_id("keys", 2), project_id=project.id),
                 lambda: keys.delete(key_id("keys", 2), project_id=project.id)]:
        not_found(server, call, "API key", "api_key_id", key_id("keys", 2))
    assert ids(keys.list(project.id)) == [key_id("keys", 1), key_id("keys", 3)]
    assert ids(keys.list(other.id)) == [key_id("keys", 4)]
    for call in [lambda: keys.list("proj_nope"), lambda: keys.retrieve(key_id("keys", 1), project_id="proj_nope"),
                 lambda: keys.delete(key_id("keys", 1), project_id="proj_nope")]:
        not_found(server, call, "project", "project_id", "proj_nope")
    assert ids(keys.list(project.id, owner_project_access="any")) == [key_id("keys", 1), key_id("keys", 3)]
    expect_error(server, lambda: keys.list(project.id, extra_query={"owner_project_access": "sometimes"}),
                 openai.BadRequestError, 400, "owner_project_access", "invalid_value")


def test_project_api_keys_auto_pagination(server):
    client = strict(server)
    o = client.admin.organization
    keys = o.projects.api_keys
    project = o.projects.create(name="Many keys")
    owners = [uid(50 + i) for i in range(4)]
    for owner in owners:
        o.projects.users.create(project.id, user_id=owner, role="member")
    # Same creation seconds in threes: ties are broken by id.
    import_lines(server, [user_key(project.id, key_id("page", 22 - i), owners[i % 4], "member", 1_760_000_000 + i // 3)
                          for i in range(22)])
    service = o.projects.service_accounts.create(project.id, name="Service")
    expected = ids(oldest_first(keys.list(project.id, limit=100).data))
    assert len(expected) == 23 and expected[-1] == service.api_key.id
    server.requests = 0
    assert ids(keys.list(project.id, limit=6)) == expected and server.requests == 4  # 6 + 6 + 6 + 5
    first = keys.list(project.id, limit=6)
    assert (first.first_id, first.last_id, first.has_more) == (expected[0], expected[5], True)
    assert ids(first.get_next_page().data) == expected[6:12]
    assert ids(keys.list(project.id, limit=6, after=expected[5]).data) == expected[6:12]
    # Deleting keys while walking, the next cursor among them.
    seen = []
    for i, k in enumerate(keys.list(project.id, limit=6)):
        seen.append(k.id)
        if i == 5:
            keys.delete(expected[5], project_id=project.id)
            keys.delete(expected[14], project_id=project.id)
    assert seen == [k for k in expected if k != expected[14]]


# Archived projects


def test_archived_project_refuses_changes(server):
    client = strict(server)
    o = client.admin.organization
    p = o.projects
    project = p.create(name="To archive")
    p.users.create(project.id, user_id=uid(60), role="member")
    account = p.service_accounts.create(project.id, name="Service")
    import_lines(server, [user_key(project.id, key_id("arch", 1), uid(60), "member", 1_770_000_000)])
    group = o.groups.create(name="Granted")
    later = o.groups.create(name="Too late")
    p.groups.create(project.id, group_id=group.id, role=project_roles(project.id)[1])
    before = {
        "project": p.retrieve(project.id).model_dump(),
        "users": [u.model_dump() for u in p.users.list(project.id)],
        "accounts": [a.model_dump() for a in p.service_accounts.list(project.id)],
        "keys": [k.id for k in p.api_keys.list(project.id)],
        "groups": [g.model_dump() for g in p.groups.list(project.id)],
    }
    archived = p.archive(project.id)
    assert archived.status == "archived"
    for call in [
        lambda: p.update(project.id, name="Renamed"),
        lambda: p.users.create(project.id, user_id=uid(61), role="member"),
        lambda: p.users.update(uid(60), project_id=project.id, role="owner"),
        lambda: p.users.delete(uid(60), project_id=project.id),
        lambda: p.service_accounts.create(project.id, name="Another"),
        lambda: p.service_accounts.update(account.id, project_id=project.id, name="Renamed"),
        lambda: p.service_accounts.delete(account.id, project_id=project.id),
        lambda: p.service_accounts.api_keys.create(account.id, project_id=project.id, name="Another key"),
        lambda: p.api_keys.delete(key_id("arch", 1), project_id=project.id),
        lambda: p.api_keys.delete(account.api_key.id, project_id=project.id),
        lambda: p.groups.create(project.id, group_id=later.id, role=project_roles(project.id)[1]),
        lambda: p.groups.delete(group.id, project_id=project.id),
    ]:
        conflict(server, call, ARCHIVED_PARAM)
    # It can still be read, and nothing changed.
    assert p.retrieve(project.id).model_dump() == archived.model_dump()
    assert {k: v for k, v in archived.model_dump().items() if k not in ("status", "archived_at")} == {
        k: v for k, v in before["project"].items() if k not in ("status", "archived_at")}
    assert [u.model_dump() for u in p.users.list(project.id)] == before["users"]
    assert p.users.retrieve(uid(60), project_id=project.id).role == "member"
    assert [a.model_dump() for a in p.service_accounts.list(project.id)] == before["accounts"]
    assert p.service_accounts.retrieve(account.id, project_id=project.id).name == "Service"
    assert [k.id for k in p.api_keys.list(project.id)] == before["keys"]
    assert p.api_keys.retrieve(key_id("arch", 1), project_id=project.id).id == key_id("arch", 1)
    assert [g.model_dump() for g in p.groups.list(project.id)] == before["groups"]
    assert p.groups.retrieve(group.id, project_id=project.id).group_id == group.id


# Project groups


def test_project_groups(server):
    client = strict(server)
    o = client.admin.organization
    grants = o.projects.groups
    project = o.projects.create(name="Granted")
    owner_role, member_role = project_roles(project.id)
    group = o.groups.create(name="Support Team")
    granted = grants.create(project.id, group_id=group.id, role=member_role)
    assert isinstance(granted, project_types.ProjectGroup)
    assert (granted.object, granted.project_id, granted.group_id, granted.group_name, granted.group_type) == (
        "project.group", project.id, group.id, "Support Team", "group")
    assert isinstance(granted.created_at, int) and granted.created_at >= group.created_at
    # Granting again answers 200 and changes nothing, whatever the role.
    assert grants.create(project.id, group_id=group.id, role=member_role).model_dump() == granted.model_dump()
    assert grants.create(project.id, group_id=group.id, role=owner_role).model_dump() == granted.model_dump()
    page = grants.list(project.id)
    assert isinstance(page, SyncNextCursorPage)
    assert [g.model_dump() for g in page.data] == [granted.model_dump()]
    assert (page.has_more, page.next) == (False, None)
    assert grants.retrieve(group.id, project_id=project.id).model_dump() == granted.model_dump()
    assert grants.retrieve(group.id, project_id=project.id, group_type="group").model_dump() == granted.model_dump()
    # The group's name follows the group.
    o.groups.update(group.id, name="Escalations")
    assert grants.retrieve(group.id, project_id=project.id).group_name == "Escalations"
    owners = o.groups.create(name="Owners")
    second = grants.create(project.id, group_id=owners.id, role=owner_role)
    assert (second.group_id, second.group_name) == (owners.id, "Owners")
    # Oldest grant first, ties by group id.
    assert ids_of_groups(grants.list(project.id)) == [
        g.group_id for g in sorted([granted, second], key=lambda g: (g.created_at, g.group_id))]

    removed = grants.delete(group.id, project_id=project.id)
    assert isinstance(removed, project_types.GroupDeleteResponse)
    assert (removed.object, removed.deleted) == ("project.group.deleted", True)
    for call in [lambda: grants.retrieve(group.id, project_id=project.id),
                 lambda: grants.delete(group.id, project_id=project.id)]:
        not_found(server, call, "group", "group_id", group.id)
    assert ids_of_groups(grants.list(project.id)) == [owners.id]
    assert o.groups.retrieve(group.id).name == "Escalations"  # the group itself stays
    # Deleting the group ends its access.
    o.groups.delete(owners.id)
    assert list(grants.list(project.id)) == []
    # Another project is separate.
    other = o.projects.create(name="Not granted")
    assert list(grants.list(other.id)) == []
    grants.create(project.id, group_id=group.id, role=member_role)
    not_found(server, lambda: grants.retrieve(group.id, project_id=other.id), "group", "group_id", group.id)


def ids_of_groups(grants):
    return [g.group_id for g in grants]


def test_project_group_errors(server):
    client = strict(server)
    o = client.admin.organization
    grants = o.projects.groups
    bad = openai.BadRequestError
    project = o.projects.create(name="Errors")
    other = o.projects.create(name="Other")
    owner_role, member_role = project_roles(project.id)
    group = o.groups.create(name="Kept")
    org = client.with_raw_response.admin.organization.users.retrieve(uid(0)).headers["openai-organization"]
    for role in ["role_nope", "member", project_roles(other.id)[1],
                 f"role-api-organization-owner__api-organization__{org}"]:
        expect_error(server, lambda: grants.create(project.id, group_id=group.id, role=role), bad, 400, "role",
                     (None, "invalid_value"))
    for group_id in ["group_nope", project.id]:
        expect_error(server, lambda: grants.create(project.id, group_id=group_id, role=member_role),
                     (bad, openai.NotFoundError), (400, 404), "group_id", (None, "invalid_value"))
    path = f"/organization/projects/{project.id}/groups"
    expect_error(server, lambda: client.post(path, body={"group_id": group.id}, cast_to=object, options=ADMIN_AUTH),
                 bad, 400, "role", "missing_required_parameter", "Missing required parameter: 'role'.")
    expect_error(server, lambda: client.post(path, body={"role": member_role}, cast_to=object, options=ADMIN_AUTH),
                 bad, 400, "group_id", "missing_required_parameter", "Missing required parameter: 'group_id'.")
    expect_error(server, lambda: grants.create(project.id, group_id=group.id, role=owner_role, extra_body={"x": 1}),
                 bad, 400, "x", None, "Unrecognized request argument supplied: x")
    for call in [lambda: grants.list("proj_nope"),
                 lambda: grants.create("proj_nope", group_id=group.id, role=member_role),
                 lambda: grants.retrieve(group.id, project_id="proj_nope"),
                 lambda: grants.delete(group.id, project_id="proj_nope")]:
        not_found(server, call, "project", "project_id", "proj_nope")
    # A known project: an unknown group, or a group without access, is an unknown child.
    for group_id in ["group_nope", group.id]:
        for call in [lambda: grants.retrieve(group_id, project_id=project.id),
                     lambda: grants.delete(group_id, project_id=project.id)]:
            not_found(server, call, "group", "group_id", group_id)
    assert list(grants.list(project.id)) == []


def test_project_groups_pagination(server):
    """The project groups list is next-style: limit 0..100 (default 20), order asc|desc, opaque
    `after`."""
    client = strict(server)
    o = client.admin.organization
    grants = o.projects.groups
    bad = openai.BadRequestError
    project = o.projects.create(name="Many groups")
    member_role = project_roles(project.id)[1]
    groups = [o.groups.create(name=f"Team {i:02d}") for i in range(25)]
    for g in groups:
        grants.create(project.id, group_id=g.id, role=member_role)
    expected = [g.group_id for g in sorted(grants.list(project.id, limit=100).data,
                                           key=lambda g: (g.created_at, g.group_id))]
    assert sorted(expected) == sorted(g.id for g in groups)
    server.requests = 0
    assert ids_of_groups(grants.list(project.id, limit=7)) == expected and server.requests == 4  # 7 + 7 + 7 + 4
    server.requests = 0
    assert ids_of_groups(grants.list(project.id)) == expected and server.requests == 2  # the default limit is 20
    assert ids_of_groups(grants.list(project.id, limit=7, order="desc")) == expected[::-1]
    assert ids_of_groups(grants.list(project.id, order="asc", limit=100)) == expected
    first = grants.list(project.id, limit=7)
    assert first.has_more is True and first.next
    assert ids_of_groups(first.get_next_page().data) == expected[7:14]
    assert ids_of_groups(grants.list(project.id, limit=7, after=first.next).data) == expected[7:14]
    server.requests = 0
    empty = grants.list(project.id, limit=0)
    assert isinstance(empty, SyncNextCursorPage)
    assert (empty.data, empty.has_more, empty.next) == ([], True, None)
    assert list(empty) == [] and server.requests == 1
    expect_error(server, lambda: grants.list(project.id, limit=-1), bad, 400, "limit", "integer_below_min_value")
    expect_error(server, lambda: grants.list(project.id, limit=101), bad, 400, "limit", "integer_above_max_value")
    expect_error(server, lambda: grants.list(project.id, order="sideways"), bad, 400, "order", "invalid_value")
    expect_error(server, lambda: grants.list(project.id, after="made-up-cursor"), bad, 400, "after", "invalid_value")


# Deleting an organization user


def test_user_delete_ends_memberships_and_keys(server):
    client = strict(server)
    o = client.admin.organization
    default = default_project(client)
    gone, kept = uid(70), uid(71)
    first, second = o.projects.create(name="First"), o.projects.create(name="Second")
    for project in (first, second):
        o.projects.users.create(project.id, user_id=gone, role="owner" if project is first else "member")
        o.projects.users.create(project.id, user_id=kept, role="member")
    service = o.projects.service_accounts.create(first.id, name="Service")
    import_lines(server, [
        user_key(first.id, key_id("gone", 1), gone, "owner", 1_780_000_001),
        user_key(first.id, key_id("gone", 2), gone, "owner", 1_780_000_002),
        user_key(second.id, key_id("gone", 3), gone, "member", 1_780_000_003),
        user_key(default.id, key_id("gone", 4), gone, "member", 1_780_000_004),
        user_key(first.id, key_id("kept", 1), kept, "member", 1_780_000_005),
        user_key(second.id, key_id("kept", 2), kept, "member", 1_780_000_006),
    ])
    group = o.groups.create(name="Both")
    o.groups.users.create(group.id, user_id=gone)
    o.groups.users.create(group.id, user_id=kept)
    kept_before = o.users.retrieve(kept).model_dump()

    assert o.users.delete(gone).deleted is True
    for project in (default, first, second):
        assert gone not in ids(o.projects.users.list(project.id, limit=100))
        not_found(server, lambda: o.projects.users.retrieve(gone, project_id=project.id), "user", "user_id", gone)
        assert kept in ids(o.projects.users.list(project.id, limit=100))
    for i in range(1, 5):
        for project in (default, first, second):
            not_found(server, lambda: o.projects.api_keys.retrieve(key_id("gone", i), project_id=project.id),
                      "API key", "api_key_id", key_id("gone", i))
    assert ids(o.projects.api_keys.list(first.id)) == ids(oldest_first(
        [o.projects.api_keys.retrieve(k, project_id=first.id) for k in [key_id("kept", 1), service.api_key.id]]))
    assert ids(o.projects.api_keys.list(second.id)) == [key_id("kept", 2)]
    assert list(o.projects.api_keys.list(default.id)) == []
    assert [u.id for u in o.groups.users.list(group.id)] == [kept]
    # The other user is untouched.
    assert o.users.retrieve(kept).model_dump() == kept_before
    assert held(o.users.retrieve(kept)) == expected_held(client, {default.id: "member", first.id: "member",
                                                                   second.id: "member"})
    assert o.projects.api_keys.retrieve(key_id("kept", 1), project_id=first.id).owner.user.id == kept


def test_other_organizations_projects_are_unknown(server):
    """Each admin key opens one organization: another's projects are unknown ids."""
    ours = strict(server).admin.organization
    project = ours.projects.create(name="Ours")
    account = ours.projects.service_accounts.create(project.id, name="Ours")
    made = subprocess.run([BIN, "keys", "create", "--database", server.database, "--org", "other"],
                          check=True, capture_output=True, text=True)
    theirs = server.client(key=made.stdout.strip().splitlines()[-1], _strict_response_validation=True).admin.organization
    their_projects = list(theirs.projects.list(include_archived=True))
    assert [p.name for p in their_projects] == [DEFAULT]
    their_default = their_projects[0]
    assert their_default.id not in ids(ours.projects.list(include_archived=True))
    for call in [lambda: theirs.projects.retrieve(project.id), lambda: theirs.projects.archive(project.id),
                 lambda: theirs.projects.users.list(project.id),
                 lambda: theirs.projects.service_accounts.retrieve(account.id, project_id=project.id),
                 lambda: theirs.projects.api_keys.list(project.id), lambda: theirs.projects.groups.list(project.id)]:
        not_found(server, call, "project", "project_id", project.id)
    not_found(server, lambda: ours.projects.retrieve(their_default.id), "project", "project_id", their_default.id)
    # Our users are no users of theirs.
    expect_error(server, lambda: theirs.projects.users.create(their_default.id, user_id=uid(1), role="member"),
                 openai.BadRequestError, 400, "user_id", (None, "invalid_value"))
    assert list(theirs.projects.users.list(their_default.id)) == []
    assert ours.projects.retrieve(project.id).status == "active"


def test_async_client(server):
    async def scenario():
        client = server.async_client(_strict_response_validation=True)
        p = client.admin.organization.projects
        made = [await p.create(name=f"Async {i}") for i in range(4)]
        assert all(isinstance(x, Project) for x in made)
        page = await p.list(limit=2)
        assert isinstance(page, AsyncConversationCursorPage)
        walked = [x.id async for x in p.list(limit=2)]
        assert len(walked) == 5 and set(ids(made)) < set(walked)
        archived = await p.archive(made[0].id)
        assert archived.status == "archived"
        assert made[0].id not in [x.id async for x in p.list(limit=2)]
        assert made[0].id in [x.id async for x in p.list(limit=2, include_archived=True)]
        member = await p.users.create(made[1].id, user_id=uid(80), role="owner")
        assert isinstance(member, project_types.ProjectUser)
        assert [u.id async for u in p.users.list(made[1].id)] == [uid(80)]
        user = await client.admin.organization.users.retrieve(uid(80))
        assert made[1].id in [x.id for x in user.projects.data]
        created = await p.service_accounts.create(made[1].id, name="Async service")
        assert SECRET.match(created.api_key.value)
        assert [k.id async for k in p.api_keys.list(made[1].id)] == [created.api_key.id]
        assert (await p.api_keys.delete(created.api_key.id, project_id=made[1].id)).deleted is True
        server.requests = 0
        with pytest.raises(openai.NotFoundError) as info:
            await p.retrieve("proj_nope")
        assert info.value.param == "project_id" and server.requests == 1
        with pytest.raises(openai.BadRequestError):
            await p.users.create(made[0].id, user_id=uid(81), role="member")
        await client.close()

    asyncio.run(scenario())
