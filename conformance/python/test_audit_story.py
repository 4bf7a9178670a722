"""The audit log tells what happened: seeded random sequences of changes across every family,
made through the official `openai` Python SDK by two admin keys (one of them created over HTTP
during the sequence), then the whole log read back through the same SDK (auto-pagination, small
pages) must be exactly those changes, in order, each with its acting key and its time (the
organization's clock, moved through orgusers' control endpoint between changes). Then the key
created over HTTP is deleted and must stop opening the organization within a second."""

import random
import time

import httpx2
import openai
import pytest

from conftest import KEY

OWNER = "user-conf0000"
READERS = [f"user-conf{i:04d}" for i in range(2, 60)]
START = 4_100_000_000


class Story:
    """The organization as the sequence left it, and the entries each change must have written."""

    def __init__(self, server, seed):
        self.server = server
        self.rng = random.Random(seed)
        self.root = server.base_url.removesuffix("/v1")
        self.now = START
        self.control("clock", {"now": START})
        self.clients = {}
        self.key_ids = {}
        self.expected = []
        self.members = {}  # project id -> {user id: role}
        self.projects = []
        self.archived = set()
        self.groups = {}  # group id -> set of user ids
        self.roles = []
        self.assigned = set()  # (user id, role id)
        self.invites = []
        self.accounts = {}  # service account id -> project id
        self.account_keys = {}  # service account id -> its key's id
        self.users = list(READERS)
        self.extra_key = None

    def control(self, path, body):
        answer = httpx2.post(f"{self.root}/_orgusers/{path}", json=body,
                             headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def acting(self):
        """One of the two keys, at random once the second exists."""
        names = list(self.clients)
        return self.rng.choice(names)

    def expect(self, key, event_type, resource, project=None):
        self.expected.append((event_type, resource, self.key_ids[key], self.now, project))

    def tick(self):
        step = self.rng.choice([0, 0, 1, 2, 30])
        if step:
            self.control("clock", {"advance_seconds": step})
            self.now += step

    def step(self):
        key = self.acting()
        client = self.clients[key]
        org = client.admin.organization
        rng = self.rng
        live = [p for p in self.projects if p not in self.archived]
        choices = ["project", "group", "role", "invite", "user_role"]
        if live:
            choices += ["rename_project", "member", "member", "account"]
            if len(live) > 1:
                choices.append("archive")
        if any(self.members[p] for p in live):
            choices += ["member_role", "member_remove"]
        if self.groups:
            choices += ["group_user", "rename_group", "delete_group"]
            if live:
                choices.append("project_group")
        if self.roles:
            choices += ["rename_role", "assign_role"]
        if self.assigned:
            choices.append("unassign_role")
        if self.invites:
            choices += ["accept", "delete_invite"]
        if any(project in live for project in self.accounts.values()):
            choices.append("delete_account")
        if len(self.users) > 5:
            choices += ["promote", "delete_user"]
        action = rng.choice(choices)
        if action == "project":
            project = org.projects.create(name=f"Project {len(self.projects)}")
            self.projects.append(project.id)
            self.members[project.id] = {}
            self.expect(key, "project.created", project.id, project.id)
        elif action == "rename_project":
            project = rng.choice(live)
            org.projects.update(project, name=f"Renamed {rng.randrange(1000)}")
            self.expect(key, "project.updated", project, project)
        elif action == "archive":
            project = rng.choice(live)
            org.projects.archive(project)
            self.archived.add(project)
            self.expect(key, "project.archived", project, project)
        elif action == "member":
            project = rng.choice(live)
            user = rng.choice([u for u in self.users if u not in self.members[project]] or [None])
            if user is None:
                return
            org.projects.users.create(project, user_id=user, role="member")
            self.members[project][user] = "member"
            self.expect(key, "user.added", user, project)
        elif action == "member_role":
            project = rng.choice([p for p in live if self.members[p]])
            user = rng.choice(sorted(self.members[project]))
            role = "owner" if self.members[project][user] == "member" else "member"
            org.projects.users.update(user, project_id=project, role=role)
            self.members[project][user] = role
            self.expect(key, "user.updated", user, project)
        elif action == "member_remove":
            project = rng.choice([p for p in live if self.members[p]])
            user = rng.choice(sorted(self.members[project]))
            org.projects.users.delete(user, project_id=project)
            del self.members[project][user]
            self.expect(key, "user.deleted", user, project)
        elif action == "account":
            project = rng.choice(live)
            account = org.projects.service_accounts.create(project, name=f"bot {rng.randrange(1000)}")
            self.accounts[account.id] = project
            self.account_keys[account.id] = account.api_key.id
            self.expect(key, "service_account.created", account.id, project)
            # Its key comes with it, in the same change.
            self.expect(key, "api_key.created", account.api_key.id, project)
        elif action == "delete_account":
            account = rng.choice(sorted(a for a, p in self.accounts.items() if p in live))
            project = self.accounts.pop(account)
            org.projects.service_accounts.delete(account, project_id=project)
            # Its key goes with it, in the same change.
            self.expect(key, "api_key.deleted", self.account_keys.pop(account), project)
            self.expect(key, "service_account.deleted", account, project)
        elif action == "group":
            group = org.groups.create(name=f"Group {rng.randrange(10_000)}")
            self.groups[group.id] = set()
            self.expect(key, "group.created", group.id)
        elif action == "rename_group":
            group = rng.choice(sorted(self.groups))
            org.groups.update(group, name=f"Team {rng.randrange(10_000)}")
            self.expect(key, "group.updated", group)
        elif action == "group_user":
            group = rng.choice(sorted(self.groups))
            user = rng.choice(self.users)
            if user in self.groups[group]:
                org.groups.users.delete(user, group_id=group)
                self.groups[group].discard(user)
            else:
                org.groups.users.create(group, user_id=user)
                self.groups[group].add(user)
            self.expect(key, "group.updated", group)
        elif action == "project_group":
            group = rng.choice(sorted(self.groups))
            project = rng.choice(live)
            try:
                org.projects.groups.create(project, group_id=group, role="member")
            except openai.BadRequestError:
                return  # already a group of that project: refused, and so no entry
            self.expect(key, "role.assignment.created", f"role-api-project-member__api-project__{project}",
                        project)
        elif action == "delete_group":
            group = rng.choice(sorted(self.groups))
            org.groups.delete(group)
            del self.groups[group]
            self.expect(key, "group.deleted", group)
        elif action == "role":
            role = org.roles.create(role_name=f"auditor-{rng.randrange(1_000_000)}",
                                    permissions=["api.organization.read"])
            self.roles.append(role.id)
            self.expect(key, "role.created", role.id)
        elif action == "rename_role":
            role = rng.choice(self.roles)
            org.roles.update(role, description=f"version {rng.randrange(1000)}")
            self.expect(key, "role.updated", role)
        elif action == "assign_role":
            role = rng.choice(self.roles)
            user = rng.choice(self.users)
            if (user, role) in self.assigned:
                return
            org.users.roles.create(user, role_id=role)
            self.assigned.add((user, role))
            self.expect(key, "role.assignment.created", role)
        elif action == "unassign_role":
            user, role = rng.choice(sorted(self.assigned))
            org.users.roles.delete(role, user_id=user)
            self.assigned.discard((user, role))
            self.expect(key, "role.assignment.deleted", role)
        elif action == "user_role":
            # A predefined role assigned to a user: a role change of the user.
            user = rng.choice(self.users)
            org.users.update(user, role="reader")
            self.expect(key, "user.updated", user)
        elif action == "promote":
            user = rng.choice(self.users)
            org.users.update(user, role=rng.choice(["owner", "reader"]))
            self.expect(key, "user.updated", user)
        elif action == "delete_user":
            user = rng.choice(self.users)
            org.users.delete(user)
            self.users.remove(user)
            for members in self.members.values():
                members.pop(user, None)
            for users in self.groups.values():
                users.discard(user)
            self.assigned = {(u, r) for u, r in self.assigned if u != user}
            self.expect(key, "user.deleted", user)
        elif action == "invite":
            invite = org.invites.create(email=f"new{rng.randrange(10**9)}@example.org", role="reader")
            self.invites.append(invite.id)
            self.expect(key, "invite.sent", invite.id)
        elif action == "delete_invite":
            invite = self.invites.pop(rng.randrange(len(self.invites)))
            org.invites.delete(invite)
            self.expect(key, "invite.deleted", invite)
        elif action == "accept":
            # Acceptance happens outside the API (the invited person's sign-up); the control
            # endpoint acts with the key that calls it.
            invite = self.invites.pop(rng.randrange(len(self.invites)))
            user = self.control(f"invites/{invite}/accept", {"name": "New Person"})["id"]
            self.users.append(user)
            self.expect("first", "invite.accepted", invite)
            self.expect("first", "user.added", user)

    def read_back(self, client):
        """The whole log through the SDK, oldest first, as (type, id, actor, time, project)."""
        entries = []
        for entry in client.admin.organization.audit_logs.list(limit=7):
            payload = entry.model_dump(by_alias=True)[entry.type]
            entries.append((entry.type, payload["id"], entry.actor.api_key.id, entry.effective_at,
                            entry.project.id if entry.project else None))
        entries.reverse()
        return entries


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_log_tells_exactly_what_happened(server, seed):
    story = Story(server, seed)
    first = server.client(_strict_response_validation=True)
    story.clients["first"] = first
    story.key_ids["first"] = first.admin.organization.admin_api_keys.list().data[0].id
    for n in range(90):
        if n == 10:
            created = first.admin.organization.admin_api_keys.create(name="second operator")
            story.expect("first", "api_key.created", created.id)
            # Works at once, as the client's key.
            second = server.client(key=created.value, _strict_response_validation=True)
            story.clients["second"] = second
            story.key_ids["second"] = created.id
            story.extra_key = created
        story.step()
        story.tick()
    assert len(story.expected) >= 80
    assert story.read_back(first) == story.expected

    # The second key, deleted by the first, stops opening the organization within a second.
    first.admin.organization.admin_api_keys.delete(story.extra_key.id)
    deleted_at = time.monotonic()
    while True:
        try:
            story.clients["second"].admin.organization.users.list(limit=1)
        except openai.AuthenticationError:
            break
        assert time.monotonic() - deleted_at < 1.5, "the deleted key still opens the organization"
        time.sleep(0.05)
    story.expect("first", "api_key.deleted", story.extra_key.id)
    assert story.read_back(first) == story.expected
