# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154  # variables are shared with the scripts that source this file
# Shared by the incident scripts: argument checks, finding cprof, the capture directory.
# Source it, then call: incident_start "$@"   (after setting `me` and `repo`)
# It sets: target, seconds, pid (empty for a SERVICE), cprof, host, name, dir (absolute), parent.

usage() {
  echo "usage: $me PID|SERVICE [SECONDS]" >&2
  exit 2
}

say() {
  echo "$me: $*" >&2
}

# CPROF, else this repository's launcher, else cprof on PATH.
cprof_command() {
  if [ -n "${CPROF:-}" ]; then
    echo "$CPROF"
  elif [ -x "$repo/cprof" ]; then
    echo "$repo/cprof"
  elif command -v cprof >/dev/null 2>&1; then
    command -v cprof
  else
    say "cannot find cprof: set CPROF=/path/to/cprof or put cprof on PATH"
    exit 1
  fi
}

incident_start() {
  if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    usage
  fi
  target="$1"
  seconds="${2:-30}"
  [ -n "$target" ] || usage
  case "$seconds" in
    '' | *[!0-9]* | 0) say "SECONDS must be a whole number of seconds above 0, not '$seconds'"; usage ;;
  esac
  cprof="$(cprof_command)"

  pid=""
  case "$target" in
    *[!0-9]*) ;;
    *) pid="$target" ;;
  esac
  if [ -n "$pid" ] && [ ! -d "/proc/$pid" ]; then
    say "no such process: $pid"
    exit 1
  fi

  host="$(hostname -s 2>/dev/null || uname -n)"
  local n
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  name="cprof-incident-$host-$stamp"
  n=1
  while ! mkdir "./$name" 2>/dev/null; do
    if [ ! -e "./$name" ]; then
      say "cannot create ./$name in $(pwd)"
      exit 1
    fi
    n=$((n + 1))
    name="cprof-incident-$host-$stamp-$n"
  done
  dir="$(cd "./$name" && pwd)"
  parent="$(dirname "$dir")"
}
