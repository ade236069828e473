#!/usr/bin/env python3
"""Validates every part file (configs/parts/*.json, or the files given) against
configs/schema/part.schema.json with python3-jsonschema (a real JSON Schema 2020-12
validator, not our loader). Prints one line per problem; exit 1 if any. Run by ctest as
part_schema_check."""
import glob
import json
import os
import sys

import jsonschema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    schema = json.load(open(os.path.join(ROOT, "configs", "schema", "part.schema.json")))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = sys.argv[1:] or sorted(glob.glob(os.path.join(ROOT, "configs", "parts", "*.json")))
    problems = 0
    for path in files:
        for error in validator.iter_errors(json.load(open(path, encoding="utf-8"))):
            pointer = "/" + "/".join(str(p) for p in error.absolute_path)
            print(f"{os.path.relpath(path, ROOT)}: {pointer}: {error.message}")
            problems += 1
    print(f"{len(files)} part files checked, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
