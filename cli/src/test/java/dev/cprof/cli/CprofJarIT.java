package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The shaded jar as a user runs it: a real {@code java -jar cprof.jar}, on every JDK installed here. */
class CprofJarIT {

    @TempDir
    Path dir;

    static Path jar() {
        Path jar = Path.of(System.getProperty("cprof.jar", "target/cprof.jar"));
        assertTrue(Files.isRegularFile(jar), "the shaded jar is built in package: " + jar);
        return jar;
    }

    /** The running JDK first, then every other JDK under /usr/lib/jvm (by real path, once each). */
    static List<Path> javas() throws IOException {
        Set<Path> found = new LinkedHashSet<>();
        found.add(Path.of(System.getProperty("java.home"), "bin", "java").toRealPath());
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> s = Files.list(jvms)) {
                for (Path home : (Iterable<Path>) s.sorted()::iterator) {
                    Path java = home.resolve("bin/java");
                    if (Files.isExecutable(java)) {
                        found.add(java.toRealPath());
                    }
                }
            }
        }
        return new ArrayList<>(found);
    }

    record Run(int code, String out, String err) {}

    static Run run(Path java, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(java.toString()));
        int i = 0;
        while (i < args.length && args[i].startsWith("-D")) { // JVM options first
            cmd.add(args[i++]);
        }
        cmd.addAll(List.of("-jar", jar().toString()));
        cmd.addAll(List.of(args).subList(i, args.length));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "cprof finished");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @MethodSource("javas")
    void versionFromTheJar(Path java) throws Exception {
        Run r = run(java, "--version");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("cprof " + System.getProperty("cprof.version") + "\n"), r.out());
        assertTrue(r.out().contains("JVM: "), r.out());
    }

    @ParameterizedTest
    @MethodSource("javas")
    void convertThroughCprofWithTheShadedZstd(Path java) throws Exception {
        Path in = dir.resolve("hello.collapsed");
        Files.writeString(in, ConvertCommandTest.HELLO);
        Path cprof = dir.resolve("hello.cprof");
        Run a = run(java, "convert", in.toString(), "-o", cprof.toString());
        assertEquals(0, a.code(), a.err());
        Run b = run(java, "convert", cprof.toString(), "-o", "-", "--format", "collapsed");
        assertEquals(0, b.code(), b.err());
        assertEquals(ConvertCommandTest.HELLO.lines().sorted().toList(), b.out().lines().sorted().toList());
    }

    @Test
    void errorsAreOneLineFromTheJar() throws Exception {
        Path java = javas().get(0);
        Run r = run(java, "convert", dir.resolve("missing.cprof").toString(), "-o", "x.html");
        assertEquals(1, r.code());
        assertEquals("cprof: no such file: " + dir.resolve("missing.cprof") + "\n", r.err());
        Run u = run(java, "convert", "--no-such-option");
        assertEquals(2, u.code());
        assertEquals(1, u.err().lines().count(), u.err());
    }

    /** The jar once carried a test library for the demo's ZooKeeper (33.8 MB); a new dependency that bloats it fails here. */
    @Test
    void jarStaysUnder20MB() throws IOException {
        long size = Files.size(jar());
        assertTrue(size < 20L * 1000 * 1000, "cprof.jar is " + size + " bytes, over 20 MB: check what the shade plugin bundles (unzip -l)");
    }

    /** cprof demo from the jar alone: everything its embedded ZooKeeper loads is in it, and its data directory is gone at the end. */
    @Test
    void demoRunsFromTheJar() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(CprofJarIT.class.getResource(dev.cprof.agent.AgentLibrary.RESOURCE) != null,
                "ASSUMPTION: libcprof.so is not in the native-agent jar; skipped");
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path out = dir.resolve("demo.html");
        Run r = run(javas().get(0), "-Djava.io.tmpdir=" + tmp, "demo", "-d", "6s", "-o", out.toString(), "-q");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("4 instances of 'checkout'"), r.out());
        assertTrue(Files.size(out) > 0);
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("cprof-demo-zk")).toList());
        }
    }

    @Test
    void docsAreGenerated() throws IOException {
        Path target = jar().getParent();
        String completion = Files.readString(target.resolve("cprof_completion"));
        assertTrue(completion.contains("complete -F"), completion);
        Path man = target.getParent().getParent().resolve("man");
        assertTrue(Files.readString(man.resolve("cprof.1")).contains(".SH EXIT STATUS"));
        assertTrue(Files.isRegularFile(man.resolve("cprof-convert.1")));
        assertTrue(Files.isRegularFile(man.resolve("cprof-convert.adoc")));
    }
}
