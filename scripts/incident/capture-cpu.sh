#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2154  # common.sh sets target, seconds, cprof, host, stamp, name, dir, parent
# Captures what on-call needs about a busy JVM (or every instance of a service) into one directory:
#   ./cprof-incident-<host>-<timestamp>/
#     profile.cprof   cpu + wall profile, lossless (cprof convert / cprof diff read it)
#     profile.html    the same as an interactive flame graph
#     summary.json    cprof attach --json: instances, samples, errors
#     threads.txt     thread dump (jcmd Thread.print -l, else jattach threaddump)   [pid only]
#     heap.txt        GC and heap summary (jcmd GC.heap_info)                       [pid only]
#     info.txt        what was captured, when, from where
# and prints the directory on stdout (the last line). Progress goes to stderr.
#
# Usage: capture-cpu.sh PID|SERVICE [SECONDS]      (SECONDS defaults to 30)
#   CPROF=/path/to/cprof   the cprof to run (default: the repository's ./cprof launcher, else cprof on PATH)
#   CPROF_ZK=host:port     for a SERVICE: find its instances through this ZooKeeper (else this host only)
#   CPROF_EVENTS=cpu,wall  the events to sample
# Exit code: that of 'cprof attach' (0 done, 3 partial, 1 failed, 4 nothing found); 2 on a usage error.
set -euo pipefail

me="$(basename "$0")"
repo="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/incident/common.sh
. "$repo/scripts/incident/common.sh"
incident_start "$@"
events="${CPROF_EVENTS:-cpu,wall}"

{
  echo "target:   $target"
  echo "host:     $host"
  echo "started:  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "seconds:  $seconds"
  echo "events:   $events"
  echo "cprof:    $cprof"
  [ -z "${CPROF_ZK:-}" ] || echo "zk:       $CPROF_ZK"
  [ -z "$pid" ] || echo "cmdline:  $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true)"
} >"$dir/info.txt"

# One jcmd diagnostic command into a file: jcmd first (same user as the JVM), jattach otherwise
# (it also reaches JVMs of other users and in containers). A failure is noted, never fatal.
diagnose() {
  local file="$1" jcmd_command="$2" jattach_command="$3"
  if command -v jcmd >/dev/null 2>&1 && jcmd "$pid" "$jcmd_command" >"$file" 2>&1; then
    return 0
  fi
  if command -v jattach >/dev/null 2>&1 && jattach "$pid" "$jattach_command" >"$file" 2>&1; then
    return 0
  fi
  say "could not get $jcmd_command from $pid (see $file)"
  return 0
}

if [ -n "$pid" ]; then
  say "thread dump and heap summary of $pid"
  diagnose "$dir/threads.txt" "Thread.print -l" "threaddump"
  diagnose "$dir/heap.txt" "GC.heap_info" "jcmd GC.heap_info"
  selector=(--pid "$pid")
else
  selector=(--service "$target")
  if [ -n "${CPROF_ZK:-}" ]; then
    selector+=(--zk "$CPROF_ZK")
  fi
fi

say "profiling ${selector[*]} for $seconds s ($events)"
rc=0
"$cprof" attach "${selector[@]}" -e "$events" -d "${seconds}s" -o "$dir/profile.cprof" --json \
  >"$dir/summary.json" || rc=$?
if [ -s "$dir/profile.cprof" ]; then
  "$cprof" convert "$dir/profile.cprof" -o "$dir/profile.html" --title "cprof $events $target on $host, $stamp" \
    || say "could not write profile.html"
fi
echo "finished: $(date -u +%Y-%m-%dT%H:%M:%SZ) (cprof attach exit code $rc)" >>"$dir/info.txt"
case "$rc" in
  0) say "done: $dir" ;;
  3) say "partial: some instances failed (see $dir/summary.json): $dir" ;;
  *) say "cprof attach failed (exit code $rc); what was captured is in $dir" ;;
esac
echo "$dir"
exit "$rc"
