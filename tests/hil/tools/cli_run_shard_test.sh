#!/usr/bin/env bash
# End-to-end test of `flashrig run --shard auto` (which variables win, what is recorded,
# the exit-2 message), `--rig`, SIGTERM stopping at a checkpoint that --resume continues,
# and `flashrig merge` of shards giving the unsharded verdict.
#   cli_run_shard_test.sh FLASHRIG_BINARY   (run from the repository root)
set -uo pipefail
flashrig="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
campaign=configs/campaigns/power-loss-sim.json
fail() { echo "FAIL: $*" >&2; exit 1; }
clean_env=(env -u FLASHRIG_SHARD -u SLURM_ARRAY_TASK_ID -u SLURM_ARRAY_TASK_COUNT
  -u SLURM_ARRAY_TASK_MIN -u SLURM_ARRAY_TASK_STEP -u SLURM_ARRAY_TASK_MAX
  -u CI_NODE_INDEX -u CI_NODE_TOTAL)
shard_of() {  # report dir -> "index/count" of the run and of its rig
  python3 -c "import json,sys; r=json.load(open(sys.argv[1]+'/report.json')); \
print(r['shard']['index'], r['shard']['count'], r['rigs'][0]['shard']['index'], r['rigs'][0]['shard']['count'])" "$1"
}

# Nothing in the environment: exit 2, naming every variable looked for.
"${clean_env[@]}" "$flashrig" run "$campaign" --shard auto --out "$work/none" 2> "$work/err.txt"
rc=$?
((rc == 2)) || fail "--shard auto without a scheduler exited $rc, not 2"
for v in FLASHRIG_SHARD SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN \
  SLURM_ARRAY_TASK_STEP CI_NODE_INDEX CI_NODE_TOTAL; do
  grep -q "$v" "$work/err.txt" || fail "the error does not name $v: $(cat "$work/err.txt")"
done
[[ ! -e $work/none ]] || fail "a refused run created its output directory"

# A stepped Slurm array (--array=1-7:2, task 5 = shard 3 of 4), in report and progress.
"${clean_env[@]}" SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_COUNT=4 SLURM_ARRAY_TASK_MIN=1 \
  SLURM_ARRAY_TASK_STEP=2 SLURM_ARRAY_TASK_MAX=7 \
  "$flashrig" run "$campaign" --shard auto --out "$work/slurm" --progress-interval 0.1 2> "$work/slurm.err" ||
  fail "Slurm shard run failed: $(cat "$work/slurm.err")"
grep -q "shard 3/4 (from SLURM_ARRAY_TASK_ID=5 (MIN=1, STEP=2, COUNT=4))" "$work/slurm.err" ||
  fail "the shard's source is not printed: $(cat "$work/slurm.err")"
grep -q "\[shard 3/4\]" "$work/slurm.err" || fail "progress lines do not name the shard"
[[ $(shard_of "$work/slurm") == "2 4 2 4" ]] || fail "report.json records shard $(shard_of "$work/slurm")"

# FLASHRIG_SHARD wins over Slurm's variables; GitLab's are read too.
"${clean_env[@]}" FLASHRIG_SHARD=1/4 SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_COUNT=4 \
  SLURM_ARRAY_TASK_MIN=1 "$flashrig" run "$campaign" --shard auto --out "$work/s1" --quiet 2> /dev/null ||
  fail "FLASHRIG_SHARD run failed"
[[ $(shard_of "$work/s1") == "0 4 0 4" ]] || fail "FLASHRIG_SHARD did not win"
for i in 2 4; do
  "${clean_env[@]}" CI_NODE_INDEX=$i CI_NODE_TOTAL=4 "$flashrig" run "$campaign" --shard auto \
    --out "$work/s$i" --quiet 2> /dev/null || fail "GitLab shard $i failed"
done
[[ $(shard_of "$work/s4") == "3 4 3 4" ]] || fail "CI_NODE_INDEX=4 is not shard 4/4"
mv "$work/slurm" "$work/s3"
"$flashrig" merge "$work/s1" "$work/s2" "$work/s3" "$work/s4" --out "$work/merged" > /dev/null ||
  fail "merge of the four shards failed"
"$flashrig" run "$campaign" --out "$work/whole" --quiet || fail "unsharded run failed"
python3 tests/cluster/compare_reports.py "$work/merged" "$work/whole" > /dev/null ||
  fail "the merged shards differ from the unsharded run"

# --rig: an unknown rig is bad input.
"$flashrig" run "$campaign" --rig no-such-rig --out "$work/rig" 2> "$work/rig.err"
rc=$?
((rc == 2)) && grep -q "has no such rig" "$work/rig.err" || fail "--rig no-such-rig: exit $rc"

# SIGTERM (a scheduler's preemption) stops at a checkpoint; --resume finishes the job.
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['power_loss']['operations']=1000; \
json.dump(c, open(sys.argv[2], 'w'))" tests/cluster/power-loss-requeue.json "$work/term.json"
"$flashrig" run "$work/term.json" --out "$work/term" --quiet &
pid=$!
for _ in $(seq 1 200); do [[ -s $work/term/checkpoint.json ]] && break; sleep 0.05; done
kill -TERM "$pid"
wait "$pid"
rc=$?
((rc == 1)) || fail "SIGTERM: exit $rc, not 1 (interrupted)"
grep -q '"status": "interrupted"' "$work/term/report.json" || fail "SIGTERM did not leave an interrupted report"
"$flashrig" run --resume "$work/term" --progress-interval 0.1 2> "$work/resume.err" ||
  fail "--resume after SIGTERM failed"
grep -Eq "resumed: [1-9][0-9]* of [0-9]+ cut points already done" "$work/resume.err" ||
  fail "the resumed run did not continue from the checkpoint"
echo "cli_run_shard_test: passed"
