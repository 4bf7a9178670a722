"""Checks the official spec cannot express, because it documents only the 200 answers: the status
codes the project contract allows for each operation, and the OpenAI error envelope on every
error. Loaded by schemathesis through SCHEMATHESIS_HOOKS."""

import ast
import json
import pathlib
import threading

import jsonschema_rs
import schemathesis

# CPython 3.11's ast.parse fails now and then with "AST constructor recursion depth mismatch" when
# threads parse at once (python/cpython#106905): hypothesis parses sources to describe strategies,
# and with two workers that failed a run. One parse at a time keeps both workers.
_AST_PARSE = ast.parse
_AST_LOCK = threading.Lock()


def _serial_ast_parse(*args, **kwargs):
    with _AST_LOCK:
        return _AST_PARSE(*args, **kwargs)


ast.parse = _serial_ast_parse

SCHEMAS = json.loads(
    (pathlib.Path(__file__).resolve().parents[2] / "schemas" / "organization-users.schemas.json").read_text()
)
ERROR_VALIDATOR = jsonschema_rs.validator_for({**SCHEMAS, "$ref": "#/$defs/ErrorResponse"})

# The contract's error table, per operation: 401 for keys, 400 for parameters, bodies and the
# rules of the state (last owner, predefined roles, unique role names, changes of an archived
# project, the Default project's archiving, invites' addresses and projects), 404 for unknown ids
# in the path, 413 for bodies over 1 MiB. Operations of the directory spec that orgusers does not serve
# are not fuzzed (run.sh selects the paths), so they need no entry.
READ, LIST, WRITE, REMOVE = {200, 401, 404}, {200, 400, 401, 404}, {200, 400, 401, 404, 413}, {200, 400, 401, 404}
ALLOWED = {
    ("GET", "/organization/users"): {200, 400, 401},
    ("GET", "/organization/users/{user_id}"): READ,
    ("POST", "/organization/users/{user_id}"): WRITE,
    ("DELETE", "/organization/users/{user_id}"): REMOVE,
    ("GET", "/organization/users/{user_id}/roles"): LIST,
    ("POST", "/organization/users/{user_id}/roles"): WRITE,
    ("GET", "/organization/users/{user_id}/roles/{role_id}"): READ,
    ("DELETE", "/organization/users/{user_id}/roles/{role_id}"): REMOVE,
    ("GET", "/organization/roles"): {200, 400, 401},
    ("POST", "/organization/roles"): {200, 400, 401, 413},
    ("GET", "/organization/roles/{role_id}"): READ,
    ("POST", "/organization/roles/{role_id}"): WRITE,
    ("DELETE", "/organization/roles/{role_id}"): REMOVE,
    ("GET", "/organization/groups"): {200, 400, 401},
    ("POST", "/organization/groups"): {200, 400, 401, 413},
    ("GET", "/organization/groups/{group_id}"): READ,
    ("POST", "/organization/groups/{group_id}"): WRITE,
    ("DELETE", "/organization/groups/{group_id}"): READ,
    ("GET", "/organization/groups/{group_id}/users"): LIST,
    ("POST", "/organization/groups/{group_id}/users"): WRITE,
    ("GET", "/organization/groups/{group_id}/users/{user_id}"): READ,
    ("DELETE", "/organization/groups/{group_id}/users/{user_id}"): READ,
    ("GET", "/organization/groups/{group_id}/roles"): LIST,
    ("POST", "/organization/groups/{group_id}/roles"): WRITE,
    ("GET", "/organization/groups/{group_id}/roles/{role_id}"): READ,
    ("DELETE", "/organization/groups/{group_id}/roles/{role_id}"): READ,
    # Projects: reads of an archived project answer 200, its changes 400.
    ("GET", "/organization/projects"): {200, 400, 401},
    ("POST", "/organization/projects"): {200, 400, 401, 413},
    ("GET", "/organization/projects/{project_id}"): READ,
    ("POST", "/organization/projects/{project_id}"): WRITE,
    ("POST", "/organization/projects/{project_id}/archive"): REMOVE,
    ("GET", "/organization/projects/{project_id}/users"): LIST,
    ("POST", "/organization/projects/{project_id}/users"): WRITE,
    ("GET", "/organization/projects/{project_id}/users/{user_id}"): READ,
    ("POST", "/organization/projects/{project_id}/users/{user_id}"): WRITE,
    ("DELETE", "/organization/projects/{project_id}/users/{user_id}"): REMOVE,
    ("GET", "/organization/projects/{project_id}/service_accounts"): LIST,
    ("POST", "/organization/projects/{project_id}/service_accounts"): WRITE,
    ("GET", "/organization/projects/{project_id}/service_accounts/{service_account_id}"): READ,
    ("POST", "/organization/projects/{project_id}/service_accounts/{service_account_id}"): WRITE,
    ("DELETE", "/organization/projects/{project_id}/service_accounts/{service_account_id}"): REMOVE,
    ("POST", "/organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys"): WRITE,
    ("GET", "/organization/projects/{project_id}/api_keys"): LIST,
    ("GET", "/organization/projects/{project_id}/api_keys/{api_key_id}"): READ,
    ("DELETE", "/organization/projects/{project_id}/api_keys/{api_key_id}"): REMOVE,
    ("GET", "/organization/projects/{project_id}/groups"): LIST,
    ("POST", "/organization/projects/{project_id}/groups"): WRITE,
    # `group_type` is an enumerated query parameter: 400 out of range.
    ("GET", "/organization/projects/{project_id}/groups/{group_id}"): LIST,
    ("DELETE", "/organization/projects/{project_id}/groups/{group_id}"): REMOVE,
    # Invites: an address already invited or a user's, or a project that is not active, is a 400;
    # so is deleting an accepted invite.
    ("GET", "/organization/invites"): {200, 400, 401},
    ("POST", "/organization/invites"): {200, 400, 401, 413},
    ("GET", "/organization/invites/{invite_id}"): READ,
    ("DELETE", "/organization/invites/{invite_id}"): REMOVE,
    # Admin API keys: a deletion has no rule to break, only an id to find.
    ("GET", "/organization/admin_api_keys"): {200, 400, 401},
    ("POST", "/organization/admin_api_keys"): {200, 400, 401, 413},
    ("GET", "/organization/admin_api_keys/{key_id}"): READ,
    ("DELETE", "/organization/admin_api_keys/{key_id}"): READ,
    # The audit log: a 400 for a bad filter or cursor; it names no object in its path.
    ("GET", "/organization/audit_logs"): {200, 400, 401},
}


@schemathesis.check
def contract_status_codes(ctx, response, case):
    method = case.method.upper()
    # A method the path does not serve is an unknown URL to OpenAI: 404, not 405.
    allowed = ALLOWED.get((method, case.operation.path), {404})
    if response.status_code not in allowed:
        raise AssertionError(
            f"{method} {case.operation.path} answered {response.status_code}; "
            f"the contract allows {sorted(allowed)}"
        )


@schemathesis.check
def openai_error_envelope(ctx, response, case):
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError as e:
        raise AssertionError(f"error body is not JSON: {e}") from e
    errors = [str(e) for e in ERROR_VALIDATOR.iter_errors(body)]
    if errors:
        raise AssertionError(f"error body does not match the OpenAI envelope: {errors}")
    if response.headers.get("content-type", [""])[0] != "application/json":
        raise AssertionError(f"error content-type {response.headers.get('content-type')}")
