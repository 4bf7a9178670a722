"""The official `openai` Python SDK against orgusers' access control: `client.admin.organization`
`.roles`, `.users.roles`, `.groups`, `.groups.users` and `.groups.roles`. Every operation's
answer is validated against the SDK's own model class (strict response validation), every list
walked through the SDK's `NextCursorPage` and its auto-pagination, and every error checked as the
exception class the real API would give."""

import asyncio
import re
import subprocess

import openai
import pytest
from openai.pagination import AsyncNextCursorPage, SyncNextCursorPage
from openai.types.admin.organization import (
    Group,
    GroupDeleteResponse,
    GroupUpdateResponse,
    Role,
    RoleDeleteResponse,
)
from openai.types.admin.organization import groups as group_types
from openai.types.admin.organization import users as user_types
from openai.types.admin.organization.organization_user import OrganizationUser

from conftest import BIN

ROLE_ID = re.compile(r"^role_[A-Za-z0-9]{24}$")
GROUP_ID = re.compile(r"^group_[A-Za-z0-9]{24}$")
# The permissions the predefined owner role holds: the only ones a custom role may grant.
PERMISSIONS = {
    "api.organization.read", "api.organization.write", "api.users.read", "api.users.write",
    "api.invites.read", "api.invites.write", "api.groups.read", "api.groups.write",
    "api.roles.read", "api.roles.write", "api.projects.read", "api.projects.write",
    "api.admin_api_keys.read", "api.admin_api_keys.write", "api.audit_logs.read", "api.usage.read",
}
ADMIN_AUTH = {"security": {"admin_api_key_auth": True}}
LAST_OWNER = "An organization must keep at least one owner."
# A refused `permissions` list: the contract names the param only; a conflict (null) or an
# enum-like refusal (invalid_value) both fit.
PERMISSION_CODES = (None, "invalid_value")


def strict(server):
    """A client that validates every answer against the SDK's pydantic models (by default the SDK
    builds them from any JSON without checking), so a missing field or a wrong type fails with
    openai.APIResponseValidationError."""
    return server.client(_strict_response_validation=True)


def org(client):
    return client.with_raw_response.admin.organization.users.retrieve("user-conf0000").headers["openai-organization"]


def predefined(client):
    o = org(client)
    return f"role-api-organization-owner__api-organization__{o}", f"role-api-organization-reader__api-organization__{o}"


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
    assert one_of(e.status_code, status)
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
    contract says only "the field at fault or null", `param` is a tuple of both."""
    e = expect_error(server, call, openai.BadRequestError, 400, param, None)
    assert e.body["message"]
    return e


def make_role(client, name, permissions=("api.groups.read",), **kwargs):
    return client.admin.organization.roles.create(role_name=name, permissions=list(permissions), **kwargs)


def sources(assigned):
    return sorted((s.principal_type, s.principal_id) for s in assigned.assignment_sources or [])


# Roles


def test_predefined_roles(server):
    client = strict(server)
    roles = client.admin.organization.roles
    owner_id, reader_id = predefined(client)
    page = roles.list()
    assert isinstance(page, SyncNextCursorPage)
    assert (page.has_more, page.next) == (False, None)
    assert [r.id for r in page.data] == [owner_id, reader_id]
    owner, reader = page.data
    for role, name in [(owner, "owner"), (reader, "reader")]:
        assert isinstance(role, Role)
        assert (role.object, role.name, role.predefined_role, role.resource_type) == ("role", name, True, "api.organization")
        assert role.permissions and all(isinstance(p, str) for p in role.permissions)
        assert "description" in role.model_dump()
        assert roles.retrieve(role.id).model_dump() == role.model_dump()
    assert set(owner.permissions) == PERMISSIONS
    assert set(reader.permissions) < set(owner.permissions)
    for role_id in [owner_id, reader_id]:
        conflict(server, lambda: roles.update(role_id, description="mine now"), (None, "role_id"))
        conflict(server, lambda: roles.delete(role_id), (None, "role_id"))
    assert [r.model_dump() for r in roles.list()] == [owner.model_dump(), reader.model_dump()]


def test_custom_role_lifecycle(server):
    client = strict(server)
    roles = client.admin.organization.roles
    created = make_role(client, "Group Managers", ["api.groups.read", "api.groups.write"], description="Manage groups")
    assert isinstance(created, Role)
    assert ROLE_ID.match(created.id), created.id
    assert (created.object, created.name, created.description) == ("role", "Group Managers", "Manage groups")
    assert created.permissions == ["api.groups.read", "api.groups.write"]
    assert (created.predefined_role, created.resource_type) == (False, "api.organization")
    assert roles.retrieve(created.id).model_dump() == created.model_dump()
    bare = make_role(client, "Auditors", ["api.audit_logs.read"])
    assert bare.description is None
    every = make_role(client, "Everything", sorted(PERMISSIONS))
    assert set(every.permissions) == PERMISSIONS

    owner_id, reader_id = predefined(client)
    asc = [r.id for r in roles.list()]
    # Predefined first, then by creation time (seconds), ties by id.
    assert asc[:2] == [owner_id, reader_id]
    assert sorted(asc[2:]) == sorted([created.id, bare.id, every.id])
    assert [r.id for r in roles.list(order="asc")] == asc
    assert [r.id for r in roles.list(order="desc")] == asc[::-1]

    renamed = roles.update(created.id, role_name="Group Admins")
    assert isinstance(renamed, Role)
    assert (renamed.name, renamed.description, renamed.permissions) == ("Group Admins", "Manage groups", created.permissions)
    narrowed = roles.update(created.id, permissions=["api.groups.read"])
    assert (narrowed.name, narrowed.permissions) == ("Group Admins", ["api.groups.read"])
    described = roles.update(created.id, description="Read groups")
    assert (described.description, described.permissions) == ("Read groups", ["api.groups.read"])
    assert roles.update(created.id).model_dump() == described.model_dump()
    assert roles.update(created.id, role_name="group admins").name == "group admins"  # its own name, another case
    assert roles.retrieve(created.id).model_dump() == roles.update(created.id).model_dump()

    deleted = roles.delete(created.id)
    assert isinstance(deleted, RoleDeleteResponse)
    assert (deleted.object, deleted.id, deleted.deleted) == ("role.deleted", created.id, True)
    not_found(server, lambda: roles.retrieve(created.id), "role", "role_id", created.id)
    not_found(server, lambda: roles.delete(created.id), "role", "role_id", created.id)
    assert [r.id for r in roles.list()] == [i for i in asc if i != created.id]
    # The name is free again.
    assert make_role(client, "Group Managers").name == "Group Managers"


def test_role_errors(server):
    client = strict(server)
    roles = client.admin.organization.roles
    owner_id, _ = predefined(client)
    taken = make_role(client, "Support")
    other = make_role(client, "Billing")
    bad = openai.BadRequestError
    conflict(server, lambda: make_role(client, "SUPPORT"), "role_name")
    conflict(server, lambda: make_role(client, "Owner"), "role_name")
    conflict(server, lambda: roles.update(other.id, role_name="support"), "role_name")
    expect_error(server, lambda: make_role(client, "Empty", []), bad, 400, "permissions", PERMISSION_CODES)
    expect_error(server, lambda: make_role(client, "Unknown", ["api.groups.read", "api.everything"]), bad, 400,
                 "permissions", PERMISSION_CODES)
    expect_error(server, lambda: roles.update(other.id, permissions=[]), bad, 400, "permissions", PERMISSION_CODES)
    expect_error(server, lambda: roles.update(other.id, permissions=["api.nothing"]), bad, 400, "permissions",
                 PERMISSION_CODES)
    expect_error(server, lambda: client.post("/organization/roles", body={"permissions": ["api.users.read"]},
                                             cast_to=Role, options=ADMIN_AUTH),
                 bad, 400, "role_name", "missing_required_parameter", "Missing required parameter: 'role_name'.")
    expect_error(server, lambda: client.post("/organization/roles", body={"role_name": "No permissions"},
                                             cast_to=Role, options=ADMIN_AUTH),
                 bad, 400, "permissions", "missing_required_parameter", "Missing required parameter: 'permissions'.")
    expect_error(server, lambda: client.post("/organization/roles", body={"role_name": "Typed", "permissions": "api.users.read"},
                                             cast_to=Role, options=ADMIN_AUTH),
                 bad, 400, "permissions", "invalid_type",
                 "Invalid type for 'permissions': expected an array, but got a string instead.")
    expect_error(server, lambda: make_role(client, "Extra", extra_body={"color": "red"}), bad, 400, "color", None,
                 "Unrecognized request argument supplied: color")
    for call in [lambda: roles.retrieve("role_nope"), lambda: roles.update("role_nope", description="x"),
                 lambda: roles.delete("role_nope")]:
        not_found(server, call, "role", "role_id", "role_nope")
    # Nothing of the refused requests was written.
    assert sorted((r.name, r.permissions) for r in roles.list()) == sorted(
        [("owner", roles.retrieve(owner_id).permissions), ("reader", roles.list().data[1].permissions),
         ("Support", taken.permissions), ("Billing", other.permissions)])
    assert roles.retrieve(owner_id).predefined_role is True


@pytest.mark.parametrize("call", ["roles", "groups", "group_users", "user_roles", "group_roles"])
def test_next_list_parameters(server, call):
    """limit 0..1000, order asc|desc and an `after` the server did not issue, on every next-style list."""
    client = strict(server)
    o = client.admin.organization
    group = o.groups.create(name="Parameters")
    role = make_role(client, "Parameters")
    o.groups.users.create(group.id, user_id="user-conf0003")
    o.groups.roles.create(group.id, role_id=role.id)
    lister = {
        "roles": lambda **q: o.roles.list(**q),
        "groups": lambda **q: o.groups.list(**q),
        "group_users": lambda **q: o.groups.users.list(group.id, **q),
        "user_roles": lambda **q: o.users.roles.list("user-conf0003", **q),
        "group_roles": lambda **q: o.groups.roles.list(group.id, **q),
    }[call]
    bad = openai.BadRequestError
    expect_error(server, lambda: lister(limit=-1), bad, 400, "limit", "integer_below_min_value")
    expect_error(server, lambda: lister(limit=1001), bad, 400, "limit", "integer_above_max_value")
    expect_error(server, lambda: lister(order="sideways"), bad, 400, "order", "invalid_value")
    expect_error(server, lambda: lister(after="made-up-cursor"), bad, 400, "after", "invalid_value")
    server.requests = 0
    empty = lister(limit=0)
    assert isinstance(empty, SyncNextCursorPage)
    assert (empty.data, empty.has_more, empty.next) == ([], True, None)
    assert list(empty) == [] and server.requests == 1
    assert len(lister(limit=1000).data) == len(list(lister(limit=1)))


def test_roles_auto_pagination(server):
    client = strict(server)
    roles = client.admin.organization.roles
    owner_id, reader_id = predefined(client)
    custom = [make_role(client, f"Role {i:02d}", [sorted(PERMISSIONS)[i % len(PERMISSIONS)]]).id for i in range(25)]
    expected = [r.id for r in roles.list(limit=1000).data]  # one page: the order to walk
    assert expected[:2] == [owner_id, reader_id] and sorted(expected[2:]) == sorted(custom)
    server.requests = 0
    walked = [r.id for r in roles.list(limit=7)]
    assert walked == expected and len(set(walked)) == 27
    assert server.requests == 4  # 7 + 7 + 7 + 6
    server.requests = 0
    assert [r.id for r in roles.list(limit=7, order="desc")] == expected[::-1]
    assert server.requests == 4
    first = roles.list(limit=10)
    assert first.has_more is True and first.next
    second = first.get_next_page()
    assert isinstance(second, SyncNextCursorPage) and isinstance(second.data[0], Role)
    assert [r.id for r in second.data] == expected[10:20]
    by_hand = roles.list(limit=10, after=first.next)
    assert [r.id for r in by_hand.data] == expected[10:20]
    last = second.get_next_page()
    assert [r.id for r in last.data] == expected[20:]
    assert (last.has_more, last.next, last.has_next_page()) == (False, None, False)


# A user's roles


def test_user_role_assignments(server):
    client = strict(server)
    o = client.admin.organization
    owner_id, reader_id = predefined(client)
    uid = "user-conf0010"
    page = o.users.roles.list(uid)
    assert isinstance(page, SyncNextCursorPage)
    assert [r.id for r in page.data] == [reader_id]
    only = page.data[0]
    assert isinstance(only, user_types.RoleListResponse)
    assert (only.name, only.predefined_role, only.resource_type) == ("reader", True, "api.organization")
    assert sources(only) == [("user", uid)]
    raw = only.model_dump()
    for field in ["description", "created_at", "updated_at", "created_by", "created_by_user_obj", "metadata"]:
        assert field in raw

    role = make_role(client, "Invite Managers", ["api.invites.read", "api.invites.write"], description="Invites")
    assigned = o.users.roles.create(uid, role_id=role.id)
    assert isinstance(assigned, user_types.RoleCreateResponse)
    assert assigned.object == "user.role"
    assert isinstance(assigned.user, OrganizationUser) and isinstance(assigned.role, Role)
    assert (assigned.user.id, assigned.user.object, assigned.user.role) == (uid, "organization.user", "reader")
    assert assigned.role.model_dump() == role.model_dump()
    again = o.users.roles.create(uid, role_id=role.id)
    assert again.model_dump() == assigned.model_dump()

    held = {r.id: r for r in o.users.roles.list(uid)}
    assert set(held) == {reader_id, role.id}
    assert sources(held[role.id]) == [("user", uid)]
    details = o.users.roles.retrieve(role.id, user_id=uid)
    assert isinstance(details, user_types.RoleRetrieveResponse)
    assert (details.id, details.name, details.permissions, details.description) == (
        role.id, "Invite Managers", ["api.invites.read", "api.invites.write"], "Invites")
    assert details.predefined_role is False and sources(details) == [("user", uid)]
    assert isinstance(details.created_at, int)
    assert isinstance(o.users.roles.retrieve(reader_id, user_id=uid), user_types.RoleRetrieveResponse)

    removed = o.users.roles.delete(role.id, user_id=uid)
    assert isinstance(removed, user_types.RoleDeleteResponse)
    assert (removed.object, removed.deleted) == ("user.role.deleted", True)
    assert [r.id for r in o.users.roles.list(uid)] == [reader_id]
    not_found(server, lambda: o.users.roles.retrieve(role.id, user_id=uid), "role", "role_id", role.id)
    not_found(server, lambda: o.users.roles.delete(role.id, user_id=uid), "role", "role_id", role.id)
    not_found(server, lambda: o.users.roles.retrieve(owner_id, user_id=uid), "role", "role_id", owner_id)
    # Another user's assignments are untouched by all of this.
    assert [r.id for r in o.users.roles.list("user-conf0011")] == [reader_id]


def test_predefined_role_assignment_switches_role(server):
    client = strict(server)
    o = client.admin.organization
    owner_id, reader_id = predefined(client)
    uid = "user-conf0012"
    promoted = o.users.roles.create(uid, role_id=owner_id)
    assert isinstance(promoted, user_types.RoleCreateResponse)
    assert (promoted.user.role, promoted.role.id, promoted.role.name) == ("owner", owner_id, "owner")
    assert o.users.retrieve(uid).role == "owner"
    assert [r.id for r in o.users.roles.list(uid)] == [owner_id]
    assert o.users.roles.create(uid, role_id=owner_id).user.role == "owner"
    conflict(server, lambda: o.users.roles.delete(owner_id, user_id=uid), ("role_id", None))
    assert o.users.retrieve(uid).role == "owner"
    demoted = o.users.roles.create(uid, role_id=reader_id)
    assert demoted.user.role == "reader" and o.users.retrieve(uid).role == "reader"
    assert [r.id for r in o.users.roles.list(uid)] == [reader_id]
    conflict(server, lambda: o.users.roles.delete(reader_id, user_id=uid), ("role_id", None))
    # The users endpoint and the role assignments tell the same story.
    o.users.update(uid, role="owner")
    assert [r.id for r in o.users.roles.list(uid)] == [owner_id]


def test_last_owner_through_role_assignment(server):
    client = strict(server)
    o = client.admin.organization
    owner_id, reader_id = predefined(client)
    assert [o.users.retrieve(u).role for u in ["user-conf0000", "user-conf0001"]] == ["owner", "owner"]
    assert o.users.roles.create("user-conf0000", role_id=reader_id).user.role == "reader"
    expect_error(server, lambda: o.users.roles.create("user-conf0001", role_id=reader_id),
                 openai.BadRequestError, 400, (None, "role", "role_id"), None, LAST_OWNER)
    assert o.users.retrieve("user-conf0001").role == "owner"
    assert [r.id for r in o.users.roles.list("user-conf0001")] == [owner_id]
    # A new owner lifts the rule.
    o.users.roles.create("user-conf0002", role_id=owner_id)
    assert o.users.roles.create("user-conf0001", role_id=reader_id).user.role == "reader"


def test_user_role_errors(server):
    client = strict(server)
    o = client.admin.organization
    role = make_role(client, "Readers of users", ["api.users.read"])
    for call in [lambda: o.users.roles.list("user-nobody"), lambda: o.users.roles.create("user-nobody", role_id=role.id),
                 lambda: o.users.roles.retrieve(role.id, user_id="user-nobody"),
                 lambda: o.users.roles.delete(role.id, user_id="user-nobody")]:
        not_found(server, call, "user", "user_id", "user-nobody")
    not_found(server, lambda: o.users.roles.retrieve("role_nope", user_id="user-conf0004"), "role", "role_id", "role_nope")
    not_found(server, lambda: o.users.roles.delete("role_nope", user_id="user-conf0004"), "role", "role_id", "role_nope")
    # An unknown role in the body: 404 (an unknown id) or 400 (a bad field); both name role_id.
    expect_error(server, lambda: o.users.roles.create("user-conf0004", role_id="role_nope"),
                 (openai.NotFoundError, openai.BadRequestError), (404, 400), "role_id", (None, "invalid_value"))
    expect_error(server, lambda: client.post("/organization/users/user-conf0004/roles", body={}, cast_to=object,
                                             options=ADMIN_AUTH),
                 openai.BadRequestError, 400, "role_id", "missing_required_parameter",
                 "Missing required parameter: 'role_id'.")
    expect_error(server, lambda: o.users.roles.create("user-conf0004", role_id=role.id, extra_body={"note": 1}),
                 openai.BadRequestError, 400, "note", None, "Unrecognized request argument supplied: note")
    # A deleted user is unknown to the role endpoints, and a deleted role is unassigned.
    o.users.roles.create("user-conf0005", role_id=role.id)
    o.users.delete("user-conf0005")
    not_found(server, lambda: o.users.roles.list("user-conf0005"), "user", "user_id", "user-conf0005")
    o.users.roles.create("user-conf0006", role_id=role.id)
    o.roles.delete(role.id)
    assert role.id not in [r.id for r in o.users.roles.list("user-conf0006")]


def test_user_roles_auto_pagination(server):
    client = strict(server)
    o = client.admin.organization
    _, reader_id = predefined(client)
    uid = "user-conf0013"
    custom = [make_role(client, f"Scope {i}", ["api.usage.read"]).id for i in range(11)]
    for role_id in custom:
        o.users.roles.create(uid, role_id=role_id)
    server.requests = 0
    walked = [r.id for r in o.users.roles.list(uid, limit=4)]
    assert sorted(walked) == sorted([reader_id] + custom) and len(set(walked)) == 12
    assert server.requests == 3
    assert [r.id for r in o.users.roles.list(uid, limit=5, order="desc")] == walked[::-1]


# Groups


def test_group_lifecycle(server):
    client = strict(server)
    groups = client.admin.organization.groups
    group = groups.create(name="Support Team")
    assert isinstance(group, Group)
    assert GROUP_ID.match(group.id), group.id
    assert (group.name, group.is_scim_managed, group.group_type) == ("Support Team", False, "group")
    assert isinstance(group.created_at, int) and group.created_at > 1_600_000_000
    assert groups.retrieve(group.id).model_dump() == group.model_dump()
    page = groups.list()
    assert isinstance(page, SyncNextCursorPage) and isinstance(page.data[0], Group)
    assert [g.model_dump() for g in page.data] == [group.model_dump()]
    assert (page.has_more, page.next) == (False, None)

    renamed = groups.update(group.id, name="Escalations")
    assert isinstance(renamed, GroupUpdateResponse)
    assert (renamed.id, renamed.name, renamed.created_at, renamed.is_scim_managed) == (
        group.id, "Escalations", group.created_at, False)
    assert groups.retrieve(group.id).name == "Escalations"
    longest = "é" * 255
    assert groups.update(group.id, name=longest).name == longest
    twin = groups.create(name=longest)  # names need not be unique
    assert twin.id != group.id and twin.name == longest

    deleted = groups.delete(group.id)
    assert isinstance(deleted, GroupDeleteResponse)
    assert (deleted.object, deleted.id, deleted.deleted) == ("group.deleted", group.id, True)
    for call in [lambda: groups.retrieve(group.id), lambda: groups.update(group.id, name="x"),
                 lambda: groups.delete(group.id)]:
        not_found(server, call, "group", "group_id", group.id)
    assert [g.id for g in groups.list()] == [twin.id]


def test_group_errors(server):
    client = strict(server)
    groups = client.admin.organization.groups
    group = groups.create(name="Kept")
    bad = openai.BadRequestError
    for call in [lambda: groups.create(name=""), lambda: groups.create(name="x" * 256),
                 lambda: groups.update(group.id, name=""), lambda: groups.update(group.id, name="é" * 256)]:
        server.requests = 0
        with pytest.raises(bad) as info:
            call()
        assert info.value.param == "name" and server.requests == 1, info.value.body
    expect_error(server, lambda: client.post("/organization/groups", body={}, cast_to=Group, options=ADMIN_AUTH),
                 bad, 400, "name", "missing_required_parameter", "Missing required parameter: 'name'.")
    expect_error(server, lambda: client.post("/organization/groups", body={"name": 7}, cast_to=Group, options=ADMIN_AUTH),
                 bad, 400, "name", "invalid_type")
    expect_error(server, lambda: groups.create(name="x", extra_body={"is_scim_managed": True}), bad, 400,
                 "is_scim_managed", None, "Unrecognized request argument supplied: is_scim_managed")
    for call in [lambda: groups.retrieve("group_nope"), lambda: groups.update("group_nope", name="x"),
                 lambda: groups.delete("group_nope")]:
        not_found(server, call, "group", "group_id", "group_nope")
    assert [(g.id, g.name) for g in groups.list()] == [(group.id, "Kept")]


def test_groups_auto_pagination(server):
    client = strict(server)
    groups = client.admin.organization.groups
    made = [groups.create(name=f"Team {i:02d}") for i in range(25)]
    # Oldest first by creation time (seconds), ties by id.
    created = [g.id for g in sorted(made, key=lambda g: (g.created_at, g.id))]
    server.requests = 0
    walked = [g.id for g in groups.list(limit=7)]
    assert walked == created and len(set(walked)) == 25
    assert server.requests == 4  # 7 + 7 + 7 + 4
    server.requests = 0
    assert [g.id for g in groups.list()] == created and server.requests == 1  # default limit 100
    assert [g.id for g in groups.list(limit=7, order="desc")] == created[::-1]
    first = groups.list(limit=7)
    assert [g.id for g in groups.list(limit=7, after=first.next).data] == created[7:14]
    assert [g.id for g in first.get_next_page().data] == created[7:14]
    # Deleting groups while walking: each survivor is still met once.
    seen = []
    for i, g in enumerate(groups.list(limit=5)):
        seen.append(g.id)
        if i == 6:
            groups.delete(created[20])
            groups.delete(created[3])
    assert seen == [g for g in created if g != created[20]]


# A group's users


def test_group_users(server):
    client = strict(server)
    o = client.admin.organization
    group = o.groups.create(name="Readers")
    members = [f"user-conf{i:04d}" for i in range(20, 32)]
    for uid in members:
        added = o.groups.users.create(group.id, user_id=uid)
        assert isinstance(added, group_types.UserCreateResponse)
        assert (added.object, added.user_id, added.group_id) == ("group.user", uid, group.id)
    again = o.groups.users.create(group.id, user_id=members[0])
    assert (again.object, again.user_id, again.group_id) == ("group.user", members[0], group.id)

    page = o.groups.users.list(group.id)
    assert isinstance(page, SyncNextCursorPage)
    assert all(isinstance(u, group_types.OrganizationGroupUser) for u in page.data)
    assert [u.id for u in page.data] == members[::-1]  # the default order is desc
    assert [u.id for u in o.groups.users.list(group.id, order="desc")] == members[::-1]
    assert [u.id for u in o.groups.users.list(group.id, order="asc")] == members
    by_id = {u.id: u for u in page.data}
    user = o.users.retrieve(members[1])
    assert (by_id[members[1]].name, by_id[members[1]].email) == (user.name, user.email)

    server.requests = 0
    walked = [u.id for u in o.groups.users.list(group.id, limit=5)]
    assert walked == members[::-1] and server.requests == 3
    assert [u.id for u in o.groups.users.list(group.id, limit=5, order="asc")] == members

    member = o.groups.users.retrieve(members[2], group_id=group.id)
    assert isinstance(member, group_types.UserRetrieveResponse)
    third = o.users.retrieve(members[2])
    assert (member.id, member.name, member.email, member.user_type) == (third.id, third.name, third.email, "user")
    assert member.is_service_account in (False, None) and "picture" in member.model_dump()

    removed = o.groups.users.delete(members[2], group_id=group.id)
    assert isinstance(removed, group_types.UserDeleteResponse)
    assert (removed.object, removed.deleted) == ("group.user.deleted", True)
    not_found(server, lambda: o.groups.users.retrieve(members[2], group_id=group.id), "user", "user_id", members[2])
    not_found(server, lambda: o.groups.users.delete(members[2], group_id=group.id), "user", "user_id", members[2])
    assert members[2] not in [u.id for u in o.groups.users.list(group.id)]
    assert o.users.retrieve(members[2]).id == members[2]  # still in the organization
    # Deleting an organization user ends its memberships.
    o.users.delete(members[3])
    assert members[3] not in [u.id for u in o.groups.users.list(group.id)]
    # Another group is separate.
    other = o.groups.create(name="Others")
    assert o.groups.users.list(other.id).data == []
    not_found(server, lambda: o.groups.users.retrieve(members[0], group_id=other.id), "user", "user_id", members[0])


def test_group_user_errors(server):
    client = strict(server)
    o = client.admin.organization
    group = o.groups.create(name="Errors")
    for call in [lambda: o.groups.users.list("group_nope"), lambda: o.groups.users.create("group_nope", user_id="user-conf0001"),
                 lambda: o.groups.users.retrieve("user-conf0001", group_id="group_nope"),
                 lambda: o.groups.users.delete("user-conf0001", group_id="group_nope")]:
        not_found(server, call, "group", "group_id", "group_nope")
    # Only organization users can be added: a 400 naming user_id (the contract leaves the code to
    # the server; orgusers answers invalid_value, as for an unknown role_id on users).
    for user_id in ["user-nobody", group.id, "user-conf0009"]:
        if user_id == "user-conf0009":
            o.users.delete(user_id)
        expect_error(server, lambda: o.groups.users.create(group.id, user_id=user_id), openai.BadRequestError, 400,
                     "user_id", (None, "invalid_value"))
    not_found(server, lambda: o.groups.users.retrieve("user-nobody", group_id=group.id), "user", "user_id", "user-nobody")
    expect_error(server, lambda: client.post(f"/organization/groups/{group.id}/users", body={}, cast_to=object,
                                             options=ADMIN_AUTH),
                 openai.BadRequestError, 400, "user_id", "missing_required_parameter",
                 "Missing required parameter: 'user_id'.")
    assert o.groups.users.list(group.id).data == []


# A group's roles


def test_group_roles(server):
    client = strict(server)
    o = client.admin.organization
    owner_id, reader_id = predefined(client)
    group = o.groups.create(name="Role holders")
    role = make_role(client, "Project Readers", ["api.projects.read"], description="Projects")
    assigned = o.groups.roles.create(group.id, role_id=role.id)
    assert isinstance(assigned, group_types.RoleCreateResponse)
    assert assigned.object == "group.role"
    assert isinstance(assigned.group, group_types.role_create_response.Group)
    assert (assigned.group.object, assigned.group.id, assigned.group.name, assigned.group.scim_managed) == (
        "group", group.id, "Role holders", False)
    assert assigned.group.created_at == group.created_at
    assert isinstance(assigned.role, Role) and assigned.role.model_dump() == role.model_dump()
    assert o.groups.roles.create(group.id, role_id=role.id).model_dump() == assigned.model_dump()

    page = o.groups.roles.list(group.id)
    assert isinstance(page, SyncNextCursorPage)
    assert [r.id for r in page.data] == [role.id]
    assert isinstance(page.data[0], group_types.RoleListResponse)
    assert (page.data[0].name, page.data[0].predefined_role) == ("Project Readers", False)
    details = o.groups.roles.retrieve(role.id, group_id=group.id)
    assert isinstance(details, group_types.RoleRetrieveResponse)
    assert (details.id, details.permissions, details.description) == (role.id, ["api.projects.read"], "Projects")

    for predefined_id in [owner_id, reader_id]:
        conflict(server, lambda: o.groups.roles.create(group.id, role_id=predefined_id), "role_id")
    expect_error(server, lambda: o.groups.roles.create(group.id, role_id="role_nope"),
                 (openai.NotFoundError, openai.BadRequestError), (404, 400), "role_id", (None, "invalid_value"))

    removed = o.groups.roles.delete(role.id, group_id=group.id)
    assert isinstance(removed, group_types.RoleDeleteResponse)
    assert (removed.object, removed.deleted) == ("group.role.deleted", True)
    assert o.groups.roles.list(group.id).data == []
    not_found(server, lambda: o.groups.roles.retrieve(role.id, group_id=group.id), "role", "role_id", role.id)
    not_found(server, lambda: o.groups.roles.delete(role.id, group_id=group.id), "role", "role_id", role.id)
    for call in [lambda: o.groups.roles.list("group_nope"), lambda: o.groups.roles.create("group_nope", role_id=role.id),
                 lambda: o.groups.roles.retrieve(role.id, group_id="group_nope"),
                 lambda: o.groups.roles.delete(role.id, group_id="group_nope")]:
        not_found(server, call, "group", "group_id", "group_nope")

    many = [make_role(client, f"Bundle {i}", ["api.projects.read"]).id for i in range(9)]
    for role_id in many:
        o.groups.roles.create(group.id, role_id=role_id)
    server.requests = 0
    walked = [r.id for r in o.groups.roles.list(group.id, limit=4)]
    assert sorted(walked) == sorted(many) and server.requests == 3


def test_roles_through_groups(server):
    client = strict(server)
    o = client.admin.organization
    _, reader_id = predefined(client)
    uid = "user-conf0015"
    group = o.groups.create(name="Auditors")
    role = make_role(client, "Audit Readers", ["api.audit_logs.read"])
    o.groups.users.create(group.id, user_id=uid)
    o.groups.roles.create(group.id, role_id=role.id)

    held = {r.id: r for r in o.users.roles.list(uid)}
    assert set(held) == {reader_id, role.id}
    assert sources(held[role.id]) == [("group", group.id)]
    assert sources(o.users.roles.retrieve(role.id, user_id=uid)) == [("group", group.id)]
    conflict(server, lambda: o.users.roles.delete(role.id, user_id=uid), ("role_id", None))
    # Held directly as well: both sources; unassigning the direct one leaves the group's.
    o.users.roles.create(uid, role_id=role.id)
    assert sources(o.users.roles.retrieve(role.id, user_id=uid)) == sorted([("group", group.id), ("user", uid)])
    assert o.users.roles.delete(role.id, user_id=uid).deleted is True
    assert sources(o.users.roles.retrieve(role.id, user_id=uid)) == [("group", group.id)]
    # Leaving the group ends it.
    o.groups.users.delete(uid, group_id=group.id)
    assert [r.id for r in o.users.roles.list(uid)] == [reader_id]
    # Coming back brings it back; deleting the group ends the membership and the assignment.
    o.groups.users.create(group.id, user_id=uid)
    assert role.id in [r.id for r in o.users.roles.list(uid)]
    o.groups.delete(group.id)
    assert [r.id for r in o.users.roles.list(uid)] == [reader_id]
    not_found(server, lambda: o.groups.users.list(group.id), "group", "group_id", group.id)
    not_found(server, lambda: o.groups.roles.list(group.id), "group", "group_id", group.id)
    # Deleting a role removes it from groups too.
    second = o.groups.create(name="Second")
    o.groups.roles.create(second.id, role_id=role.id)
    o.groups.users.create(second.id, user_id=uid)
    o.roles.delete(role.id)
    assert o.groups.roles.list(second.id).data == []
    assert [r.id for r in o.users.roles.list(uid)] == [reader_id]


def test_other_organizations_ids_are_unknown(server):
    """Each admin key opens one organization: another's roles, groups and users are unknown ids."""
    ours = strict(server).admin.organization
    owner_id, reader_id = predefined(strict(server))
    role = make_role(strict(server), "Ours")
    group = ours.groups.create(name="Ours")
    ours.groups.users.create(group.id, user_id="user-conf0001")
    made = subprocess.run([BIN, "keys", "create", "--database", server.database, "--org", "other"],
                          check=True, capture_output=True, text=True)
    theirs = server.client(key=made.stdout.strip().splitlines()[-1], _strict_response_validation=True).admin.organization
    their_roles = list(theirs.roles.list())
    assert [r.name for r in their_roles] == ["owner", "reader"]
    assert not {owner_id, reader_id, role.id} & {r.id for r in their_roles}
    assert list(theirs.groups.list()) == []
    for role_id in [role.id, owner_id]:
        not_found(server, lambda: theirs.roles.retrieve(role_id), "role", "role_id", role_id)
    not_found(server, lambda: theirs.roles.delete(role.id), "role", "role_id", role.id)
    not_found(server, lambda: theirs.groups.retrieve(group.id), "group", "group_id", group.id)
    not_found(server, lambda: theirs.groups.users.list(group.id), "group", "group_id", group.id)
    not_found(server, lambda: theirs.users.roles.list("user-conf0001"), "user", "user_id", "user-conf0001")
    their_group = theirs.groups.create(name="Theirs")
    expect_error(server, lambda: theirs.groups.users.create(their_group.id, user_id="user-conf0001"),
                 openai.BadRequestError, 400, "user_id", (None, "invalid_value"))
    expect_error(server, lambda: theirs.groups.roles.create(their_group.id, role_id=role.id),
                 (openai.NotFoundError, openai.BadRequestError), (404, 400), "role_id", (None, "invalid_value"))
    not_found(server, lambda: ours.groups.retrieve(their_group.id), "group", "group_id", their_group.id)
    assert [g.id for g in ours.groups.list()] == [group.id]
    assert [u.id for u in ours.groups.users.list(group.id)] == ["user-conf0001"]


def test_async_client(server):
    async def scenario():
        client = server.async_client(_strict_response_validation=True)
        o = client.admin.organization
        role = await o.roles.create(role_name="Async", permissions=["api.users.read"])
        assert isinstance(role, Role) and ROLE_ID.match(role.id)
        page = await o.roles.list(limit=1)
        assert isinstance(page, AsyncNextCursorPage)
        assert [r.id async for r in o.roles.list(limit=1)][2:] == [role.id]
        groups = [await o.groups.create(name=f"Async {i}") for i in range(5)]
        assert all(isinstance(g, Group) for g in groups)
        oldest_first = [g.id for g in sorted(groups, key=lambda g: (g.created_at, g.id))]
        assert [g.id async for g in o.groups.list(limit=2)] == oldest_first
        await o.groups.users.create(groups[0].id, user_id="user-conf0016")
        await o.groups.roles.create(groups[0].id, role_id=role.id)
        held = [r async for r in o.users.roles.list("user-conf0016")]
        assert all(isinstance(r, user_types.RoleListResponse) for r in held)
        assert role.id in [r.id for r in held]
        assert (await o.groups.delete(groups[0].id)).deleted is True
        server.requests = 0
        with pytest.raises(openai.NotFoundError) as info:
            await o.groups.retrieve(groups[0].id)
        assert info.value.param == "group_id" and server.requests == 1
        with pytest.raises(openai.BadRequestError) as info:
            await o.roles.delete((await o.roles.list()).data[0].id)
        await client.close()

    asyncio.run(scenario())
