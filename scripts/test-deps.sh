#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages: PostgreSQL (its
# initdb and pg_ctl; the tests start a throwaway server themselves), Redis and
# Debian's Chromium for the browser tests. Says clearly what is missing when
# it cannot install it.
set -euo pipefail

need=()
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null; then
  need+=(postgresql)
fi
if ! command -v redis-server >/dev/null; then
  need+=(redis-server)  # the failure counters' Redis backend
fi
if ! command -v chromium >/dev/null; then
  need+=(chromium)
fi
if ! fc-list 2>/dev/null | grep -qi "cjk"; then
  need+=(fonts-noto-cjk)  # Chinese pages in screenshots
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing test dependencies from Debian: ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Cannot install ${need[*]}: run as root, or install them first (apt-get install ${need[*]})." >&2
  exit 1
fi
