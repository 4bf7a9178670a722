#!/usr/bin/env python3
"""Writes routes.json: for every path and method of the directory spec, the schema each response
status promises (facts only: paths, methods, statuses, schema names). The integration tests pick
the schema of a response from it. With --check, fails if routes.json differs from the spec.

usage: routes_from_spec.py SPEC.yaml [--check]
"""
import json
import sys
from pathlib import Path

import yaml

here = Path(__file__).resolve().parent
out = here / "routes.json"


def schema_name(spec, response):
    ref = response.get("$ref")
    if ref:
        response = spec["components"]["responses"][ref.rsplit("/", 1)[-1]]
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def routes(spec):
    found = []
    for path, operations in sorted(spec["paths"].items()):
        for method, operation in sorted(operations.items()):
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = {
                status: name
                for status, response in sorted(operation.get("responses", {}).items())
                if (name := schema_name(spec, response))
            }
            found.append({"path": path, "method": method.upper(), "responses": responses})
    return found


def main():
    spec = yaml.safe_load(Path(sys.argv[1]).read_text())
    text = json.dumps({"routes": routes(spec)}, indent=1) + "\n"
    if "--check" in sys.argv[2:]:
        if out.read_text() != text:
            sys.exit(f"{out} is out of date with {sys.argv[1]}: run {Path(__file__).name} again")
        print(f"{out.name} matches the spec")
    else:
        out.write_text(text)


if __name__ == "__main__":
    main()
