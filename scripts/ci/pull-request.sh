#!/usr/bin/env bash
# iamspect on a pull request: lints the policy files it adds or changes (GitHub annotations, and
# SARIF for code scanning) and checks each changed policy against the base revision with
# `check-no-new-access`. Used by the repository's action (action.yml); runs locally the same way:
#
#   BASE=origin/main PATHS="policies" scripts/ci/pull-request.sh
#
# Environment:
#   BASE           the base revision (required), e.g. origin/main or a commit
#   PATHS          folders or files to look at, space-separated (default: the whole repository)
#   POLICY_TYPE    the policies' type for check-no-new-access (default: identity)
#   SARIF          where to write the lint SARIF (default: none)
#   ALLOW_UNKNOWN  1 to let an UNKNOWN answer pass (default: an unknown answer fails, since it
#                  proves nothing)
#   IAMSPECT       the binary (default: iamspect on PATH)
#
# Exit: 0 nothing to report, 1 a lint failure or new access, 2 bad input.
set -uo pipefail

iamspect=${IAMSPECT:-iamspect}
base=${BASE:?"BASE: the base revision to compare with (e.g. origin/main)"}
policy_type=${POLICY_TYPE:-identity}
read -r -a paths <<< "${PATHS:-.}"

if ! git rev-parse --verify --quiet "$base^{commit}" > /dev/null; then
  echo "error: BASE \`$base\` is not a revision of this repository (fetch it: actions/checkout with fetch-depth: 0)" >&2
  exit 2
fi

# The JSON files the pull request adds or modifies under PATHS.
mapfile -t changed < <(git diff --name-only --diff-filter=AM "$base"...HEAD -- "${paths[@]}" | grep -E '\.json$' || true)
if [ "${#changed[@]}" -eq 0 ]; then
  echo "iamspect: no policy file under ${paths[*]} changed since $base; nothing was checked"
  exit 0
fi
echo "iamspect: ${#changed[@]} changed policy file(s) since $base: ${changed[*]}"

status=0

# Lint: annotations on the pull request, and SARIF when asked.
if ! "$iamspect" lint --format github "${changed[@]}"; then
  status=1
fi
if [ -n "${SARIF:-}" ]; then
  "$iamspect" lint --format sarif "${changed[@]}" > "$SARIF" || true
fi

# No new access, for each file that existed at the base.
for file in "${changed[@]}"; do
  if ! git cat-file -e "$base:$file" 2> /dev/null; then
    echo "::notice file=$file::new policy file: it grants everything it allows; review it (lint ran on it)"
    continue
  fi
  out=$("$iamspect" check-no-new-access "$file" --existing-rev "$base" --policy-type "$policy_type" --format json)
  code=$?
  case $code in
    0) echo "iamspect: $file: PASS (no new access since $base)" ;;
    1)
      echo "::error file=$file::check-no-new-access: FAIL: the policy allows requests it did not allow at $base"
      printf '%s\n' "$out"
      status=1
      ;;
    3)
      echo "::warning file=$file::check-no-new-access: UNKNOWN: could not be decided exactly (see the log)"
      printf '%s\n' "$out"
      if [ "${ALLOW_UNKNOWN:-0}" != 1 ]; then status=1; fi
      ;;
    *)
      echo "::error file=$file::check-no-new-access could not check this file (exit $code)"
      printf '%s\n' "$out"
      status=1
      ;;
  esac
done
exit $status
