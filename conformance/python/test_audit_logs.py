"""The official `openai` Python SDK against orgusers' audit log:
`client.admin.organization.audit_logs.list` with its `ConversationCursorPage`, auto-pagination,
every filter as the SDK encodes it (`event_types[]=…`, `effective_at[gte]=…`), `before`, and the
refusals as the exception classes the real API would give. Every answer is validated against the
SDK's own model classes (strict response validation)."""

import httpx2
import openai
import pytest
from openai.pagination import SyncConversationCursorPage

from conftest import KEY


def strict(server):
    """A client that validates every answer against the SDK's pydantic models."""
    return server.client(_strict_response_validation=True)


def freeze(server, at):
    """Freezes the organization's clock at `at` (orgusers' control endpoint, plain HTTP)."""
    answer = httpx2.post(f"{server.base_url.removesuffix('/v1')}/_orgusers/clock", json={"now": at},
                         headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
    assert answer.status_code == 200, answer.text


def history(client):
    """A project with a member, then a group: five entries at known times."""
    project = client.admin.organization.projects.create(name="Apollo")
    client.admin.organization.projects.users.create(project.id, user_id="user-conf0002", role="member")
    client.admin.organization.projects.update(project.id, name="Artemis")
    group = client.admin.organization.groups.create(name="Crew")
    client.admin.organization.groups.update(group.id, name="Team")
    return project, group


def test_entries_are_listed_newest_first_with_their_payloads(server):
    freeze(server, 4_000_000_000)
    client = strict(server)
    project, group = history(client)
    page = client.admin.organization.audit_logs.list()
    assert isinstance(page, SyncConversationCursorPage)
    types = [entry.type for entry in page.data]
    assert types == ["group.updated", "group.created", "project.updated", "user.added", "project.created"]
    created = page.data[-1]
    assert created.effective_at == 4_000_000_000
    assert created.project.id == project.id and created.project.name == "Artemis"
    assert created.actor.type == "api_key" and created.actor.api_key.id.startswith("key_")
    payload = created.model_dump(by_alias=True)["project.created"]
    assert payload == {"id": project.id, "data": {"name": "Apollo", "title": "Apollo"}}
    added = page.data[-2].model_dump(by_alias=True)["user.added"]
    assert added == {"id": "user-conf0002", "data": {"role": "member"}}
    renamed = page.data[0].model_dump(by_alias=True)["group.updated"]
    assert renamed == {"id": group.id, "changes_requested": {"group_name": "Team"}}
    assert page.data[0].project is None


def test_filters_and_pages(server):
    freeze(server, 4_000_000_000)
    client = strict(server)
    project, group = history(client)
    logs = client.admin.organization.audit_logs
    every = [entry.id for entry in logs.list(limit=2)]
    assert len(every) == 5, "auto-pagination walks every page"
    assert [e.type for e in logs.list(event_types=["user.added", "group.created"]).data] == [
        "group.created", "user.added"]
    assert [e.type for e in logs.list(project_ids=[project.id]).data] == [
        "project.updated", "user.added", "project.created"]
    assert [e.type for e in logs.list(resource_ids=[group.id], event_types=["group.updated"]).data] == [
        "group.updated"]
    assert logs.list(effective_at={"gt": 4_000_000_000}).data == []
    assert len(logs.list(effective_at={"gte": 4_000_000_000, "lte": 4_000_000_000}).data) == 5
    actor = logs.list(limit=1).data[0].actor.api_key.id
    assert len(logs.list(actor_ids=[actor]).data) == 5
    assert logs.list(actor_ids=["key_nobody"]).data == []
    assert logs.list(tenant_only=True).data == []
    first = logs.list(limit=2)
    assert first.has_more
    newer = logs.list(before=first.data[-1].id)
    assert [e.id for e in newer.data] == [first.data[0].id]


def test_refusals(server):
    logs = strict(server).admin.organization.audit_logs
    with pytest.raises(openai.BadRequestError) as refused:
        logs.list(event_types=["project.exploded"])
    assert refused.value.param == "event_types"
    with pytest.raises(openai.BadRequestError) as refused:
        logs.list(after="audit_log-nothing")
    assert refused.value.param == "after"
    with pytest.raises(openai.BadRequestError) as refused:
        logs.list(limit=0)
    assert refused.value.param == "limit"
