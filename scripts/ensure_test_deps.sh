#!/usr/bin/env bash
# System packages the test suite needs beyond the venv: Debian's Chromium for browser tests and a
# PostgreSQL server for the storage tests. Installed only when missing and when we may (root + apt).
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: ${need[*]} not installed and cannot install here; those tests will be skipped" >&2
  exit 0
fi
echo "installing ${need[*]} from Debian's packages (once)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
  || echo "note: could not install ${need[*]}; those tests will be skipped" >&2
exit 0
