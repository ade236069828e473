#!/usr/bin/env bash
# g++ 12 RelWithDebInfo: scripts/test.sh, the README's test command (every label but hw).
# budget: 1200
set -euo pipefail
bash scripts/test.sh -DFLASHRIG_WERROR=ON
