#!/usr/bin/env bash
# Two ways to run `terraform validate` on the modules (all, or those named as arguments):
#
#   validate.sh [MODULE...]
#     terraform init -backend=false && terraform validate on every example of each module, with the
#     examples' git sources pointed at this checkout. Needs the Terraform registry (providers are
#     downloaded): it is for users' CI.
#
#   validate.sh --mirror [DIR] [MODULE...]
#     each module on its own against a filesystem mirror of providers (DIR, else $TF_PLUGIN_DIR, else
#     /opt/tf-plugins), with the mirror's provider versions put in an override file; see
#     scripts/validate-mirror.mjs for what an older provider there can and cannot check. Modules that
#     need a provider the mirror lacks (kreuzwerker/docker for image) are skipped and say so.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$ROOT"
command -v terraform >/dev/null || {
  echo "validate: terraform is not installed (https://developer.hashicorp.com/terraform/install)" >&2
  exit 1
}
if [ "${1:-}" = "--mirror" ]; then
  shift
  exec node packages/constructs/scripts/validate-mirror.mjs "$@"
fi
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
