#!/usr/bin/env sh
# The entry of the `iamspect-no-new-access` pre-commit hook: each staged policy file that exists
# at the base revision (HEAD by default: what the commit changes) is checked with
# `check-no-new-access`; the commit fails on new access or an answer that is not exact.
# Hook args: [--base REV] [--policy-type TYPE], then the files pre-commit passes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
base=HEAD
policy_type=identity
while [ $# -gt 0 ]; do
  case $1 in
    --base) base=$2; shift 2 ;;
    --policy-type) policy_type=$2; shift 2 ;;
    *) break ;;
  esac
done
status=0
for file in "$@"; do
  if ! git cat-file -e "$base:$file" 2> /dev/null; then
    echo "$file: not in $base (a new policy): nothing to compare it with"
    continue
  fi
  "$here/pre-commit-iamspect.sh" check-no-new-access "$file" --existing-rev "$base" --policy-type "$policy_type" || status=1
done
exit $status
