"""The official `openai` Python SDK against orgusers' admin API keys:
`client.admin.organization.admin_api_keys` (create, retrieve, list with its `SyncCursorPage` in
both orders and auto-pagination, delete), the new key used at once as the client's key, a key
deleting itself, expiry by the organization's clock (moved through orgusers' control endpoint
with plain HTTP), and every refusal as the exception class the real API would give. Every answer
is validated against the SDK's own model classes (strict response validation)."""

import re
import time

import httpx2
import openai
import pytest
from openai.pagination import SyncCursorPage
from openai.types.admin.organization import AdminAPIKey

from conftest import KEY

KEY_ID = re.compile(r"^key_[A-Za-z0-9]{24}$")
VALUE = re.compile(r"^sk-admin-[A-Za-z0-9]{48}$")


def strict(server, key=KEY):
    """A client that validates every answer against the SDK's pydantic models."""
    return server.client(key=key, _strict_response_validation=True)


def root(server):
    """The server without `/v1`: where the control endpoints live."""
    return server.base_url.removesuffix("/v1")


def expect_error(server, call, cls, status, param, code=None):
    """`call` raises exactly `cls` with the status, param and code, after one request."""
    server.requests = 0
    with pytest.raises(cls) as info:
        call()
    e = info.value
    assert type(e) is cls, type(e)
    assert e.status_code == status, (e.status_code, e.body)
    assert e.param == param, (e.param, e.body)
    assert e.code == code, (e.code, e.body)
    assert e.type == "invalid_request_error"
    assert e.request_id.startswith("req_")
    assert server.requests == 1, f"{type(e).__name__} was retried"
    return e


def refused_until(server, value, seconds=4.0):
    """Polls with `value` until it is refused (the cache trusts a key for one second)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            strict(server, value).admin.organization.users.list(limit=1)
        except openai.AuthenticationError as e:
            assert e.code == "invalid_api_key", e.body
            return e
        assert time.monotonic() < deadline, "the key still opens the organization"
        time.sleep(0.1)


def test_create_shows_the_value_once_and_it_works(server):
    keys = strict(server).admin.organization.admin_api_keys
    made = keys.create(name="ci", expires_in_seconds=3600)
    assert KEY_ID.match(made.id), made.id
    assert VALUE.match(made.value), made.value
    assert made.object == "organization.admin_api_key"
    assert made.redacted_value == f"sk-admin-...{made.value[-4:]}"
    assert made.expires_at == made.created_at + 3600
    assert made.last_used_at is None
    assert made.owner.role == "owner"
    # The new value opens the organization at once, through the SDK.
    assert strict(server, made.value).admin.organization.users.list(limit=1).data is not None
    read = keys.retrieve(made.id)
    assert isinstance(read, AdminAPIKey)
    assert "value" not in read.model_dump()
    assert read.last_used_at is not None and read.last_used_at >= made.created_at
    assert keys.create(name="forever").expires_at is None


def test_list_in_both_orders_and_all_pages(server):
    keys = strict(server).admin.organization.admin_api_keys
    for i in range(5):
        keys.create(name=f"k{i}")
    everything = list(keys.list(limit=2))
    assert len(everything) == 6  # the server's own key and the five
    assert [k.id for k in everything] == [k.id for k in sorted(everything, key=lambda k: (k.created_at, k.id))]
    newest = list(keys.list(limit=4, order="desc"))
    assert [k.id for k in newest] == [k.id for k in reversed(everything)]
    page = keys.list(limit=2)
    assert isinstance(page, SyncCursorPage)
    assert page.has_more is True
    assert [k.id for k in page.data] == [k.id for k in everything[:2]]
    assert all("value" not in k.model_dump() for k in everything)


def test_delete_and_not_found(server):
    client = strict(server)
    keys = client.admin.organization.admin_api_keys
    made = keys.create(name="doomed")
    gone = keys.delete(made.id)
    assert (gone.id, gone.object, gone.deleted) == (made.id, "organization.admin_api_key.deleted", True)
    e = expect_error(server, lambda: keys.retrieve(made.id), openai.NotFoundError, 404, "key_id")
    assert e.body["message"] == f"No such admin API key: {made.id}"
    expect_error(server, lambda: keys.delete(made.id), openai.NotFoundError, 404, "key_id")
    assert made.id not in [k.id for k in keys.list(limit=100)]
    refused_until(server, made.value)


def test_a_key_deletes_itself(server):
    made = strict(server).admin.organization.admin_api_keys.create(name="self")
    own = strict(server, made.value).admin.organization.admin_api_keys
    assert own.delete(made.id).deleted is True
    with pytest.raises(openai.AuthenticationError):
        own.list()


def test_an_expired_key_is_refused(server):
    made = strict(server).admin.organization.admin_api_keys.create(name="brief", expires_in_seconds=60)
    assert strict(server, made.value).admin.organization.users.list(limit=1) is not None
    moved = httpx2.post(f"{root(server)}/_orgusers/clock", json={"advance_seconds": 120},
                        headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
    assert moved.status_code == 200, moved.text
    refused_until(server, made.value)
    # Listed until deleted.
    assert made.id in [k.id for k in strict(server).admin.organization.admin_api_keys.list(limit=100)]


def test_refusals(server):
    keys = strict(server).admin.organization.admin_api_keys
    for seconds in (0, 31_536_001):
        expect_error(server, lambda: keys.create(name="x", expires_in_seconds=seconds),
                     openai.BadRequestError, 400, "expires_in_seconds", "invalid_value")
    expect_error(server, lambda: keys.create(name="x", expires_in_seconds="soon"),
                 openai.BadRequestError, 400, "expires_in_seconds", "invalid_type")
    expect_error(server, lambda: keys.create(name=None), openai.BadRequestError, 400, "name", "invalid_type")
    expect_error(server, lambda: keys.list(order="sideways"), openai.BadRequestError, 400, "order", "invalid_value")
    expect_error(server, lambda: keys.list(after="key_nope"), openai.BadRequestError, 400, "after", "invalid_value")
