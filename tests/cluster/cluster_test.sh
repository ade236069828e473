#!/usr/bin/env bash
# flashrig on a real Slurm cluster (the private munged + slurmctld + slurmd that
# slurm_cluster.sh started in CLUSTER_DIR): one case per ctest test, each checking Slurm's
# view and the files the tasks wrote.
#   cluster_test.sh CASE FLASHRIG CLUSTER_DIR WORK_DIR
# Cases:
#   shards   submit --shards 3 --wait; merged report == unsharded run; status; node healthy
#   failed   one shard fails a check: --wait exits 1, the merged report names that shard;
#            resubmit --shard I runs it afresh and merges again
#   requeue  a running task is requeued (preemption): it resumes from its checkpoint
#   farm     --per-rig with a node feature per rig: one task and one suite per rig
# Run from the repository root (campaign paths are relative to it).
set -u -o pipefail
CASE=$1 FLASHRIG=$2 CLUSTER=$3 WORK=$4
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fail() { echo "cluster_test $CASE: FAIL: $*" >&2; exit 1; }
note() { echo "cluster_test $CASE: $*"; }

[[ -f $CLUSTER/env ]] || fail "no cluster in $CLUSTER (the cluster_start fixture did not run or failed; see its output)"
# shellcheck source=/dev/null
. "$CLUSTER/env"
scontrol ping 2>/dev/null | grep -q 'is UP' || fail "slurmctld of $CLUSTER does not answer (scontrol ping)"
rm -rf "$WORK"
mkdir -p "$WORK"
t0=$SECONDS

# The node must still be idle or allocated (a drained node means jobs failed to launch,
# which Slurm may still report as COMPLETED).
node_healthy() {
  local state
  state=$(sinfo -h -N -o '%T' | sort -u | tr '\n' ' ')
  case $state in *drain* | *down* | *fail* | *inval*) fail "node is '$state': $(sinfo -h -N -o '%E')" ;; esac
}

# Every task of submission $1 recorded an exit (the files, not just Slurm's word).
tasks_recorded() {
  local dir=$1 n=$2 i
  for ((i = 1; i <= n; i++)); do
    grep -q '"state": "exited"' "$dir/status/shard-$i.json" 2>/dev/null ||
      fail "task $i left no exit record in $dir/status (log: $(tail -n 5 "$dir/logs/shard-$i.out" 2>/dev/null))"
  done
}

case_shards() {
  local campaign=configs/campaigns/power-loss-sim.json rc
  "$FLASHRIG" slurm submit "$campaign" --shards 3 --out "$WORK/sub" --wait --poll 0.5
  rc=$?
  ((rc == 0)) || fail "submit --wait exited $rc (expected 0)"
  tasks_recorded "$WORK/sub" 3
  for f in report.json junit.xml report.html; do
    [[ -s $WORK/sub/$f ]] || fail "merged $f missing"
  done
  "$FLASHRIG" run "$campaign" --out "$WORK/whole" --quiet || fail "unsharded run failed"
  python3 "$HERE/compare_reports.py" "$WORK/sub" "$WORK/whole" || fail "merged != unsharded"
  "$FLASHRIG" slurm status "$WORK/sub" || fail "status says not all done and passed"
  # Each task really ran its own shard (in its log, from FLASHRIG_SHARD).
  for i in 1 2 3; do
    grep -q "shard $i/3 (from FLASHRIG_SHARD=$i/3)" "$WORK/sub/logs/shard-$i.out" ||
      fail "task $i did not run shard $i/3"
  done
  node_healthy
}

case_failed() {
  local campaign=$HERE/qualify-one-part-fails.json rc failing
  "$FLASHRIG" slurm submit "$campaign" --shards 2 --out "$WORK/sub" --wait --poll 0.5
  rc=$?
  ((rc == 1)) || fail "submit --wait exited $rc (expected 1: a check fails)"
  tasks_recorded "$WORK/sub" 2
  # The merged report names the failing shard: the one that qualified the MX25L25645G.
  failing=$(python3 - "$WORK/sub" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1] + "/report.json"))
bad = [s for s in r["shards"] if s["status"] != "passed"]
assert len(bad) == 1, r["shards"]
assert "mx25l25645g" in bad[0]["message"] and "checks failed" in bad[0]["message"], bad
print(bad[0]["shard"]["index"] + 1)
EOF
  ) || fail "the merged report does not name exactly one failing shard"
  note "shard $failing failed, as it should"
  "$FLASHRIG" slurm status "$WORK/sub" > "$WORK/status.txt"
  rc=$?
  ((rc == 1)) || fail "status exited $rc with a failed shard (expected 1)"
  grep -Eq "^shard $failing/2 +failed" "$WORK/status.txt" || fail "status does not show shard $failing failed: $(cat "$WORK/status.txt")"
  "$FLASHRIG" run "$campaign" --out "$WORK/whole" --quiet
  python3 "$HERE/compare_reports.py" "$WORK/sub" "$WORK/whole" || fail "merged != unsharded"
  # A finished shard resubmitted runs afresh (the old run kept aside) and is merged again.
  "$FLASHRIG" slurm resubmit "$WORK/sub" --shard "$failing" --wait --poll 0.5
  rc=$?
  ((rc == 1)) || fail "resubmit --wait exited $rc (expected 1 again)"
  [[ -d $WORK/sub/shard-$failing.attempt-1 ]] || fail "the first run of shard $failing was not kept"
  grep -q "attempt 1, on" "$WORK/sub/logs/shard-$failing.out" || fail "no task log"
  python3 "$HERE/compare_reports.py" "$WORK/sub" "$WORK/whole" || fail "merged != unsharded after resubmit"
  node_healthy
}

# Finds the flashrig process of array task $2 of job $1 (this host is the node; matched
# by this cluster's SLURM_CONF too, as other tests run flashrig with array variables of
# their own), and holds it stopped (SIGSTOP) as soon as checkpoint $3 records a cut point:
# it runs in 10 ms slices until then, so the requeue lands mid-run however fast the
# machine is. Prints the pid; exits 1 if the task ended or never showed up.
hold_after_checkpoint() {
  python3 - "$1" "$2" "$SLURM_CONF" "$3" <<'EOF'
import json, os, signal, sys, time
want = {f"SLURM_ARRAY_JOB_ID={sys.argv[1]}", f"SLURM_ARRAY_TASK_ID={sys.argv[2]}",
        f"SLURM_CONF={sys.argv[3]}"}
def find():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if open(f"/proc/{pid}/comm").read().strip() != "flashrig":
                continue
            env = open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace")
            if want <= set(env.split("\0")):
                return int(pid)
        except OSError:
            pass
def recorded():
    try:
        return len(json.load(open(sys.argv[4]))["rigs"]["ram64k"]["outcomes"])
    except (OSError, ValueError, KeyError):
        return 0
deadline = time.time() + 120
pid = None
while pid is None and time.time() < deadline:
    pid = find()
    time.sleep(0.005)
if pid is None:
    sys.exit(1)
try:
    os.kill(pid, signal.SIGSTOP)
    while recorded() == 0 and time.time() < deadline:
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.01)
        os.kill(pid, signal.SIGSTOP)
except ProcessLookupError:
    sys.exit(1)
print(pid if recorded() > 0 else "")
EOF
}

case_requeue() {
  # Sanitizer builds pass fewer ops (FLASHRIG_CLUSTER_REQUEUE_OPS): same test, less work.
  local ops=${FLASHRIG_CLUSTER_REQUEUE_OPS:-2000} campaign=$WORK/power-loss-requeue.json
  local pid rc job array i done_before=0 task=""
  python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['power_loss']['operations']=int(sys.argv[3]); \
json.dump(c, open(sys.argv[2], 'w'))" "$HERE/power-loss-requeue.json" "$campaign" "$ops"
  "$FLASHRIG" slurm submit "$campaign" --shards 2 --out "$WORK/sub" --wait --poll 0.5 > "$WORK/submit.out" 2>&1 &
  pid=$!
  # Hold shard 1's flashrig once it has checkpointed a cut point, then requeue it as a
  # preemption would.
  for ((i = 0; i < 600; i++)); do
    job=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['task_jobs'][0][-1])" \
      "$WORK/sub/slurm.json" 2>/dev/null) && break
    sleep 0.1
  done
  array=${job%_*}
  task=$(hold_after_checkpoint "$array" 1 "$WORK/sub/shard-1/checkpoint.json")
  [[ -n $task ]] || { kill "$pid"; fail "could not hold shard 1 after a checkpoint (it ended or never ran)"; }
  done_before=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['rigs']['ram64k']['outcomes']))" \
    "$WORK/sub/shard-1/checkpoint.json")
  scontrol requeue "$job" || { kill -CONT "$task"; kill "$pid"; fail "scontrol requeue $job failed"; }
  kill -CONT "$task"  # It takes Slurm's SIGTERM now and stops at a checkpoint.
  note "requeued $job (flashrig pid $task) with $done_before or more cut points checkpointed"
  wait "$pid"
  rc=$?
  cat "$WORK/submit.out"
  ((rc == 0)) || fail "submit --wait exited $rc (expected 0)"
  tasks_recorded "$WORK/sub" 2
  local log=$WORK/sub/logs/shard-1.out
  grep -q "attempt 1, on" "$log" && grep -q "attempt 2, on" "$log" || fail "shard 1 did not run twice: $(cat "$log")"
  grep -q "resuming $WORK/sub/shard-1 from its checkpoint" "$log" || fail "attempt 2 did not resume"
  grep -Eq "resumed: [1-9][0-9]* of [0-9]+ cut points already done" "$log" || fail "attempt 2 started from zero"
  [[ $(scontrol show job -o "$job" | grep -o 'Restarts=[0-9]*') == Restarts=1 ]] || fail "Slurm does not count the requeue"
  grep -q '"attempt": 2' "$WORK/sub/status/shard-1.json" || fail "the exit record is not attempt 2's"
  "$FLASHRIG" run "$campaign" --out "$WORK/whole" --quiet || fail "unsharded run failed"
  python3 "$HERE/compare_reports.py" "$WORK/sub" "$WORK/whole" || fail "merged != unsharded after a requeue"
  node_healthy
}

case_farm() {
  local campaign=$HERE/rig-farm-throughput.json rc r
  "$FLASHRIG" slurm submit "$campaign" --per-rig --rig-constraint 'rig-{rig}' --out "$WORK/sub" --wait --poll 0.5
  rc=$?
  ((rc == 0)) || fail "submit --per-rig --wait exited $rc (expected 0)"
  tasks_recorded "$WORK/sub" 2
  # Each rig's task asked for its rig's node feature and ran only that rig.
  for r in a b; do
    local i=$([[ $r == a ]] && echo 1 || echo 2)
    local job
    job=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['task_jobs'][$i-1][-1])" "$WORK/sub/slurm.json")
    scontrol show job -o "$job" | grep -q "Features=rig-rig-$r" || fail "task $i ($job) did not request feature rig-rig-$r"
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert [x['rig'] for x in r['rigs']]==[sys.argv[2]], r['rigs']" \
      "$WORK/sub/shard-$i/report.json" "rig-$r" || fail "task $i ran other rigs"
  done
  [[ $(grep -c '<testsuite ' "$WORK/sub/junit.xml") == 2 ]] || fail "junit.xml does not have one suite per rig"
  "$FLASHRIG" run "$campaign" --out "$WORK/whole" --quiet || fail "unsharded run failed"
  python3 "$HERE/compare_reports.py" "$WORK/sub" "$WORK/whole" || fail "merged != one run of both rigs"
  node_healthy
}

case $CASE in
  shards | failed | requeue | farm) "case_$CASE" ;;
  *) fail "unknown case" ;;
esac
note "passed in $((SECONDS - t0)) s"
