#!/usr/bin/env bash
# Profiles a JVM (or a service) now and compares it with a baseline profile taken when all was well:
# captures with capture-cpu.sh into ./cprof-incident-<host>-<timestamp>/, then runs
#   cprof diff BASELINE NEW -o diff.html --fail-on 'new:5%'
# which prints the methods whose share changed most and exits 10 when a method absent from the
# baseline now takes 5 % or more. The directory is printed on stdout (the last line).
#
# Usage: compare-to-baseline.sh BASELINE.cprof [SECONDS] PID|SERVICE      (SECONDS defaults to 30)
#   CPROF, CPROF_ZK, CPROF_EVENTS   as for capture-cpu.sh
#   CPROF_FAIL_ON='new:5%'          the regression rule(s), space-separated (see 'cprof diff --help')
#   CPROF_TOP=15                    rows of the table
# Exit code: that of 'cprof diff' (0 no regression, 10 regression, 1 failed); the capture's when it fails; 2 usage.
set -euo pipefail

me="$(basename "$0")"
here="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  echo "usage: $me BASELINE.cprof [SECONDS] PID|SERVICE" >&2
  exit 2
}

case $# in
  2) baseline="$1"; seconds=30; target="$2" ;;
  3) baseline="$1"; seconds="$2"; target="$3" ;;
  *) usage ;;
esac
if [ ! -f "$baseline" ] || [ ! -r "$baseline" ]; then
  echo "$me: cannot read the baseline '$baseline'" >&2
  exit 2
fi
baseline="$(cd "$(dirname "$baseline")" && pwd)/$(basename "$baseline")"

if [ -n "${CPROF:-}" ]; then
  cprof="$CPROF"
elif [ -x "$here/../../cprof" ]; then
  cprof="$here/../../cprof"
elif command -v cprof >/dev/null 2>&1; then
  cprof="$(command -v cprof)"
else
  echo "$me: cannot find cprof: set CPROF=/path/to/cprof or put cprof on PATH" >&2
  exit 1
fi
export CPROF="$cprof"

rc=0
out="$("$here/capture-cpu.sh" "$target" "$seconds")" || rc=$?
dir="${out##*$'\n'}"
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
  exit "$rc"
fi
if [ ! -s "$dir/profile.cprof" ]; then
  echo "$me: the capture wrote no profile (see $dir)" >&2
  exit 1
fi

# split on blanks without glob expansion: rules like 'com.shop.*:+2pp' hold a '*'
read -r -a rule_list <<<"${CPROF_FAIL_ON:-new:5%}"
rules=()
for rule in "${rule_list[@]}"; do
  rules+=(--fail-on "$rule")
done
echo "$me: cprof diff $baseline $dir/profile.cprof" >&2
rc=0
"$cprof" diff "$baseline" "$dir/profile.cprof" -o "$dir/diff.html" --top "${CPROF_TOP:-15}" "${rules[@]}" || rc=$?
echo "$dir"
exit "$rc"
