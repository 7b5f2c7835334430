#!/usr/bin/env bash
# The long versions of the tests, in one command (CI runs the short ones):
#
#   scripts/soak.sh                      # every module's tests under -Psoak (hours, not minutes)
#   scripts/soak.sh FleetZkFaultTest FleetPeerFaultTest#aPeerRestartedMidSessionHasItsInstanceAttachedAgain
#                                        # only these tests (surefire's -Dtest syntax, any module)
#
# -Psoak sets the system property cprof.soak=true for surefire; a test with a long version reads
# it with Boolean.getBoolean("cprof.soak") and runs more cycles, longer sessions or more inputs.
# Every fault and security test prints one line per scenario starting with "RELIABILITY:"
# (faults injected, instances, samples kept, exit code, time to recover or stop, losses); this
# script gathers them from the surefire reports into target/soak/reliability-<UTC timestamp>.txt
# and prints them. Extra mvn arguments go after "--": scripts/soak.sh FleetZkFaultTest -- -X
set -euo pipefail

repo="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
say() { echo "soak.sh: $*" >&2; }

tests=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  tests+=("$1")
  shift
done
[ "${1:-}" = "--" ] && shift

args=(-B -Psoak)
if [ ${#tests[@]} -gt 0 ]; then
  joined=$(IFS=,; echo "${tests[*]}")
  args+=("-Dtest=$joined" -Dsurefire.failIfNoSpecifiedTests=false -DskipITs)
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$repo/target/soak/reliability-$stamp.txt"
mkdir -p "$(dirname "$out")"
marker="$repo/target/soak/.started-$stamp"
touch "$marker"

say "mvn ${args[*]} verify $*"
status=0
mvn "${args[@]}" verify "$@" || status=$?

# only the reports this run wrote (newer than the marker)
find "$repo" -path '*/target/surefire-reports/*-output.txt' -newer "$marker" -print0 2>/dev/null \
  | xargs -0 -r grep -h '^RELIABILITY:' > "$out" || true
rm -f "$marker"
cat "$out"
say "$(wc -l < "$out") RELIABILITY lines in $out; mvn exit $status"
exit "$status"
