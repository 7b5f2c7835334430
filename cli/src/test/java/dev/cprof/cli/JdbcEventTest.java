package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jdi.Bootstrap;
import com.sun.jdi.Method;
import com.sun.jdi.ReferenceType;
import com.sun.jdi.VirtualMachine;
import com.sun.jdi.connect.AttachingConnector;
import com.sun.jdi.connect.Connector;
import dev.cprof.cli.workload.JdbcApp;
import dev.cprof.testkit.Await;
import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * -e jdbc end to end: cprof attach --pid on a real JVM running embedded H2 (JdbcApp), the hooks
 * put in by the agent and taken out at session end. The methods' bytecodes are read through JDI
 * (JDWP in the target) before, during and after the session: the real current bytecodes.
 */
class JdbcEventTest {
    private static final String REPORT = "SELECT WAIT_MS(?) AS report FROM DUAL";
    private static final String LOOKUP = "SELECT WAIT_MS(?) AS lookup FROM DUAL";
    private static final String[][] METHODS = {
        {"org.h2.jdbc.JdbcPreparedStatement", "executeQuery"},
        {"org.h2.jdbc.JdbcStatement", "executeQuery"},
        {"org.h2.jdbc.JdbcConnection", "prepareStatement"},
    };

    @TempDir
    Path dir;

    static Stream<String> jdks() {
        List<String> homes = new ArrayList<>(List.of(System.getProperty("java.home")));
        String jdk25 = "/usr/lib/jvm/temurin-25-jdk-amd64"; // the JDK 21 of the tests is a runtime without JDWP
        if (Files.isExecutable(Path.of(jdk25, "bin", "java")) && !homes.contains(jdk25)) {
            homes.add(jdk25);
        }
        return homes.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void statementsTheirSplitAndFailuresWithoutLiteralsAndTheClassesRestored(String javaHome) throws Exception {
        Path state = dir.resolve("state");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String h2 = Path.of(org.h2.Driver.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> cmd = List.of(Path.of(javaHome, "bin", "java").toString(), "-Xmx128m", "-XX:+UseSerialGC",
                "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:" + port,
                "-cp", TargetProcess.testClasses() + File.pathSeparator + h2, JdbcApp.class.getName(), state.toString());
        try (TargetProcess jvm = TargetProcess.start(cmd)) {
            assertTrue(Await.until(10_000, () -> Files.exists(state)), "the application runs");
            Map<String, byte[]> before = bytecodes(port);
            long[] start = read(state);

            Path out = dir.resolve("jdbc.collapsed");
            CompletableFuture<Cli.Result> session = CompletableFuture.supplyAsync(() -> Cli.run("attach", "--pid",
                    Long.toString(jvm.pid()), "-e", "jdbc", "--jdbc", "10us", "-d", "5s", "-o", out.toString()));
            Map<String, byte[]>[] during = new Map[1];
            assertTrue(Await.until(20_000, () -> {
                during[0] = bytecodesQuietly(port);
                return during[0] != null && Arrays.stream(METHODS).noneMatch(m -> Arrays.equals(during[0].get(m[0]), before.get(m[0])));
            }), "the statement and connection classes are hooked during the session");
            Cli.Result r = session.get();
            long[] end = read(state);
            assertEquals(0, r.code(), r.err());

            List<String> lines = Files.readAllLines(out);
            String all = String.join("\n", lines);
            assertFalse(all.contains(JdbcApp.SECRET), "no literal recorded: " + all);
            assertTrue(all.contains("JdbcApp.loop;org.h2.jdbc.JdbcStatement.executeQuery;SELECT name FROM users WHERE id = ? AND password <> ? "),
                    "the statement with literals, without them: " + all);
            assertTrue(all.contains(";SELECT * FROM no_such_table WHERE id = ?;[org.h2.jdbc.JdbcSQLSyntaxErrorException] "),
                    "a failed statement has its exception as a leaf of its own: " + all);
            long report = AttachCommandTest.sum(lines, REPORT);
            long lookup = AttachCommandTest.sum(lines, LOOKUP);
            double measured = 100.0 * (end[2] - start[2]) / ((end[2] - start[2]) + (end[3] - start[3]));
            double profiled = 100.0 * report / (report + lookup);
            System.out.printf("%s: report's share %.1f %% in the profile, %.1f %% by the application's clock%n", javaHome, profiled, measured);
            assertEquals(measured, profiled, 5, "report's share of the two statements' time: profile " + profiled
                    + " %, the application's own clock " + measured + " % (" + report + " / " + lookup + " ns)");

            // Session over: the original bytecodes are back and the hooks are no longer called.
            Map<String, byte[]> after = bytecodes(port);
            for (String[] m : METHODS) {
                assertArrayEquals(before.get(m[0]), after.get(m[0]), m[0] + "." + m[1] + " restored");
            }
            long[] stopped = read(state);
            assertTrue(Await.until(20_000, () -> read(state)[0] >= stopped[0] + 30), "the application goes on");
            assertEquals(stopped[1], read(state)[1], "no hook call after the session");
            assertTrue(jvm.process.isAlive());
        }
    }

    /** loops, hookCalls, reportNs, lookupNs as JdbcApp wrote them last. */
    private static long[] read(Path state) {
        try {
            return Arrays.stream(Files.readString(state).trim().split(" ")).mapToLong(Long::parseLong).toArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Map<String, byte[]> bytecodesQuietly(int port) {
        try {
            return bytecodes(port);
        } catch (Exception e) {
            return null;
        }
    }

    /** The current bytecodes of METHODS (their first overload taking a String, or the first), through a fresh JDI connection. */
    private static Map<String, byte[]> bytecodes(int port) throws Exception {
        AttachingConnector socket = Bootstrap.virtualMachineManager().attachingConnectors().stream()
                .filter(c -> c.transport().name().equals("dt_socket")).findFirst().orElseThrow();
        Map<String, Connector.Argument> args = socket.defaultArguments();
        args.get("hostname").setValue("127.0.0.1");
        args.get("port").setValue(Integer.toString(port));
        VirtualMachine vm = socket.attach(args);
        try {
            Map<String, byte[]> out = new LinkedHashMap<>();
            for (String[] m : METHODS) {
                ReferenceType type = vm.classesByName(m[0]).get(0);
                List<Method> methods = type.methodsByName(m[1]);
                Method chosen = methods.stream().filter(x -> x.signature().startsWith("(Ljava/lang/String;")).findFirst()
                        .orElse(methods.get(0));
                out.put(m[0], chosen.bytecodes());
            }
            return out;
        } finally {
            vm.dispose();
        }
    }
}
