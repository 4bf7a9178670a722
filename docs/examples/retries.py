#!/usr/bin/env python3
"""Watch the official `openai` Python SDK retry through failures that orgusers injects.

The script

1. adds a fault through orgusers' control endpoint `POST /_orgusers/faults`: the next FAILURES
   requests `GET /v1/organization/users` are answered STATUS (429 by default, with the real
   API's rate-limit envelope and `retry-after: 0`),
2. lists users with the SDK, `max_retries=MAX_RETRIES`, as any program would,
3. prints the requests the server saw (`GET /_orgusers/requests`, the request journal), oldest
   first: the failed attempts and the one that got through,
4. removes the fault if anything is left of it.

    python retries.py [--base-url URL] [--admin-key KEY] [--status S] [--failures N] [--max-retries N]

`--base-url` and `--admin-key` default to the environment variables the SDK itself reads,
OPENAI_BASE_URL and OPENAI_ADMIN_KEY. The control endpoints are orgusers' own, beside /v1: the
real API has none. The SDK's raw `client.post`/`client.get` reach them with an absolute URL, so
no other HTTP library is needed.

It exits 0 when the list got through, and 1 when the SDK gave up (more failures than retries),
with the last answer's status, message and request id on standard error.
"""

import argparse
import sys

import openai

USERS = "/v1/organization/users"


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Inject failures into orgusers and let the SDK retry.")
    parser.add_argument("--base-url", metavar="URL", help="orgusers' base URL, e.g. http://127.0.0.1:8080/v1 "
                                           "(default: $OPENAI_BASE_URL)")
    parser.add_argument("--admin-key", metavar="KEY", help="an admin API key (default: $OPENAI_ADMIN_KEY)")
    parser.add_argument("--status", type=int, default=429, help="the status of the failures (default 429)")
    parser.add_argument("--failures", type=int, default=2, help="how many requests fail (default 2)")
    parser.add_argument("--max-retries", type=int, default=2, help="the SDK's max_retries (default 2)")
    return parser.parse_args(argv)


def control_url(client, path):
    """An absolute URL of orgusers' control endpoints, which sit beside the /v1 base URL."""
    root = str(client.base_url).rstrip("/").removesuffix("/v1")
    return root + path


def run(client, status, failures, max_retries, out=print):
    fault = client.post(
        control_url(client, "/_orgusers/faults"),
        body={"method": "GET", "path": USERS, "status": status, "count": failures},
        cast_to=object,
    )
    out(f"fault {fault['id']}: the next {failures} GET {USERS} answer {status}")
    try:
        page = client.with_options(max_retries=max_retries).admin.organization.users.list(limit=5)
        out(f"listed {len(page.data)} users with max_retries={max_retries}")
    finally:
        journal = client.get(control_url(client, f"/_orgusers/requests?limit={max_retries + 1}"), cast_to=object)
        for request in reversed(journal["data"]):
            target = request["path"] + (f"?{request['query']}" if request["query"] else "")
            out(f"  {request['method']} {target} -> {request['status']} ({request['request_id']})")
        try:
            client.delete(control_url(client, f"/_orgusers/faults/{fault['id']}"), cast_to=object)
        except openai.NotFoundError:
            pass  # used up: a fault disappears once its count is spent


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        # None lets the SDK read OPENAI_BASE_URL and OPENAI_ADMIN_KEY, as it does by default.
        client = openai.OpenAI(base_url=args.base_url, admin_api_key=args.admin_key)
        run(client, args.status, args.failures, args.max_retries)
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
