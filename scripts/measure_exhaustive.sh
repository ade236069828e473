#!/usr/bin/env bash
# Times configs/campaigns/power-loss-exhaustive.json (or CAMPAIGN) unsharded and as N
# Slurm shards on a private single-node cluster (tests/cluster/slurm_cluster.sh; root),
# RUNS times each, alternating, and checks every merged report against the unsharded one.
#   scripts/measure_exhaustive.sh [BUILD_DIR] [N] [RUNS] [CAMPAIGN]
# Prints wall seconds (and CPU seconds of the unsharded run); the figures in docs/HARNESS.md
# come from it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build} shards=${2:-2} runs=${3:-3}
campaign=${4:-configs/campaigns/power-loss-exhaustive.json}
flashrig=$repo/$build/hil/flashrig
work=$repo/$build/measure-exhaustive
cluster=$work/cluster
cd "$repo"
bash tests/cluster/slurm_cluster.sh stop "$cluster" > /dev/null 2>&1 || true
trap 'bash tests/cluster/slurm_cluster.sh stop "$cluster" > /dev/null 2>&1' EXIT
bash tests/cluster/slurm_cluster.sh start "$cluster" 2> /dev/null
# shellcheck source=/dev/null
. "$cluster/env"
sleep 3  # slurmctld starts no job in its first ~3 s.
now() { date +%s.%N; }
for ((r = 1; r <= runs; r++)); do
  t0=$(now)
  /usr/bin/time -f "%U %S" -o "$work/cpu.txt" "$flashrig" run "$campaign" --out "$work/whole" --quiet > /dev/null
  t1=$(now)
  "$flashrig" slurm submit "$campaign" --shards "$shards" --out "$work/sharded" --wait --poll 0.2 > "$work/submit.log"
  t2=$(now)
  python3 tests/cluster/compare_reports.py "$work/sharded" "$work/whole" > /dev/null
  python3 - "$work" "$shards" "$r" "$t0" "$t1" "$t2" <<'PY'
import json, sys
work, shards, run = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t0, t1, t2 = map(float, sys.argv[4:7])
user, system = map(float, open(f"{work}/cpu.txt").read().split()[:2])
ran = " ".join("%.2f" % json.load(open(f"{work}/sharded/shard-{i}/report.json"))["rigs"][0]["duration_s"]
               for i in range(1, shards + 1))
load = " ".join(open("/proc/loadavg").read().split()[:3])
print(f"run {run}: unsharded {t1 - t0:.2f} s wall ({user + system:.2f} s CPU), {shards} shards on "
      f"Slurm {t2 - t1:.2f} s wall (submit to merged verdict; the shards ran {ran} s), "
      f"speedup {(t1 - t0) / (t2 - t1):.2f}, load average {load}")
PY
done
