#!/usr/bin/env bash
# Merge engine benchmark: builds wire, profile and bench, then runs
#   1. the JMH MergeBenchmark (merge, parseAndMerge and their two baselines), single-threaded;
#   2. MergeMemory, a 1,000-instance x 10-minute profile under a fixed -Xmx.
# and prints samples/s/core, the ratios to the baselines, and the retained heap.
#
# Short settings for a 2-core machine shared with others; override with env vars:
#   JMH_OPTS   (default "-f 1 -wi 3 -i 5 -w 2s -r 3s"), e.g. add "-prof gc"
#   JMH_FILTER (default the four MergeBenchmark methods)
#   MEM_XMX    (default 1g), MEM_ARGS (default "1000 600": instances, seconds)
#   SKIP_BUILD=1 to reuse bench/target
# Never run two benchmarks at once on the same machine: the numbers would be meaningless.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
JMH_OPTS="${JMH_OPTS:--f 1 -wi 3 -i 5 -w 2s -r 3s}"
JMH_FILTER="${JMH_FILTER:-dev.cprof.bench.MergeBenchmark}"
MEM_XMX="${MEM_XMX:-1g}"
MEM_ARGS="${MEM_ARGS:-1000 600}"

cd "$root"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "== build (bench and the modules it needs)"
    # Offline first (the usual case on a developer machine); online if something is missing.
    mvn -B -o -q install -DskipTests -pl bench -am || mvn -B -q install -DskipTests -pl bench -am
fi

cp="$here/target/classes:$here/target/lib/*"
csv="$here/target/jmh-merge.csv"
log="$here/target/jmh-merge.log"

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu:   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "jdk:   $(java -version 2>&1 | head -1)"
echo "load:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date:  $(date -u +%Y-%m-%dT%H:%MZ)"

echo "== JMH: java -cp bench/target/classes:bench/target/lib/* org.openjdk.jmh.Main $JMH_FILTER $JMH_OPTS"
# shellcheck disable=SC2086
java -cp "$cp" org.openjdk.jmh.Main "$JMH_FILTER" $JMH_OPTS -rf csv -rff "$csv" | tee "$log" \
    | grep -E '^(# Benchmark:|cpu-rate|workload|Benchmark |MergeBenchmark\.)' || true

echo "== MergeMemory: java -Xmx$MEM_XMX -cp ... dev.cprof.bench.MergeMemory $MEM_ARGS"
# shellcheck disable=SC2086
java "-Xmx$MEM_XMX" -cp "$cp" dev.cprof.bench.MergeMemory $MEM_ARGS

echo "== summary: samples/s on one thread = samples/s/core"
# wall: JMH score +- its 99.9% interval; cpu: samples per CPU-second of the benchmark thread,
# mean (min..max) of the measurement iterations, immune to being descheduled by other load.
grep '^cpu-rate ' "$log" | awk '{ print "cpu", $2, $3 }' > "$here/target/cpu-rates.txt"
awk -F, '
    FNR == NR { n = ++cn[$2]; s[$2] += $3; if (n == 1 || $3 < mn[$2]) mn[$2] = $3; if ($3 > mx[$2]) mx[$2] = $3; next }
    FNR > 1 {
        gsub(/"/, "", $0)
        k = split($1, parts, "."); name = parts[k]
        score[name] = $5
        cpu[name] = (name in cn) ? s[name] / cn[name] : 0
        printf "  %-16s wall %7.2f M/s +- %5.2f M | cpu %7.2f M/s (%.2f..%.2f)\n", name, $5 / 1e6, $6 / 1e6,
            cpu[name] / 1e6, mn[name] / 1e6, mx[name] / 1e6
    }
    function ratio(a, b, what) {
        if ((a in score) && (b in score))
            printf "  %-30s wall %.3f, cpu %.3f (%s)\n", a " / " b, score[a] / score[b],
                (cpu[b] > 0 ? cpu[a] / cpu[b] : 0), what
    }
    END {
        ratio("merge", "baselineIterate", "merge vs. walking the same samples")
        ratio("parseAndMerge", "baselineParse", "parse+merge vs. parsing the same bytes")
        if ("merge" in score)
            printf "  goal >= 2 M samples/s/core (wall): merge %s, parseAndMerge %s\n",
                (score["merge"] >= 2e6 ? "met" : "MISSED"), (score["parseAndMerge"] >= 2e6 ? "met" : "MISSED")
    }' FS=' ' "$here/target/cpu-rates.txt" FS=, "$csv"
