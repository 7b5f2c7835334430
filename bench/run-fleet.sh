#!/usr/bin/env bash
# Fleet benchmarks of issue 5 (FleetBench): builds everything bench needs, then runs
#   1. wire    SECONDS: peer->CLI bytes for one demo checkout JVM at 100 Hz cpu, against
#                       async-profiler's JFR (cpu, interval=10ms) of the same workload and time;
#   2. startup N:       N small JVMs, one peer: launch of 'cprof attach --service' -> all sampling;
#   3. joiner  K:       K JVMs joining a running session: launch/znode -> sampling;
#   4. merge   I P S:   the real CLI (a process) against P fake peers streaming I instances at
#                       100 Hz for S seconds (after a 20 s warm-up): its CPU and RSS.
# Needs root or the same uid as the JVMs, jattach, and the native agent built (mvn install).
# Override with env vars: WIRE_S (30), STARTUP_N (20), JOINERS (5), MERGE_ARGS ("1000 10 60"),
# ONLY (one of wire|startup|joiner|merge), SKIP_BUILD=1 to reuse bench/target.
# Never run two benchmarks at once on the same machine: the numbers would be meaningless.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
WIRE_S="${WIRE_S:-30}"
STARTUP_N="${STARTUP_N:-20}"
JOINERS="${JOINERS:-5}"
MERGE_ARGS="${MERGE_ARGS:-1000 10 60}"

cd "$root"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "== build (all modules, bench)"
    mvn -B -o -q install -DskipTests || mvn -B -q install -DskipTests
fi

cp="$here/target/classes:$here/target/lib/*"
run() {
    echo "== FleetBench $*  ($(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg))"
    java -Xmx1g -cp "$cp" dev.cprof.bench.FleetBench "$@"
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
if [[ -z "${ONLY:-}" || "${ONLY:-}" == wire ]]; then run wire "$WIRE_S"; fi
if [[ -z "${ONLY:-}" || "${ONLY:-}" == startup ]]; then run startup "$STARTUP_N"; fi
if [[ -z "${ONLY:-}" || "${ONLY:-}" == joiner ]]; then run joiner "$JOINERS"; fi
# shellcheck disable=SC2086
if [[ -z "${ONLY:-}" || "${ONLY:-}" == merge ]]; then run merge $MERGE_ARGS; fi
