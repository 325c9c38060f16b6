#!/usr/bin/env bash
# Fails when the committed generated code differs from what `buf generate` makes from proto/.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm exec buf lint
pnpm exec buf generate
if ! git diff --quiet --exit-code -- packages/rpc/src/gen || [ -n "$(git ls-files --others --exclude-standard packages/rpc/src/gen)" ]; then
  echo "generated code under packages/rpc/src/gen is stale: run 'pnpm generate' and commit the result" >&2
  git status --short -- packages/rpc/src/gen >&2
  exit 1
fi
echo "generated code is up to date"
