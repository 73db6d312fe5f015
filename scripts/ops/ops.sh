#!/usr/bin/env bash
# The operator CLI without npm in between, as the workflows run it: exec's node on
# scripts/ops/cli.ts, so the runner's SIGINT and SIGTERM (a cancel or timeout-minutes) reach
# the CLI itself, which forwards one SIGINT to the engine and waits for it to write its state.
# `npm run ops` does not forward them (npm exits, its child runs on unsignalled). Use it as
# `exec bash scripts/ops/ops.sh <command> [args]` so the step's shell is replaced too.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec node --require "$root/node_modules/ts-node/register/transpile-only" "$root/scripts/ops/cli.ts" "$@"
