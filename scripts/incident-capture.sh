#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2154  # common.sh sets target, seconds, cprof, host, stamp, name, dir, parent
# Everything on-call needs about a busy JVM (or every instance of a service), in one go, into
#   ./cprof-incident-<host>-<UTC timestamp>/
#     profile.cprof   cpu, wall, alloc and lock profile, lossless (cprof convert / cprof diff read it)
#     cpu.html wall.html alloc.html lock.html   a flame graph per event
#     summary.json    cprof attach --json: instances, samples, errors
#     list.json       cprof list --json: the JVMs of this host (of the fleet with CPROF_ZK)
#     info.txt        what was captured, when, from where
# and ./cprof-incident-<host>-<UTC timestamp>.tar.gz of that directory, to attach to a ticket.
# Prints the directory, then the archive, on stdout (the last two lines). Progress goes to stderr.
#
# Usage: incident-capture.sh SERVICE|PID [SECONDS]      (SECONDS defaults to 30)
#   CPROF=/path/to/cprof   the cprof to run (default: this repository's scripts/cprof, else cprof on PATH)
#   CPROF_ZK=host:port     find the SERVICE's instances (and list the fleet) through this ZooKeeper
# Exit code: that of 'cprof attach' (0 done, 3 partial, 1 failed, 4 nothing found); 2 on a usage error.
set -euo pipefail

me="$(basename "$0")"
repo="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/incident/common.sh
. "$repo/scripts/incident/common.sh"
incident_start "$@"
events="cpu,wall,alloc,lock"

zk=()
if [ -n "${CPROF_ZK:-}" ]; then
  zk=(--zk "$CPROF_ZK")
fi
if [ -n "$pid" ]; then
  selector=(--pid "$pid")
else
  selector=(--service "$target" "${zk[@]}")
fi

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

# The instances first: quick, and useful even when the profile fails.
"$cprof" list --json "${zk[@]}" >"$dir/list.json" 2>"$dir/list.err" || say "cprof list failed (see $dir/list.err)"
[ -s "$dir/list.err" ] || rm -f "$dir/list.err"

say "profiling ${selector[*]} for $seconds s ($events)"
rc=0
"$cprof" attach "${selector[@]}" -e "$events" -d "${seconds}s" -o "$dir/profile.cprof" --json \
  >"$dir/summary.json" || rc=$?
if [ -s "$dir/profile.cprof" ]; then
  for event in cpu wall alloc lock; do
    # an event without samples (no lock contention, say) is no failure: note it and go on
    if ! "$cprof" convert "$dir/profile.cprof" --event "$event" -o "$dir/$event.html" \
        --title "cprof $event $target on $host, $stamp" 2>>"$dir/convert.err"; then
      say "no $event.html (see $dir/convert.err)"
    fi
  done
  [ -s "$dir/convert.err" ] || rm -f "$dir/convert.err"
fi
echo "finished: $(date -u +%Y-%m-%dT%H:%M:%SZ) (cprof attach exit code $rc)" >>"$dir/info.txt"

archive="$parent/$name.tar.gz"
if ! tar -C "$parent" -czf "$archive" "$name"; then
  say "could not write $archive"
  rm -f "$archive"
  archive=""
fi
case "$rc" in
  0) say "done: $dir" ;;
  3) say "partial: some instances failed (see $dir/summary.json): $dir" ;;
  *) say "cprof attach failed (exit code $rc); what was captured is in $dir" ;;
esac
echo "$dir"
[ -z "$archive" ] || echo "$archive"
exit "$rc"
