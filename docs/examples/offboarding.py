#!/usr/bin/env python3
"""Offboard a member of an OpenAI organization with the official `openai` Python SDK.

Given a user's email address, the script

1. finds the organization user with that address,
2. for each project the user belongs to (the user object's `projects` field), deletes the
   project API keys that user owns, then removes the user from the project,
3. deletes the user from the organization.

    python offboarding.py [--base-url URL] [--admin-key KEY] [--dry-run] EMAIL

`--base-url` and `--admin-key` default to the environment variables the SDK itself reads,
OPENAI_BASE_URL and OPENAI_ADMIN_KEY (and the base URL to the public API when neither is given),
so the same script runs against the real API and against a server of it such as `orgusers serve`.
`--dry-run` prints what would be done and changes nothing.

It prints one line per step and exits 0 when the user is gone; on an error it prints the API's
message and request id on standard error and exits 1, leaving the steps already done done
(running it again finishes the job).
"""

import argparse
import sys

import openai


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Delete a user's project API keys and project memberships, then the user.")
    parser.add_argument("email", help="the email address of the user to offboard")
    parser.add_argument("--base-url", metavar="URL", help="the API's base URL, e.g. http://127.0.0.1:8080/v1 "
                                           "(default: $OPENAI_BASE_URL, else the public API)")
    parser.add_argument("--admin-key", metavar="KEY", help="an admin API key (default: $OPENAI_ADMIN_KEY)")
    parser.add_argument("--dry-run", action="store_true", help="print what would be done, change nothing")
    return parser.parse_args(argv)


def find_user(org, email):
    """The organization user with this address (matched case-insensitively), or None."""
    for user in org.users.list(emails=[email]):
        return user
    return None


def keys_owned_by(org, project_id, user_id):
    """The project's API keys that the user owns. `owner_project_access="any"` lists every enabled
    key, also those of owners whose access the API no longer counts as effective."""
    return [
        key
        for key in org.projects.api_keys.list(project_id, owner_project_access="any")
        if key.owner.type == "user" and key.owner.user is not None and key.owner.user.id == user_id
    ]


def offboard(client, email, dry_run=False, out=print):
    org = client.admin.organization
    user = find_user(org, email)
    if user is None:
        raise LookupError(f"no user with email {email}")
    memberships = user.projects.data if user.projects is not None else []
    deleted, removed = ("would delete", "would remove") if dry_run else ("deleted", "removed")
    out(f"user {user.id} ({user.email}, {user.name}): {len(memberships)} project(s)")
    for project in memberships:
        where = f"project {project.id} ({project.name})"
        # Collected before deleting: the walk stays on the pages as they were.
        for key in keys_owned_by(org, project.id, user.id):
            if not dry_run:
                org.projects.api_keys.delete(key.id, project_id=project.id)
            out(f"{where}: {deleted} API key {key.id} ({key.name}, {key.redacted_value})")
        if not dry_run:
            org.projects.users.delete(user.id, project_id=project.id)
        out(f"{where}: {removed} the user (role {project.role})")
    if not dry_run:
        org.users.delete(user.id)
    out(f"{deleted} user {user.id}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        # None lets the SDK read OPENAI_BASE_URL and OPENAI_ADMIN_KEY, as it does by default.
        client = openai.OpenAI(base_url=args.base_url, admin_api_key=args.admin_key)
        offboard(client, args.email, dry_run=args.dry_run)
    except LookupError as e:
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
