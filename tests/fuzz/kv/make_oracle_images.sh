#!/usr/bin/env bash
# Makes KV images with the real TicKV crate (../shared/oracles/tickv, built by the caller)
# for kv_fuzz's seed corpus: a few Tock-style workloads (appends, invalidates, GC, a store
# filled until NOMEM) on the geometries kv_fuzz uses. Files: OUT_DIR/<S>x<N>-<name>.bin.
#   make_oracle_images.sh TICKV_ORACLE_BINARY OUT_DIR
set -euo pipefail
oracle="$1"
out="$2"
mkdir -p "$out"

hex() { head -c "$1" /dev/zero | tr '\0' "$2" | od -An -v -tx1 | tr -d ' \n'; }

script_basic() {
  local letters=ABCDEFGHIJKLM
  for i in $(seq 1 12); do echo "append key$i $(hex $((i * 7)) "${letters:i:1}")"; done
  for i in 2 5 9; do echo "invalidate key$i"; done
  echo "get key3"
  echo "gc"
  echo "append key5 $(hex 33 'A')"
}
script_full() {
  for i in $(seq 1 80); do echo "append fill$i $(hex 90 'Z')"; done
  for i in $(seq 1 80 | awk 'NR % 3 == 0'); do echo "invalidate fill$i"; done
  echo "gc"
  for i in $(seq 81 90); do echo "append fill$i $(hex 60 'Y')"; done
}
script_churn() {
  for round in 1 2 3 4; do
    for i in $(seq 1 10); do echo "append churn$i $(hex $((round * 20)) 'C')"; done
    for i in $(seq 1 10); do echo "invalidate churn$i"; done
    echo "gc"
  done
  echo "append survivor $(hex 100 'S')"
}

for geometry in 512x8 256x16 1024x4; do
  size="${geometry%x*}"
  count="${geometry#*x}"
  for name in basic full churn; do
    image="$out/$geometry-$name.bin"
    rm -f "$image"
    "script_$name" | "$oracle" --image "$image" --region-size "$size" --regions "$count" - \
      >"$out/$geometry-$name.log"
  done
done
ls "$out"/*.bin | wc -l | xargs echo "make_oracle_images: images:"
