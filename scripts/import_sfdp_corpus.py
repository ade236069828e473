#!/usr/bin/env python3
"""The project's copy of the SFDP corpus (tables read from 26 real chips).

  import_sfdp_corpus.py [CORPUS_DIR]          copy ../shared/sfdp-corpus (default) in
  import_sfdp_corpus.py --check [CORPUS_DIR]  check the copy (ctest sfdp_corpus_copy_check)

Copying puts every record, unchanged (sources kept), into tests/data/sfdp-corpus/, and the
raw image of every record that has a whole SFDP space (`sfdp_hex`) into
configs/parts/sfdp/<record>.sfdp, which the part files there reference. A record whose
posted checksum (`source_checksum`) does not match its bytes is refused. Part files
(configs/parts/*.json) are written by hand (`flashrig parts new`) and not touched.

Checking verifies, from the project's own copy, that every image equals its record's
bytes and posted checksum; with CORPUS_DIR, also that the copied records equal those.
"""
import glob
import hashlib
import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "tests", "data", "sfdp-corpus")
IMAGE_DIR = os.path.join(ROOT, "configs", "parts", "sfdp")


def image_of(name, record):
    """The record's whole image, or None; raises ValueError on a checksum mismatch."""
    if "sfdp_hex" not in record:
        return None
    image = bytes.fromhex(record["sfdp_hex"])
    check = record.get("source_checksum")
    if check:
        digest = hashlib.new(check["algorithm"], image).hexdigest()
        if digest != check["value"]:
            raise ValueError(f"{name}: {check['algorithm']} {digest} is not the posted "
                             f"{check['value']}")
    return image


def copy(corpus):
    records = sorted(glob.glob(os.path.join(corpus, "*.json")))
    if not records:
        print(f"import_sfdp_corpus: no records in {corpus}", file=sys.stderr)
        return 2
    os.makedirs(DATA_DIR, exist_ok=True)
    os.makedirs(IMAGE_DIR, exist_ok=True)
    shutil.copy(os.path.join(corpus, "README.md"), os.path.join(DATA_DIR, "README.md"))
    for path in records:
        name = os.path.basename(path)[:-5]
        image = image_of(name, json.load(open(path, encoding="utf-8")))
        shutil.copy(path, os.path.join(DATA_DIR, name + ".json"))
        if image is not None:
            with open(os.path.join(IMAGE_DIR, name + ".sfdp"), "wb") as out:
                out.write(image)
            print(f"{name}: {len(image)} bytes")
    return 0


def check(corpus):
    problems = []
    records = sorted(glob.glob(os.path.join(DATA_DIR, "*.json")))
    for path in records:
        name = os.path.basename(path)[:-5]
        try:
            image = image_of(name, json.load(open(path, encoding="utf-8")))
        except ValueError as e:
            problems.append(str(e))
            continue
        shipped = os.path.join(IMAGE_DIR, name + ".sfdp")
        if image is not None and (not os.path.exists(shipped) or open(shipped, "rb").read() != image):
            problems.append(f"{name}: configs/parts/sfdp/{name}.sfdp differs from the record")
        if corpus:
            original = os.path.join(corpus, name + ".json")
            if not os.path.exists(original) or open(original, "rb").read() != open(path, "rb").read():
                problems.append(f"{name}: tests/data copy differs from {original}")
    if corpus:
        for path in glob.glob(os.path.join(corpus, "*.json")):
            if not os.path.exists(os.path.join(DATA_DIR, os.path.basename(path))):
                problems.append(f"{os.path.basename(path)}: in {corpus} but not copied")
    for p in problems:
        print(p)
    print(f"{len(records)} records checked{' against ' + corpus if corpus else ''}, "
          f"{len(problems)} problems")
    return 1 if problems or not records else 0


def main():
    args = sys.argv[1:]
    if args and args[0] == "--check":
        return check(args[1] if len(args) > 1 else None)
    return copy(args[0] if args else os.path.join(ROOT, "..", "shared", "sfdp-corpus"))


if __name__ == "__main__":
    sys.exit(main())
