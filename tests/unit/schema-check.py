#!/usr/bin/env python3
"""schema-check.py SCHEMA GOOD BAD: the JSON Schema of the audit lines (tests/audit-schema.json)
against the same samples as the C checker: every line of GOOD is valid, every line of BAD is
not. Keeps the schema and tests/unit/audit-check.c in step. TAP; skips (77) without the
jsonschema module."""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("1..0 # SKIP python3-jsonschema is not installed")
    sys.exit(77)


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def main():
    schema_path, good, bad = sys.argv[1:4]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    n = failed = 0
    for expect_valid, path in ((True, good), (False, bad)):
        for i, text in enumerate(lines(path), 1):
            n += 1
            errors = list(validator.iter_errors(json.loads(text)))
            passed = (not errors) == expect_valid
            failed += not passed
            what = "valid" if expect_valid else "rejected"
            print(f"{'' if passed else 'not '}ok {n} - {path.split('/')[-1]}:{i} {what}")
            if not passed and errors:
                print(f"# {errors[0].message[:200]}")
    print(f"1..{n}")
    return 1 if failed else 0


sys.exit(main())
