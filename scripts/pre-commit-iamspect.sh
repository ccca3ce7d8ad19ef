#!/usr/bin/env sh
# The entry of the pre-commit hooks in .pre-commit-hooks.yaml: builds iamspect from the checkout
# pre-commit made of this repository (once per revision; the binary stays in its target folder)
# and runs it with the hook's arguments and the staged files. Needs cargo (rustup.rs).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/target/release/iamspect"
if [ ! -x "$bin" ]; then
  echo "iamspect: building the binary once for this revision (cargo build --release)..." >&2
  cargo build --locked --release --quiet --manifest-path "$root/Cargo.toml" -p iamspect >&2
fi
exec "$bin" "$@"
