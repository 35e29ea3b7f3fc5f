#!/usr/bin/env bash
# Idempotent setup for a fresh Debian/Ubuntu machine: Node >= 22, Debian's Jupyter stack (the
# kernel runs on /usr/bin/python3), the image tools (podman, bubblewrap, debootstrap) when asked,
# and the workspace's node modules. Fast when everything is already there.
#   scripts/setup.sh          Jupyter + node modules (enough for `pnpm start`)
#   scripts/setup.sh --image  also the tools `pnpm image:build` / `image:test` need
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${JUPYTER_PYTHON:-/usr/bin/python3}"
JUPYTER_PACKAGES="jupyter-server python3-ipykernel python3-jupyter-client python3-matplotlib python3-numpy python3-pandas python3-pip python3-dill"
IMAGE_PACKAGES="podman bubblewrap debootstrap"

apt_install() {
  local recommends="$1"
  shift
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: $*" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q $recommends "$@" >/dev/null
  else
    echo "setup: missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get install -y $*" >&2
    exit 1
  fi
}

# Node >= 22 (package.json engines). When the machine's is older (Debian 12 and 13 ship 20), the
# Node 24 pinned in scripts/ensure-node.sh is fetched once with `npm pack` (checked against its
# sha512) into ~/.cache/jupyter-mcp and linked as node_modules/.bin/node below: pnpm puts that
# directory first on PATH for every script, so the rest of `pnpm start` / `pnpm test` (turbo, tsc,
# jest, the server) runs on it although pnpm itself was started by the older node.
# shellcheck source=ensure-node.sh
. scripts/ensure-node.sh
if ! ensure_node; then
  echo "setup: this workspace needs Node.js >= $NODE_MIN_MAJOR; $(node --version 2>/dev/null || echo 'no node') is on PATH" >&2
  echo "  and Node $NODE_PIN_VERSION could not be fetched from the npm registry (see above)." >&2
  echo "  Install Node.js 22 or 24 (e.g. from your distribution or nodejs.org), or fix npm's access" >&2
  echo "  to the registry and run: bash scripts/ensure-node.sh" >&2
  exit 1
fi

if ! "$PY" -c 'import jupyter_server, ipykernel, jupyter_client, matplotlib, numpy, pandas, pip, dill' 2>/dev/null; then
  # shellcheck disable=SC2086
  apt_install --no-install-recommends $JUPYTER_PACKAGES
fi

if [ "${1:-}" = "--image" ]; then
  missing=""
  for tool in podman bwrap debootstrap; do command -v "$tool" >/dev/null || missing=1; done
  # podman's recommends (fuse-overlayfs, uidmap, slirp4netns, ...) are what `podman build` relies on.
  # shellcheck disable=SC2086
  if [ -n "$missing" ]; then apt_install "" $IMAGE_PACKAGES; fi
fi

if [ "${CI:-}" = "true" ]; then
  pnpm install --frozen-lockfile --reporter=append-only
else
  pnpm install --reporter=silent
fi

if [ -n "${JUPYTER_MCP_NODE_BIN:-}" ]; then
  # After the install, which would not keep a file it did not make.
  ln -sfn "$JUPYTER_MCP_NODE_BIN/node" node_modules/.bin/node
  echo "setup: the node on PATH is older than $NODE_MIN_MAJOR: pnpm scripts here now run on Node $NODE_PIN_VERSION" >&2
  echo "  (node_modules/.bin/node -> $JUPYTER_MCP_NODE_BIN/node). For your own shell:" >&2
  echo "  export PATH=\"$JUPYTER_MCP_NODE_BIN:\$PATH\"" >&2
fi
