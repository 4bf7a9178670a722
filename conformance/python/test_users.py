"""The official `openai` Python SDK against orgusers: everything `client.admin.organization.users`
does, and every error it can meet, with the exception classes the real API would give."""

import asyncio

import openai
import pytest

from conftest import USER_COUNT

TOTAL = USER_COUNT + 1  # the fixture users plus the one with '+' in its email


def users_of(client):
    return client.admin.organization.users


@pytest.mark.parametrize("limit", [None, 3, 20, 100])
def test_auto_pagination_visits_every_user_once(server, limit):
    client = server.client()
    page = users_of(client).list() if limit is None else users_of(client).list(limit=limit)
    ids = [u.id for u in page]
    assert len(ids) == TOTAL
    assert len(set(ids)) == TOTAL
    assert ids[0] == "user-conf0000" and ids[-1] == "user-plus"
    per_page = limit or 20
    assert server.requests == -(-TOTAL // per_page)


def test_page_envelope(server):
    page = users_of(server.client()).list(limit=2)
    assert [u.id for u in page.data] == ["user-conf0000", "user-conf0001"]
    assert page.has_more is True
    assert page.last_id == "user-conf0001"
    assert page.first_id == "user-conf0000"
    nxt = page.get_next_page()
    assert [u.id for u in nxt.data] == ["user-conf0002", "user-conf0003"]


def test_user_object_is_complete(server):
    user = users_of(server.client()).retrieve("user-conf0007")
    assert user.object == "organization.user"
    assert user.email == "ada.müller.7@exämple.com" or "@exämple.com" in user.email
    assert user.role == "reader"
    assert user.added_at == 1_700_000_002
    assert user.created == user.added_at
    assert user.user is not None and user.user.id == user.id and user.user.object == "user"
    assert user.user.enabled is True and user.user.banned is False
    assert user.is_service_account is False and user.is_scim_managed is False
    raw = user.model_dump()
    for field in ["name", "email", "role", "is_default", "api_key_last_used_at", "technical_level", "developer_persona"]:
        assert field in raw


def test_emails_filters(server):
    users = users_of(server.client())
    one = users.list(emails=["user1@example.com"])
    assert [u.id for u in one.data] == ["user-conf0001"]
    many = users.list(emails=["user1@example.com", "USER2@EXAMPLE.COM", "nobody@example.com"])
    assert [u.id for u in many.data] == ["user-conf0001", "user-conf0002"]
    assert users.list(emails=["nobody@example.com"]).data == []
    plus = users.list(emails=["first+tag@example.com"])
    assert [u.id for u in plus.data] == ["user-plus"]
    non_ascii = users.retrieve("user-conf0014").email
    assert not non_ascii.isascii()
    assert [u.id for u in users.list(emails=[non_ascii.upper()]).data] == ["user-conf0014"]
    wanted = [f"user{i}@example.com" for i in range(1, 12)]
    paged = [u.id for u in users.list(emails=wanted, limit=2)]
    assert paged == [f"user-conf{i:04d}" for i in range(1, 12) if i % 7 != 0]


def test_update_each_field(server):
    users = users_of(server.client())
    uid = "user-conf0010"
    assert users.update(uid, role="owner").role == "owner"
    assert users.update(uid, technical_level="beginner").technical_level == "beginner"
    updated = users.update(uid, developer_persona="researcher")
    assert updated.developer_persona == "researcher" and updated.technical_level == "beginner"
    org = server.client().with_raw_response.admin.organization.users.retrieve(uid).headers["openai-organization"]
    assert users.update(uid, role_id=f"role-api-organization-reader__api-organization__{org}").role == "reader"
    cleared = users.update(uid, technical_level=None, developer_persona=None)
    assert cleared.technical_level is None and cleared.developer_persona is None
    unchanged = users.update(uid)
    assert unchanged.role == "reader"
    assert users.retrieve(uid).model_dump() == unchanged.model_dump()


def test_delete(server):
    users = users_of(server.client())
    deleted = users.delete("user-conf0011")
    assert (deleted.id, deleted.deleted, deleted.object) == ("user-conf0011", True, "organization.user.deleted")
    with pytest.raises(openai.NotFoundError):
        users.retrieve("user-conf0011")
    assert len(list(users.list(limit=100))) == TOTAL - 1


def expect_error(server, call, cls, status, code, param, message=None):
    """`call` raises `cls` with the status, code and param, after exactly one request."""
    server.requests = 0
    with pytest.raises(cls) as info:
        call()
    e = info.value
    assert type(e) is cls, type(e)
    assert e.status_code == status
    assert e.code == code
    assert e.param == param
    assert set(e.body) == {"message", "type", "param", "code"}
    assert e.type == ("server_error" if status >= 500 else "invalid_request_error")
    if message is not None:
        assert e.body["message"] == message
    assert server.requests == 1, f"{cls.__name__} was retried"
    return e


def test_errors(server):
    client = server.client()
    users = users_of(client)
    expect_error(server, lambda: users_of(server.client(key="sk-admin-wrong-key-1234567890")).list(),
                 openai.AuthenticationError, 401, "invalid_api_key", None,
                 "Incorrect API key provided: sk-adm*******************7890.")
    expect_error(server, lambda: users.list(limit=0), openai.BadRequestError, 400, "integer_below_min_value", "limit")
    expect_error(server, lambda: users.list(limit=101), openai.BadRequestError, 400, "integer_above_max_value", "limit")
    expect_error(server, lambda: users.list(after="user-nobody"), openai.BadRequestError, 400, "invalid_value", "after",
                 "Invalid 'after': no user with id 'user-nobody'.")
    expect_error(server, lambda: users.list(emails=[f"u{i}@x.io" for i in range(1001)]),
                 openai.BadRequestError, 400, "array_above_max_length", "emails")
    for call in [lambda: users.retrieve("user-nobody"), lambda: users.update("user-nobody", role="owner"),
                 lambda: users.delete("user-nobody")]:
        expect_error(server, call, openai.NotFoundError, 404, None, "user_id", "No such user: user-nobody")
    expect_error(server, lambda: users.update("user-conf0005", role="admin"), openai.BadRequestError, 400, "invalid_value", "role")
    expect_error(server, lambda: users.update("user-conf0005", role=None), openai.BadRequestError, 400, "invalid_value", "role")
    expect_error(server, lambda: users.update("user-conf0005", role_id="role-nope"), openai.BadRequestError, 400, "invalid_value", "role_id")
    expect_error(server, lambda: users.update("user-conf0005", extra_body={"name": "x"}), openai.BadRequestError, 400, None, "name",
                 "Unrecognized request argument supplied: name")
    expect_error(server, lambda: users.update("user-conf0005", technical_level="x" * (1024 * 1024 + 1)),
                 openai.APIStatusError, 413, None, None, "Request body too large.")
    # The last owners.
    users.update("user-conf0000", role="reader")
    expect_error(server, lambda: users.update("user-conf0001", role="reader"), openai.BadRequestError, 400, None, "role",
                 "An organization must keep at least one owner.")
    expect_error(server, lambda: users.delete("user-conf0001"), openai.BadRequestError, 400, None, None,
                 "An organization must keep at least one owner.")
    expect_error(server, lambda: client.get("/organization/nothing", cast_to=object), openai.NotFoundError, 404, None, None,
                 "Invalid URL (GET /v1/organization/nothing)")


def test_missing_key(server):
    client = server.client()
    server.requests = 0
    with pytest.raises(openai.AuthenticationError) as info:
        client.get("/organization/users", cast_to=object, options={"headers": {"Authorization": openai.Omit()}})
    assert info.value.status_code == 401
    assert info.value.code is None
    assert server.requests == 1


def test_request_id_is_exposed(server):
    raw = server.client().admin.organization.users.with_raw_response.list(limit=1)
    assert raw.request_id is not None and raw.request_id.startswith("req_")
    with pytest.raises(openai.NotFoundError) as info:
        users_of(server.client()).retrieve("user-nobody")
    assert info.value.request_id.startswith("req_")


def test_async_client(server):
    async def scenario():
        client = server.async_client()
        users = client.admin.organization.users
        ids = [u.id async for u in users.list(limit=50)]
        assert len(ids) == TOTAL and len(set(ids)) == TOTAL
        filtered = await users.list(emails=["user3@example.com"])
        assert [u.id for u in filtered.data] == ["user-conf0003"]
        assert (await users.retrieve("user-conf0003")).email == "user3@example.com"
        assert (await users.update("user-conf0003", role="owner", technical_level="advanced")).role == "owner"
        assert (await users.delete("user-conf0003")).deleted is True
        server.requests = 0
        with pytest.raises(openai.NotFoundError) as info:
            await users.retrieve("user-conf0003")
        assert info.value.param == "user_id"
        assert server.requests == 1
        with pytest.raises(openai.BadRequestError) as info:
            await users.list(limit=0)
        assert info.value.code == "integer_below_min_value"
        await client.close()

    asyncio.run(scenario())
