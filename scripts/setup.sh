#!/usr/bin/env bash
# Idempotent setup for a fresh machine: Debian's Jupyter stack (the kernel runs on /usr/bin/python3)
# and the workspace's node modules. Fast when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${JUPYTER_PYTHON:-/usr/bin/python3}"
DEBIAN_PACKAGES="jupyter-server python3-ipykernel python3-jupyter-client python3-matplotlib python3-numpy python3-pandas"

if ! "$PY" -c 'import jupyter_server, ipykernel, jupyter_client, matplotlib, numpy, pandas' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian's Jupyter stack ($DEBIAN_PACKAGES)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $DEBIAN_PACKAGES >/dev/null
  else
    echo "setup: Jupyter is missing for $PY. Install it with:" >&2
    echo "  sudo apt-get install -y $DEBIAN_PACKAGES" >&2
    echo "or point JUPYTER_PYTHON at a Python that has jupyter_server and ipykernel." >&2
    exit 1
  fi
fi

if [ "${CI:-}" = "true" ]; then
  pnpm install --frozen-lockfile --reporter=append-only
else
  pnpm install --reporter=silent
fi
