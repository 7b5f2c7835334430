package dev.cprof.discovery.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.testkit.Await;
import dev.cprof.testkit.TargetJvm;
import dev.cprof.testkit.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** LocalJvms against real JVM processes: seen within 1 s of start and of exit, with the right facts. */
class LocalJvmsTest {

    @Test
    void seesRealJvmStartAndExitWithinOneSecondWithItsFacts() throws Exception {
        Map<Long, Long> startedAt = new ConcurrentHashMap<>();
        Map<Long, Long> exitedAt = new ConcurrentHashMap<>();
        Map<Long, JvmInfo> infos = new ConcurrentHashMap<>();
        try (LocalJvms jvms = new LocalJvms().start()) {
            assertTrue(jvms.snapshot().stream().noneMatch(j -> j.pid() == ProcessHandle.current().pid()),
                    "the scanning process never lists itself");
            jvms.addListener(new LocalJvms.Listener() {
                @Override
                public void started(JvmInfo jvm) {
                    startedAt.putIfAbsent(jvm.pid(), System.currentTimeMillis());
                    infos.put(jvm.pid(), jvm);
                }

                @Override
                public void exited(JvmInfo jvm) {
                    exitedAt.putIfAbsent(jvm.pid(), System.currentTimeMillis());
                }

                @Override
                public void changed(JvmInfo before, JvmInfo after) {
                    infos.put(after.pid(), after);
                }
            });
            TargetJvm target = TargetJvm.start(List.of("-Dcprof.service=checkout", "-Dother=x=y"),
                    Map.of("CPROF_SERVICE", "from-env"), "--listen");
            long pid = target.pid();
            try {
                assertTrue(Await.until(1000, () -> startedAt.containsKey(pid)), "start not seen");
                assertTrue(startedAt.get(pid) - target.launchedAtMs <= 1000,
                        "start seen " + (startedAt.get(pid) - target.launchedAtMs) + " ms after launch");

                JvmInfo info = infos.get(pid);
                assertEquals(Workload.class.getName(), info.mainClass());
                assertEquals("checkout", info.properties().get("cprof.service"));
                assertEquals("x=y", info.properties().get("other"));
                assertEquals("from-env", info.envService());
                assertEquals(releaseVersion(), info.jdkVersion());
                long realStart = target.process.info().startInstant().orElseThrow().toEpochMilli();
                assertTrue(Math.abs(info.startTimeMs() - realStart) < 1500,
                        "start time " + info.startTimeMs() + " vs " + realStart);
                assertEquals(0, info.uid()); // this sandbox runs as root; the JVM is ours
                // ports are re-read every 2 s: a server binds after its JVM is up
                assertTrue(Await.until(4000, () -> infos.get(pid).ports().contains(target.port)),
                        "listening port " + target.port + " not found in " + infos.get(pid).ports());
            } finally {
                target.close();
            }
            long goneAt = System.currentTimeMillis();
            assertTrue(Await.until(1000, () -> exitedAt.containsKey(pid)), "exit not seen");
            assertTrue(exitedAt.get(pid) - goneAt <= 1000);
            assertFalse(jvms.snapshot().stream().anyMatch(j -> j.pid() == pid));
        }
    }

    @Test
    void everyInstalledJdkIsFoundWithItsVersion() throws Exception {
        List<Path> homes;
        try (var dirs = Files.list(Path.of("/usr/lib/jvm"))) {
            homes = dirs.filter(d -> Files.isRegularFile(d.resolve("release")) && Files.isExecutable(d.resolve("bin/java")))
                    .map(LocalJvmsTest::real).distinct().toList();
        }
        try (LocalJvms jvms = new LocalJvms().start()) {
            for (Path home : homes) {
                try (TargetJvm t = TargetJvm.start(home, List.of("-Dcprof.service=checkout"), Map.of())) {
                    assertTrue(Await.until(1000, () -> jvms.snapshot().stream().anyMatch(j -> j.pid() == t.pid())), home.toString());
                    JvmInfo info = jvms.snapshot().stream().filter(j -> j.pid() == t.pid()).findFirst().orElseThrow();
                    assertEquals(releaseVersion(home), info.jdkVersion(), home.toString());
                    assertEquals(Workload.class.getName(), info.mainClass());
                }
            }
        }
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (java.io.IOException e) {
            return p;
        }
    }

    private static String releaseVersion() throws Exception {
        return releaseVersion(Path.of(System.getProperty("java.home")));
    }

    private static String releaseVersion(Path home) throws Exception {
        for (String line : Files.readAllLines(home.resolve("release"))) {
            if (line.startsWith("JAVA_VERSION=")) {
                return line.substring(13).replace("\"", "");
            }
        }
        throw new AssertionError("no JAVA_VERSION in release");
    }

    @Test
    void parsesLauncherCommandLines() {
        JavaCommandLine a = JavaCommandLine.parse(List.of("java", "-cp", "a.jar:b", "-Dx=1", "-Xmx1g", "com.shop.Main", "-Dnot=prop"));
        assertEquals("com.shop.Main", a.mainClass());
        assertEquals(Map.of("x", "1"), a.properties());
        assertEquals("/opt/checkout-1.2.jar", JavaCommandLine.parse(List.of("java", "-Dcprof.service=c", "-jar", "/opt/checkout-1.2.jar")).mainClass());
        assertEquals("shop/com.shop.Main", JavaCommandLine.parse(List.of("java", "--module-path", "mods", "-m", "shop/com.shop.Main")).mainClass());
        assertEquals("shop/x.Y", JavaCommandLine.parse(List.of("java", "--module=shop/x.Y")).mainClass());
        assertEquals("", JavaCommandLine.parse(List.of("java", "-version")).mainClass());
        assertNotNull(JavaCommandLine.parse(List.of()).properties());
    }
}
