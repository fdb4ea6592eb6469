#!/bin/sh
# Installs interop/node/node_modules from the committed package-lock.json (run by Maven in
# pre-integration-test). Without npm the interop tests cannot run: under CI=true that is a build
# failure; elsewhere the tests skip and say why.
set -eu
cd "$(dirname "$0")"
if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
  echo "[interop] node $(node --version), npm $(npm --version): npm ci"
  exec npm ci --no-audit --no-fund
fi
if [ "${CI:-}" = "true" ]; then
  echo "[interop] node and npm are required when CI=true, but were not found on PATH" >&2
  exit 1
fi
echo "[interop] node/npm not found on PATH: skipping npm ci; the interop tests will be skipped"
