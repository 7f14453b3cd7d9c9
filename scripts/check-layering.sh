#!/usr/bin/env bash
# Proves the layering of ARCHITECTURE.md: each crate must not depend (normally, directly or
# through others) on the packages listed after it. `tracking-api --no-default-features` is the
# recording pipeline alone, without its HTTP contract: it must pull in no actix crate.
set -euo pipefail
cd "$(dirname "$0")/.."

forbid() {
  local crate=$1 banned out
  local -a package
  read -r -a package <<<"$crate"
  shift
  for banned in "$@"; do
    if out=$(cargo tree --locked -p "${package[@]}" -e normal -i "$banned" 2>&1); then
      # "nothing to print": the package is in the lock file (as some crate's optional dependency)
      # but not in this crate's resolved tree.
      if [ -n "$out" ] && ! grep -q "nothing to print" <<<"$out"; then
        printf 'layering broken: %s depends on %s\n%s\n' "$crate" "$banned" "$out" >&2
        exit 1
      fi
    elif ! grep -q "did not match any packages" <<<"$out"; then
      printf 'cargo tree failed:\n%s\n' "$out" >&2
      exit 1
    fi
  done
}

forbid private-fs tracking-model tracking-store tracking-audit tracking-api log4rs tokio
forbid tracking-model actix-web actix-web-lab tokio log log4rs tracking-store tracking-audit tracking-api utoipa-actix-web scalar_api_reference
forbid tracking-store actix-web actix-web-lab log4rs tracking-audit tracking-api
forbid tracking-audit actix-web actix-web-lab tracking-store tracking-api
forbid "tracking-api --no-default-features" actix-web actix-web-lab actix-http actix-rt actix-server awc scalar_api_reference
echo "layering ok"
