package dev.cprof.agent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The JDKs target JVMs are started with: the one running the tests, plus a JDK 25 if installed. */
final class Jdks {
    static final Path TEMURIN_25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");

    private Jdks() {}

    static List<Path> all() {
        List<Path> jdks = new ArrayList<>();
        jdks.add(Path.of(System.getProperty("java.home"), "bin", "java"));
        if (Files.isExecutable(TEMURIN_25)) {
            jdks.add(TEMURIN_25);
        }
        return jdks;
    }
}
