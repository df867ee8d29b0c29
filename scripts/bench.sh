#!/usr/bin/env bash
# Runs the feed benchmark (go run ./scripts/bench) with wrk available for the
# saturation runs: installs Debian's wrk when it is missing and we may, and
# otherwise lets the benchmark fall back to vegeta. Arguments go to the
# benchmark, e.g. scripts/bench.sh -duration 3s -write=false
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    echo "scripts/bench.sh: wrk is not installed; saturation runs use vegeta (slower client, lower ceilings)" >&2
  fi
fi
exec go run ./scripts/bench "$@"
