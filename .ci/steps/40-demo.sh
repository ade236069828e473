#!/usr/bin/env bash
# scripts/demo.sh, the README's main job on the simulated chip.
# budget: 300
set -euo pipefail
bash scripts/demo.sh
