#!/usr/bin/env bash
# Builds cprof-otelcol (main.go: the Collector v0.165.0 with the OTLP receiver and a profiles file
# exporter) once per version of its sources and prints the binary's path. Cached under
# ~/.cache/cprof-test/otelcol/<hash of go.mod, go.sum, main.go>/ (CPROF_TEST_CACHE overrides
# ~/.cache/cprof-test), so later runs cost nothing. The first build downloads the modules through
# the Go module proxy and compiles about 400 packages: minutes on two cores.
# Used by scripts/test.sh (so CI has it) and by OtlpCollectorTest (which skips without Go).
set -euo pipefail
here="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
command -v go >/dev/null 2>&1 || { echo "otelcol/build.sh: go is not installed" >&2; exit 1; }
hash="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-16)"
out="${CPROF_TEST_CACHE:-$HOME/.cache/cprof-test}/otelcol/$hash"
bin="$out/cprof-otelcol"
if [ ! -x "$bin" ]; then
  mkdir -p "$out"
  start=$(date +%s)
  echo "otelcol/build.sh: building the test collector into $out (once)" >&2
  (cd "$here" && CGO_ENABLED=0 go build -trimpath -mod=readonly -o "$bin.tmp" .)
  mv "$bin.tmp" "$bin"
  echo "otelcol/build.sh: built in $(( $(date +%s) - start )) s" >&2
fi
echo "$bin"
