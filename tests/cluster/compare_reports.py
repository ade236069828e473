#!/usr/bin/env python3
"""compare_reports.py MERGED_DIR WHOLE_DIR: exit 0 if DIR/report.json of a merged
(sharded) run equals the unsharded one in every check and figure.

Only timing and host fields may differ: start/finish times, durations, the tool version,
merged_from and the shard summary, and the run directories inside paths (failing-image
paths and replay commands name the shard directory that ran the cut)."""
import json
import re
import sys


def comparable(report_dir):
    with open(f"{report_dir}/report.json", encoding="utf-8") as f:
        report = json.load(f)
    for key in ("started_utc", "finished_utc", "tool_version", "merged_from", "shards"):
        report.pop(key, None)
    for rig in report.get("rigs", []):
        rig.pop("duration_s", None)
    # The run directory and its shard-N subdirectories become <run>.
    text = json.dumps(report, sort_keys=True)
    text = re.sub(re.escape(report_dir.rstrip("/")) + r"(/shard-\d+)?", "<run>", text)
    return json.loads(text)


def first_difference(a, b, path=""):
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}/{k}: only in {'merged' if k in a else 'whole'}"
            d = first_difference(a[k], b[k], f"{path}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} entries != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}/{i}")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    merged, whole = comparable(sys.argv[1]), comparable(sys.argv[2])
    diff = first_difference(merged, whole)
    if diff:
        print(f"compare_reports: merged report differs from the unsharded one at {diff}")
        return 1
    checks = sum(len(r["checks"]) for r in merged["rigs"])
    print(f"compare_reports: equal ({len(merged['rigs'])} rigs, {checks} checks, "
          f"status {merged['status']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
