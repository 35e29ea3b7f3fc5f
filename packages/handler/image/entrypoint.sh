#!/bin/sh
# Entrypoint of the jupyter-mcp image.
#
#   (no argument) | lambda | <file>.<export>   Lambda mode: the AWS Lambda Runtime Interface Client
#                                              (aws-lambda-ric 4) runs <file>.<export> from
#                                              $LAMBDA_TASK_ROOT (default lambda.handler, or $_HANDLER
#                                              for `lambda`). Needs AWS_LAMBDA_RUNTIME_API (set by Lambda).
#   server [args...]                           HTTP server mode (Fargate, a laptop): POST /mcp, GET /health
#                                              on $HOST:$PORT (default 0.0.0.0:8080). Needs MCP_AUTH_TOKEN
#                                              or MCP_AUTH_TOKENS (or MCP_ALLOW_INSECURE=1) to bind a
#                                              non-loopback address.
#   sh | bash | node | python3 [args...]       Debugging: run that program.
#
# Nothing is written outside /tmp: Lambda's file system is read-only except /tmp.
set -eu

TASK_ROOT="${LAMBDA_TASK_ROOT:-/var/task}"
RUNTIME_DIR="${LAMBDA_RUNTIME_DIR:-/var/runtime}"
STATE_ROOT="${JUPYTER_STATE_ROOT:-/tmp/jupyter-mcp}"
export JUPYTER_STATE_ROOT="$STATE_ROOT"

prepare_tmp() {
  umask 077
  mkdir -p "$STATE_ROOT"
  # Matplotlib's font cache was built at image build time; copying it (about 100 kB) saves the
  # kernel seconds on its first plot. Best effort: a missing cache only costs time.
  if [ -n "${MPLCONFIGDIR:-}" ] && [ ! -d "$MPLCONFIGDIR" ]; then
    mkdir -p "$MPLCONFIGDIR" && cp -R /opt/jupyter-mcp/mplcache/. "$MPLCONFIGDIR"/ 2>/dev/null || true
  fi
}

# Credentials never appear in Node's exec environment (readable by user code through /proc): they go
# through fd 3 to sealed-env.mjs, which puts them back into process.env. One name=value per line.
# MCP_AUTH_TOKENS holds every named caller's token ("alice=tok1,bob=tok2").
# The first argument is what sealed-env.mjs does when another process (an init in front of this
# entrypoint, e.g. ECS initProcessEnabled) still holds them: refuse (server) or warn (Lambda).
SEALED_NAMES='^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_CONTAINER_[A-Z_]+|MCP_AUTH_TOKENS?|MCP_CHECKPOINT_KEY|JUPYTER_TOKEN)='
exec_node_sealed() {
  on_leak="$1"
  shift
  sealed="$(env | grep -E "$SEALED_NAMES" || true)"
  for name in $(printf '%s\n' "$sealed" | sed -n 's/=.*//p'); do unset "$name"; done
  # tini (signal forwarding, zombie reaping) starts here, after the unset, so its environ is clean
  # too. That is why the platform must not add an init of its own: it would be exec'd before this
  # script, with every variable.
  exec /usr/bin/tini -- node /usr/local/bin/jupyter-mcp-sealed-env.mjs --on-leak="$on_leak" "$@" 3<<EOF
$sealed
EOF
}

mode="${1:-lambda.handler}"
case "$mode" in
  server)
    shift
    prepare_tmp
    export HOST="${HOST:-0.0.0.0}"
    export PORT="${PORT:-8080}"
    exec_node_sealed refuse "$TASK_ROOT/server.mjs" "$@"
    ;;
  sh | bash | node | python3)
    exec /usr/bin/tini -- "$@"
    ;;
  lambda)
    handler="${_HANDLER:-lambda.handler}"
    ;;
  *)
    handler="$mode"
    ;;
esac

if [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ]; then
  echo "jupyter-mcp: AWS_LAMBDA_RUNTIME_API is not set, so this is not a Lambda sandbox." >&2
  echo "  For HTTP (Fargate, a laptop) run the image with the command: server" >&2
  echo "  For Lambda locally, run it under a Runtime API emulator (see packages/handler/image/README.md)." >&2
  exit 64
fi

prepare_tmp
cd "$TASK_ROOT"
# aws-lambda-ric 4 reads the handler from $_HANDLER only (3.x took it from argv).
export _HANDLER="$handler"
exec_node_sealed warn "$RUNTIME_DIR/node_modules/aws-lambda-ric/index.mjs"
