#!/usr/bin/env bash
# Native agent benchmark: overhead and data volume of libcprof.so against async-profiler.
# Builds wire, profile, native-agent and bench, then runs dev.cprof.bench.AgentOverhead, which
# starts a fresh JVM (the same java) per (round, workload, configuration), alternating the
# configurations within every round:
#   none | cprof-cpu | ap-cpu | cprof-all | ap-all
# (cpu = 100 Hz CPU sampling; all = cpu + alloc every 512 KB + lock over 10 ms), on two workloads
# (cpu: service-like requests; alloc: short-lived objects), and prints a CSV line per run and a
# Markdown table: throughput vs no profiler, added VmHWM, bytes/min of cprof's batch file (the
# local-socket bytes) and of the same batches re-framed zstd-compressed (the TCP hop) against
# async-profiler's JFR, and the number of samples each profiler recorded.
#
# Settings (env vars), defaults for a 2-core machine:
#   ROUNDS (3), WARMUP (5 s), MEASURE (15 s), THREADS (2), WORKLOADS (cpu,alloc),
#   CONFIGS (none,cprof-cpu,ap-cpu,cprof-all,ap-all), OUT (bench/target/agent-bench),
#   CPROF_LIB (a libcprof.so to measure instead of the one in the native-agent jar)
#   SKIP_BUILD=1 to reuse the built modules.
# The first build needs tools.profiler:async-profiler from Maven Central (once, then offline).
# Never run two benchmarks at once on the same machine: the numbers would be meaningless.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-5}"
MEASURE="${MEASURE:-15}"
THREADS="${THREADS:-2}"
WORKLOADS="${WORKLOADS:-cpu,alloc}"
CONFIGS="${CONFIGS:-none,cprof-cpu,ap-cpu,cprof-all,ap-all}"
OUT="${OUT:-$here/target/agent-bench}"
CPROF_LIB="${CPROF_LIB:-}"   # default: the libcprof.so of the native-agent jar

cd "$root"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "== build (bench and the modules it needs)"
    # Offline first (the usual case on a developer machine); online if something is missing.
    mvn -B -o -q install -DskipTests -pl bench -am || mvn -B -q install -DskipTests -pl bench -am
fi

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu:   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "jdk:   $(java -version 2>&1 | head -1)"
echo "load:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo "perf_event_paranoid: $(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo '?')"
echo "date:  $(date -u +%Y-%m-%dT%H:%MZ)"

rm -rf "$OUT"
cmd=(java -cp "$here/target/classes:$here/target/lib/*" dev.cprof.bench.AgentOverhead
     --rounds "$ROUNDS" --warmup "$WARMUP" --measure "$MEASURE" --threads "$THREADS"
     --workloads "$WORKLOADS" --configs "$CONFIGS" --out "$OUT")
if [[ -n "$CPROF_LIB" ]]; then cmd+=(--cprof-lib "$CPROF_LIB"); fi
echo "== ${cmd[*]}"
"${cmd[@]}"
echo "== files: $OUT/runs.csv, $OUT/summary.md, per run: r<round>-<workload>-<config>.{log,jfr,cprof-frames}"
