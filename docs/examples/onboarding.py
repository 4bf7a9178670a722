#!/usr/bin/env python3
"""Onboard a new member of an OpenAI organization with the official `openai` Python SDK.

Given an email address, a role in the organization and the projects the person should join
(each with a project role), the script

1. invites the address into the organization and those projects (`invites.create`), or takes up
   the pending invite it already has,
2. with `--accept`, accepts the invite in the person's place, as orgusers allows through its own
   control endpoint `POST /_orgusers/invites/{invite_id}/accept` (the real API has no such call:
   there the person follows the link in the invite's email),
3. once the invite is accepted, finds the new user (`users.list(emails=[…])`) and checks the
   organization role, the user's `projects` field and, project by project, the membership
   (`projects.users.retrieve`).

    python onboarding.py [--base-url URL] [--admin-key KEY] [--role reader|owner]
                         [--project PROJECT_ID[:owner|member]]... [--no-projects]
                         [--accept [--name NAME]] EMAIL

Without `--project` the invite grants what the API gives by default (the Default project, as
`member`); `--no-projects` grants no project at all. `--base-url` and `--admin-key` default to the
environment variables the SDK itself reads, OPENAI_BASE_URL and OPENAI_ADMIN_KEY (and the base URL
to the public API when neither is given), so the same script runs against the real API and
against a server of it such as `orgusers serve`.

It prints one line per step. It exits 0 when the user has the access asked for, or when the invite
waits for the person to accept it (run the script again afterwards: it then only checks); it exits
1 when a check fails, and on an error of the API with its message and request id on standard
error.
"""

import argparse
import datetime
import sys

import openai
from openai.types.admin.organization import OrganizationUser

ORG_ROLES = ("reader", "owner")
PROJECT_ROLES = ("member", "owner")
# What the SDK's own admin calls send: the admin key as a bearer token.
ADMIN_AUTH = {"security": {"admin_api_key_auth": True}}


class CheckFailed(Exception):
    """The user exists but lacks some of the access asked for."""


def project_arg(text):
    """`PROJECT_ID` or `PROJECT_ID:ROLE` as {"id", "role"}; the role defaults to member."""
    project_id, _, role = text.partition(":")
    role = role or "member"
    if not project_id or role not in PROJECT_ROLES:
        raise argparse.ArgumentTypeError(f"expected PROJECT_ID[:owner|member], got {text!r}")
    return {"id": project_id, "role": role}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Invite a person into the organization and projects, then check their access.")
    parser.add_argument("email", help="the email address to invite")
    parser.add_argument("--role", choices=ORG_ROLES,
                        help="the role in the organization (default: reader, or the pending invite's)")
    parser.add_argument("--project", dest="projects", metavar="PROJECT_ID[:ROLE]", type=project_arg,
                        action="append", help="a project to join, as member (the default) or owner; repeatable")
    parser.add_argument("--no-projects", action="store_true",
                        help="join no project, not even the Default project")
    parser.add_argument("--accept", action="store_true",
                        help="accept the invite in the person's place (orgusers only: "
                             "POST /_orgusers/invites/{id}/accept)")
    parser.add_argument("--name", help="with --accept: the new user's name")
    parser.add_argument("--base-url", metavar="URL", help="the API's base URL, e.g. http://127.0.0.1:8080/v1 "
                                                          "(default: $OPENAI_BASE_URL, else the public API)")
    parser.add_argument("--admin-key", metavar="KEY", help="an admin API key (default: $OPENAI_ADMIN_KEY)")
    args = parser.parse_args(argv)
    if args.no_projects and args.projects:
        parser.error("--no-projects and --project exclude each other")
    if args.name is not None and not args.accept:
        parser.error("--name needs --accept")
    return args


def day(unix):
    return datetime.datetime.fromtimestamp(unix, datetime.timezone.utc).date().isoformat() if unix else "never"


def grants(projects):
    """An invite's projects as a person reads them."""
    if not projects:
        return "no project"
    return ", ".join(f"{p['id']} ({p['role']})" for p in projects)


def find_user(org, email):
    """The organization user with this address (matched case-insensitively), or None."""
    for user in org.users.list(emails=[email]):
        return user
    return None


def find_invite(org, email):
    """The invite of this address that is pending, else the one accepted last, else None."""
    mine = [i for i in org.invites.list(limit=100) if i.email.lower() == email.lower()]
    pending = [i for i in mine if i.status == "pending"]
    if pending:
        return pending[0]
    accepted = sorted((i for i in mine if i.status == "accepted"), key=lambda i: i.accepted_at or 0)
    return accepted[-1] if accepted else None


def accept(client, invite_id, name=None):
    """Accepts an invite through orgusers' control endpoint, which lives beside `/v1`, not under
    it; answers the new organization user. The SDK sends it with its own key, retries and errors."""
    root = str(client.base_url).rstrip("/").removesuffix("/v1")
    body = {} if name is None else {"name": name}
    return client.post(f"{root}/_orgusers/invites/{invite_id}/accept", body=body, cast_to=OrganizationUser,
                       options=ADMIN_AUTH)


def invite(org, args, out):
    """The invite of `args.email`: the pending one it has, or a new one."""
    found = find_invite(org, args.email)
    if found is not None and found.status == "pending":
        out(f"pending invite {found.id} for {found.email} as {found.role} (expires {day(found.expires_at)}) "
            f"into {grants([p.model_dump() for p in found.projects])}")
        return found
    options = {}
    if args.no_projects:
        options["projects"] = []
    elif args.projects:
        options["projects"] = args.projects
    made = org.invites.create(email=args.email, role=args.role or "reader", **options)
    out(f"invited {made.email} as {made.role}: {made.id} (expires {day(made.expires_at)}) "
        f"into {grants([p.model_dump() for p in made.projects])}")
    return made


def check(org, user, role, expected, out):
    """Checks that `user` has `role` (None: any) and the project memberships `expected`
    ([{"id", "role"}]), in the user's `projects` field and in each project's members."""
    held = {p.id: p for p in (user.projects.data if user.projects is not None else [])}
    out(f"user {user.id} ({user.email}, {user.name}): role {user.role}, {len(held)} project(s)")
    problems = []
    if role is not None and user.role != role:
        problems.append(f"the role is {user.role}, not {role}")
    for wanted in expected:
        membership = held.get(wanted["id"])
        if membership is None:
            problems.append(f"project {wanted['id']} is not in the user's projects")
            continue
        where = f"project {wanted['id']} ({membership.name})"
        member = org.projects.users.retrieve(user.id, project_id=wanted["id"])
        if membership.role != wanted["role"] or member.role != wanted["role"]:
            problems.append(f"{where}: the role is {member.role}, not {wanted['role']}")
            continue
        out(f"{where}: {member.role}, confirmed")
    if problems:
        raise CheckFailed("; ".join(problems))


def onboard(client, args, out=print):
    """Invites, accepts when asked to, and checks. Returns False while the invite is pending."""
    org = client.admin.organization
    user = find_user(org, args.email)
    if user is None:
        sent = invite(org, args, out)
        if not args.accept:
            out(f"{sent.id} is pending until {sent.email} accepts it; run this again then to check the access")
            return False
        accepted = accept(client, sent.id, args.name)
        out(f"accepted {sent.id}: user {accepted.id} ({accepted.name})")
        # What the API says now, not what the acceptance answered.
        user = find_user(org, args.email)
        if user is None:
            raise CheckFailed(f"no user with email {args.email} after accepting {sent.id}")
    else:
        out(f"{user.email} is a user of the organization already")
        sent = find_invite(org, args.email)
    # What was asked for; what the invite granted where this run asked for nothing.
    role = args.role or (sent.role if sent is not None else None)
    if args.no_projects:
        expected = []
    elif args.projects:
        expected = args.projects
    else:
        expected = [p.model_dump() for p in sent.projects] if sent is not None else []
    check(org, user, role, expected, out)
    return True


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        # None lets the SDK read OPENAI_BASE_URL and OPENAI_ADMIN_KEY, as it does by default.
        client = openai.OpenAI(base_url=args.base_url, admin_api_key=args.admin_key)
        onboard(client, args)
    except CheckFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except openai.APIStatusError as e:
        message = e.body.get("message") if isinstance(e.body, dict) else e.message
        print(f"error: {e.status_code} {message} (request id {e.request_id})", file=sys.stderr)
        return 1
    except openai.OpenAIError as e:  # no key, or the server could not be reached
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
