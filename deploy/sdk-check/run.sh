#!/usr/bin/env bash
# Runs check.mjs: the official OpenAI Node SDK (pinned in package.json / package-lock.json) against a
# running Switchboard gateway. Installs the SDK into deploy/sdk-check/node_modules first.
#
# Environment (all optional): SWITCHBOARD_URL (http://127.0.0.1:8080/v1),
#   SWITCHBOARD_API_KEY (sk-switchboard-local), SWITCHBOARD_MODEL_ID (default: first listed model),
#   SWITCHBOARD_SDK_SURFACE=0 to skip the checks of n, JSON schema, tools and logprobs (which need an engine that has
#   them: llama-server, openai or simulated; the in-process binding has all but logprobs, which it answers with a 400).
# Example, against deploy/local/run.sh with the simulated engine:
#   SWITCHBOARD_MODEL_ID=simulated deploy/sdk-check/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v node >/dev/null || { echo "sdk-check: node (20 or newer) is required" >&2; exit 1; }
if [ ! -d node_modules/openai ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
exec node check.mjs
