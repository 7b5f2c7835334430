package dev.cprof.python;

/**
 * A stand-in for a PySpark executor: a JVM that starts a Python worker and waits for it.
 * Usage: SpawnPython PYTHON SCRIPT ARGS...
 */
public final class SpawnPython {
    private SpawnPython() {}

    public static void main(String[] args) throws Exception {
        Process p = new ProcessBuilder(args).inheritIO().start();
        System.exit(p.waitFor());
    }
}
