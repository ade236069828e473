#!/usr/bin/python3
"""Proves configs/schema/*.json with a real JSON Schema validator (Debian's
python3-jsonschema, draft 2020-12) against the shipped configs and the C++ loader
(`flashrig validate`). Run from the repository root (ctest `config_schema_check`):

    /usr/bin/python3 scripts/check_schemas.py [--flashrig BUILD/hil/flashrig]

1. Every shipped campaign, rig and part file is valid under its schema.
2. Every configs/broken/*.json fails the schema, and at the JSON pointer the loader names
   (its "$comment": "expect: /pointer: ... | /pointer: ..."), except for the few rules a
   schema cannot state (NOT_EXPRESSIBLE below). With --flashrig, it fails the loader too.
3. With --flashrig, loader and schema agree file by file on mutants of every shipped file
   (each key deleted, retyped, pushed past its bounds; an unknown key added); every
   disagreement must be one of NOT_EXPRESSIBLE, else it is a bug in one of them.

Campaigns name rig files by path; like the loader (and unlike a bare schema validator) the
check follows those paths, validates the rig file against rig.schema.json and reports a
missing file at the referencing pointer.
"""
import argparse
import copy
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema

SCHEMA_DIR = "configs/schema"
KINDS = {  # directory -> schema
    "configs/campaigns": "campaign.schema.json",
    "configs/rigs": "rig.schema.json",
    "configs/parts": "part.schema.json",
}

# Rules the C++ loader enforces that JSON Schema cannot express, as
# (schema, pointer regex, why). A disagreement or a missing schema error at such a pointer
# is expected; anything else fails the check.
NOT_EXPRESSIBLE = [
    ("campaign.schema.json", r"^(/throughput/kv_mixes/\d+|/power_loss)/value_max_bytes$",
     "compares two values (max >= min)"),
    ("campaign.schema.json", r"^/throughput/kv_mixes/\d+/weights$",
     "at least one weight non-zero (a sum over keys)"),
    ("campaign.schema.json", r"^/rigs/\d+$", "rig names and targets unique across the list"),
    ("campaign.schema.json", r"^/(rig|rigs/\d+)/target$",
     "sim:PART.json must name an existing file; ram: sizes must be powers of two under 4 GiB"),
    ("rig.schema.json", r"^/target$",
     "sim:PART.json must name an existing file; ram: sizes must be powers of two under 4 GiB"),
    ("part.schema.json", r"/max_(us|ms)$", "max >= typical (compares two values)"),
    ("part.schema.json", r"^/erase_types/\d+/size_bytes$",
     "between page_bytes and size_bytes, ascending (compares values)"),
    ("part.schema.json", r"^/block_protect/first_protected_bytes$", "at most size_bytes"),
    ("part.schema.json", r"^/address_mode$", "4-byte addressing above 16 MiB (depends on size_bytes)"),
    ("part.schema.json", r"^/status_registers/write_opcodes$", "no more than read_opcodes"),
    ("part.schema.json", r"^/sfdp_image$",
     "must name a readable SFDP image whose BFPT decodes (a file's content)"),
    ("part.schema.json", r"^/erase_types(/\d+)?$",
     "with an sfdp_image, an entry without times must match an erase type of the table by size, "
     "and the table's erase types must be usable (the image's content)"),
]


def pointer(path):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def not_expressible(schema, ptr):
    return any(s == schema and re.search(rx, ptr) for s, rx, _ in NOT_EXPRESSIBLE)


class Schemas:
    def __init__(self):
        self.docs = {}
        for path in sorted(glob.glob(os.path.join(SCHEMA_DIR, "*.schema.json"))):
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            jsonschema.Draft202012Validator.check_schema(doc)
            self.docs[os.path.basename(path)] = doc
        store = {}
        for name, doc in self.docs.items():
            store[name] = doc
            store[doc.get("$id", name)] = doc
        self.validators = {}
        for name, doc in self.docs.items():
            resolver = jsonschema.RefResolver(base_uri=doc.get("$id", name), referrer=doc,
                                              store=store)
            self.validators[name] = jsonschema.Draft202012Validator(doc, resolver=resolver)

    def errors(self, schema, doc):
        """[(pointers, message)]: each error with every pointer it can stand for."""
        out = []
        for error in self.validators[schema].iter_errors(doc):
            out.append((error_pointers(error), error.message))
        if schema == "campaign.schema.json" and isinstance(doc, dict):
            out += self.rig_file_errors(doc)
        return out

    def rig_file_errors(self, doc):
        entries = []
        if isinstance(doc.get("rig"), str):
            entries.append(("/rig", doc["rig"]))
        if isinstance(doc.get("rigs"), list):
            entries += [(f"/rigs/{i}", r) for i, r in enumerate(doc["rigs"]) if isinstance(r, str)]
        out = []
        for ptr, path in entries:
            if not os.path.isfile(path):
                out.append(({ptr}, f"rig file {path} not found"))
                continue
            try:
                with open(path, encoding="utf-8") as f:
                    rig = json.load(f)
            except ValueError as e:
                out.append(({ptr}, f"rig file {path}: {e}"))
                continue
            for _, message in self.errors("rig.schema.json", rig):
                out.append(({ptr}, f"rig file {path}: {message}"))
        return out


def error_pointers(error):
    """The pointer of a jsonschema error and of the sub-errors that explain it; a missing
    required key or an unexpected key also stands for the key's own pointer (where the
    loader reports it)."""
    base = list(error.absolute_path)
    ptrs = {pointer(base)}
    if error.validator == "required" and isinstance(error.instance, dict):
        ptrs |= {pointer(base + [k]) for k in error.validator_value if k not in error.instance}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        ptrs |= {pointer(base + [k]) for k in error.instance if k not in known}
    for sub in error.context or []:
        ptrs |= error_pointers(sub)
    return ptrs


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def schema_for(doc):
    if isinstance(doc, dict) and "kind" in doc:
        return "campaign.schema.json"
    if isinstance(doc, dict) and "jedec_id" in doc:
        return "part.schema.json"
    return "rig.schema.json"


def check_shipped(schemas, problems):
    count = 0
    for directory, schema in KINDS.items():
        for path in sorted(glob.glob(directory + "/*.json")):
            count += 1
            for ptrs, message in schemas.errors(schema, load(path)):
                problems.append(f"{path}: {min(ptrs)}: {message} ({schema})")
    return count


EXPECT_RE = re.compile(r'"\$comment"\s*:\s*"expect: ((?:[^"\\]|\\.)*)"')
LINE_RE = re.compile(r"invalid JSON at line (\d+)")


def check_broken(schemas, problems):
    files = sorted(glob.glob("configs/broken/*.json"))
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        m = EXPECT_RE.search(text)
        if not m:
            problems.append(f'{path}: no "$comment": "expect: ..."')
            continue
        expected = [e.strip() for e in m.group(1).replace('\\"', '"').split(" | ")]
        try:
            doc = json.loads(text)
        except ValueError as e:
            # Not JSON at all: the validator cannot even start; the loader must have said
            # so at the same line.
            want = [LINE_RE.search(x) for x in expected]
            if not any(w and f"line {w.group(1)} " in str(e) for w in want):
                problems.append(f"{path}: Python rejects it ({e}), not at the loader's line")
            continue
        schema = schema_for(doc)
        errors = schemas.errors(schema, doc)
        if not errors:
            problems.append(f"{path}: valid under {schema}, but the loader rejects it")
            continue
        flagged = set().union(*(ptrs for ptrs, _ in errors))
        for exp in expected:
            ptr = exp.split(": ", 1)[0]
            ptr = "" if ptr == "/" else ptr
            if ptr not in flagged and not not_expressible(schema, ptr):
                problems.append(f"{path}: the loader reports {exp!r}; {schema} flags only "
                                f"{sorted(flagged)}")
    return files


# --- Loader versus schema on mutants ------------------------------------------------

NUMBERS = [-1, 0, 1, 2, 15, 16, 255, 256, 4096, 65536, 1000000, 4294967295, 4294967296,
           2147483648, 1.5, 1e6, 1e20]
OTHER_TYPES = [None, True, "x", "", [], {}]


def paths(doc, at=()):
    """Every (path, value) below the root, depth first."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k in ("$schema", "$comment"):
                continue
            yield at + (k,), v
            yield from paths(v, at + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield at + (i,), v
            yield from paths(v, at + (i,))


def set_at(doc, path, value, delete=False):
    node = doc
    for p in path[:-1]:
        node = node[p]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value


def mutants(doc):
    """(description, pointer, document) for each single change of `doc`."""
    for path, value in list(paths(doc)):
        ptr = pointer(path)
        if isinstance(path[-1], str):
            m = copy.deepcopy(doc)
            set_at(m, path, None, delete=True)
            yield "delete", ptr, m
        replacements = list(OTHER_TYPES)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            replacements += NUMBERS
        elif isinstance(value, str):
            replacements += [value + "x", "0x" + value]
        for r in replacements:
            if r == value and type(r) is type(value):
                continue
            m = copy.deepcopy(doc)
            set_at(m, path, r)
            yield f"set {json.dumps(r)}", ptr, m
        if isinstance(value, dict):
            m = copy.deepcopy(doc)
            set_at(m, path + ("zz_unknown",), 1)
            yield "add unknown key", ptr + "/zz_unknown", m
    m = copy.deepcopy(doc)
    m["zz_unknown"] = 1
    yield "add unknown key", "/zz_unknown", m


def loader_verdicts(flashrig, files):
    """{file: None if the loader accepts it, else the set of pointers it reports}."""
    out = {}
    for i in range(0, len(files), 500):
        chunk = files[i:i + 500]
        names = set(chunk)
        r = subprocess.run([flashrig, "validate", *chunk], capture_output=True, text=True,
                           errors="replace", timeout=300)
        if r.returncode not in (0, 2):
            raise SystemExit(f"flashrig validate exited {r.returncode}: {r.stderr[-2000:]}")
        for line in r.stdout.splitlines():
            if ": ok (" in line:
                out[line.rsplit(": ok (", 1)[0]] = None
        for line in r.stderr.splitlines():
            parts = line.split(": ", 2)
            if len(parts) == 3 and parts[0] in names:
                out[parts[0]] = (out.get(parts[0]) or set()) | {"" if parts[1] == "/" else parts[1]}
        missing = [f for f in chunk if f not in out]
        if missing:
            raise SystemExit(f"flashrig validate said nothing about {missing[:3]}: {r.stderr[-500:]}")
    return out


def check_differential(schemas, flashrig, problems):
    cases = []  # (source, description, pointer, schema, file, document)
    with tempfile.TemporaryDirectory(prefix="flashrig-schema-") as tmp:
        # Part files name their SFDP images relative to themselves (sfdp/NAME.sfdp): the
        # mutants find them through the same relative path.
        os.symlink(os.path.abspath("configs/parts/sfdp"), os.path.join(tmp, "sfdp"))
        for directory, schema in KINDS.items():
            for source in sorted(glob.glob(directory + "/*.json")):
                for description, ptr, doc in mutants(load(source)):
                    if schema == "part.schema.json" and ptr == "/jedec_id":
                        continue  # Without jedec_id `flashrig validate` reads it as a rig.
                    if schema == "campaign.schema.json" and ptr == "/kind":
                        continue  # Without kind it is read as a rig (and rejected as one).
                    f = os.path.join(tmp, f"m{len(cases)}.json")
                    with open(f, "w", encoding="utf-8") as out:
                        json.dump(doc, out)
                    cases.append((source, description, ptr, schema, f, doc))
        verdicts = loader_verdicts(flashrig, [c[4] for c in cases])
    disagreements = 0
    for source, description, ptr, schema, f, doc in cases:
        loader = verdicts.get(f)
        schema_errors = schemas.errors(schema, doc)
        if (loader is None) == (not schema_errors):
            continue
        # A rule the schema cannot state excuses the loader for rejecting more, never the
        # schema for rejecting what the loader accepts.
        if loader is not None and loader and all(not_expressible(schema, p) for p in loader):
            continue
        disagreements += 1
        verdict = ("loader rejects (at " + ", ".join(sorted(loader)) + "), schema accepts"
                   if loader is not None else
                   "schema rejects (" + "; ".join(m for _, m in schema_errors[:2]) +
                   "), loader accepts")
        problems.append(f"{source}: {description} at {ptr}: {verdict}")
    return len(cases), disagreements


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flashrig", help="the built flashrig binary (loader checks)")
    args = parser.parse_args()
    schemas = Schemas()
    problems = []
    shipped = check_shipped(schemas, problems)
    broken = check_broken(schemas, problems)
    summary = f"{shipped} shipped files valid, {len(broken)} broken files rejected"
    if args.flashrig:
        verdicts = loader_verdicts(args.flashrig, broken)
        for f in broken:
            if verdicts.get(f) is None:
                problems.append(f"{f}: the loader accepts it")
        cases, _ = check_differential(schemas, args.flashrig, problems)
        summary += f", loader and schema compared on {cases} mutants"
    for p in problems:
        print(p)
    if problems:
        print(f"check_schemas: {len(problems)} problem(s)")
        return 1
    print(f"check_schemas: ok ({summary}; jsonschema {jsonschema_version()})")
    return 0


def jsonschema_version():
    try:
        from importlib.metadata import version
        return version("jsonschema")
    except Exception:  # pragma: no cover - very old Pythons
        return "?"


if __name__ == "__main__":
    sys.exit(main())
