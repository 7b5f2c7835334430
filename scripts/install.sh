#!/usr/bin/env bash
# Installs cprof into a prefix (default /usr/local):
#   PREFIX/lib/cprof/cprof.jar                        the runnable jar
#   PREFIX/bin/cprof                                  a launcher: java ... -jar PREFIX/lib/cprof/cprof.jar
#   PREFIX/share/man/man1/cprof*.1                    man pages (man cprof, man cprof-attach, ...)
#   PREFIX/share/bash-completion/completions/cprof    bash completion
#   PREFIX/share/zsh/site-functions/_cprof            zsh completion (the bash one, through bashcompinit)
# Builds the jar first when it is missing or older than the sources (through scripts/cprof).
#
# Usage: install.sh [PREFIX]
set -euo pipefail

me="$(basename "$0")"
here="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd -P "$here/.." && pwd)"

if [ $# -gt 1 ]; then
  echo "usage: $me [PREFIX]" >&2
  exit 2
fi
prefix="${1:-/usr/local}"
[ -n "$prefix" ] || { echo "usage: $me [PREFIX]" >&2; exit 2; }

say() {
  echo "$me: $*" >&2
}

# The launcher builds when the jar is missing or stale; --version proves the jar runs.
"$here/cprof" --version >/dev/null

jar="$repo/cli/target/cprof.jar"
completion="$repo/cli/target/cprof_completion"
[ -f "$jar" ] || { say "$jar is missing after the build"; exit 1; }
[ -f "$completion" ] || { say "$completion is missing: run 'mvn -B -DskipTests install' in $repo"; exit 1; }

lib="$prefix/lib/cprof"
bin="$prefix/bin"
man1="$prefix/share/man/man1"
bashdir="$prefix/share/bash-completion/completions"
zshdir="$prefix/share/zsh/site-functions"
mkdir -p "$lib" "$bin" "$man1" "$bashdir" "$zshdir"

install -m 0644 "$jar" "$lib/cprof.jar"

# The launcher: the installed jar, the same JVM defaults as scripts/cprof.
launcher_jar="$(cd -P "$lib" && pwd)/cprof.jar"
tmp="$(mktemp "$bin/.cprof.XXXXXX")"
cat >"$tmp" <<LAUNCHER
#!/usr/bin/env bash
# cprof launcher, written by scripts/install.sh.
#   CPROF_JAVA_OPTS   JVM options instead of the defaults, e.g. CPROF_JAVA_OPTS=-Xmx4g
set -euo pipefail
if ! command -v java >/dev/null 2>&1; then
  echo "cprof: java is needed (JDK 17 or newer)" >&2
  exit 1
fi
# shellcheck disable=SC2086 # the options are a list: split them on purpose
exec java \${CPROF_JAVA_OPTS:--XX:+UseSerialGC -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30} -jar '$launcher_jar' "\$@"
LAUNCHER
chmod 0755 "$tmp"
mv -f "$tmp" "$bin/cprof"

pages=0
for page in "$repo"/man/cprof*.1; do
  [ -f "$page" ] || continue
  install -m 0644 "$page" "$man1/"
  pages=$((pages + 1))
done
[ "$pages" -gt 0 ] || { say "no man pages in $repo/man"; exit 1; }

install -m 0644 "$completion" "$bashdir/cprof"

tmp="$(mktemp "$zshdir/._cprof.XXXXXX")"
cat >"$tmp" <<ZSH
#compdef cprof
# zsh completion for cprof, written by scripts/install.sh: picocli's bash completion script through
# zsh's bashcompinit. compinit autoloads this file as the function _cprof on the first TAB after
# 'cprof': it loads the bash script (which then registers itself for later TABs) and completes this one.
autoload -U +X bashcompinit && bashcompinit
source '$(cd -P "$bashdir" && pwd)/cprof'
_bash_complete -F _complete_cprof -o default
ZSH
chmod 0644 "$tmp"
mv -f "$tmp" "$zshdir/_cprof"

say "installed cprof into $prefix ($pages man pages, bash and zsh completion)"
echo "$bin/cprof"
