#!/usr/bin/env bash
# terraform init -backend=false && terraform validate on every example of every module (or of the
# modules named as arguments), with the examples' git sources pointed at this checkout.
# Needs the Terraform registry (providers are downloaded); it is for users' CI, not for `pnpm test`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$ROOT"
command -v terraform >/dev/null || { echo "validate: terraform is not installed" >&2; exit 1; }
modules=("$@")
[ ${#modules[@]} -eq 0 ] && modules=($(ls modules))
status=0
for m in "${modules[@]}"; do
  for ex in modules/"$m"/examples/*/; do
    [ -d "$ex" ] || continue
    work="$(mktemp -d "$ROOT/modules/.validate.XXXXXX")"
    cp -r "$ex". "$work/"
    # git::https://github.com/OWNER/jupyter-mcp-lambda.git//modules/NAME?ref=vX -> ../NAME (a local copy)
    sed -i -E 's#"git::https://github.com/[^/]+/jupyter-mcp-lambda.git//modules/([a-z-]+)\?ref=[^"]+"#"../\1"#' "$work"/*.tf
    echo "== $ex"
    if ! (cd "$work" && terraform init -backend=false -input=false -no-color >/dev/null && terraform validate -no-color); then
      status=1
    fi
    rm -rf "$work"
  done
done
exit $status
