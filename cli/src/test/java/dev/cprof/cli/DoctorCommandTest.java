package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cprof.agent.Attacher;
import dev.cprof.cli.doctor.Elf;
import dev.cprof.cli.doctor.JdkRelease;
import dev.cprof.cli.doctor.JvmsCheck;
import dev.cprof.cli.doctor.Mounts;
import dev.cprof.cli.doctor.PythonCheck;
import dev.cprof.discovery.registry.PeerRecord;
import dev.cprof.discovery.registry.ZkClients;
import dev.cprof.discovery.registry.ZkPaths;
import dev.cprof.session.ExitCodes;
import dev.cprof.testkit.TwoMethods;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** cprof doctor for real on this machine: real JVMs, real jattach, a real ZooKeeper server. */
class DoctorCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /**
     * Runs {@code cprof doctor ARGS}: through Main once it registers the command, until then
     * through a command line of its own with the same streams and error handling.
     */
    static Cli.Result doctor(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            CommandLine main = Main.commandLine(o, e);
            if (main.getSubcommands().containsKey("doctor")) {
                List<String> all = new ArrayList<>(List.of("doctor"));
                all.addAll(List.of(args));
                code = main.execute(all.toArray(String[]::new));
            } else {
                CommandLine cl = new CommandLine(new DoctorCommand());
                cl.setOut(new PrintWriter(new OutputStreamWriter(o, StandardCharsets.UTF_8), true));
                cl.setErr(new PrintWriter(new OutputStreamWriter(e, StandardCharsets.UTF_8), true));
                cl.setExecutionExceptionHandler(new ErrorHandler());
                cl.setParameterExceptionHandler(new ErrorHandler());
                code = cl.execute(args);
            }
        }
        return new Cli.Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    static JsonNode parse(Cli.Result r) throws Exception {
        JsonNode doc = JSON.readTree(r.out());
        assertTrue(doc.get("checks").isArray(), r.out());
        for (JsonNode c : doc.get("checks")) {
            assertTrue(c.get("name").isTextual(), c.toString());
            assertTrue(Set.of("ok", "warn", "fail").contains(c.get("status").asText()), c.toString());
            assertTrue(c.get("detail").isTextual() && !c.get("detail").asText().isBlank(), c.toString());
            assertTrue(c.has("hint") && (c.get("hint").isNull() || c.get("hint").isTextual()), c.toString());
            if (!c.get("status").asText().equals("ok")) {
                assertTrue(c.get("hint").isTextual(), "a warn or fail says how to fix it: " + c);
            }
        }
        return doc;
    }

    static List<JsonNode> checks(JsonNode doc, String name) {
        List<JsonNode> out = new ArrayList<>();
        doc.get("checks").forEach(c -> {
            if (c.get("name").asText().equals(name)) {
                out.add(c);
            }
        });
        return out;
    }

    static JsonNode check(JsonNode doc, String name) {
        List<JsonNode> all = checks(doc, name);
        assertEquals(1, all.size(), "one '" + name + "' check in " + doc);
        return all.get(0);
    }

    static void assertNoStackTrace(Cli.Result r) {
        for (String s : List.of(r.out(), r.err())) {
            assertFalse(s.contains("\tat ") || s.contains("Exception"), "no stack trace or exception name: " + s);
        }
    }

    @Test
    void checksThisMachineAndItsJvms() throws Exception {
        String service = "doctor-test-" + UUID.randomUUID().toString().substring(0, 8);
        try (TargetProcess named = TargetProcess.jvm(TwoMethods.class, "-Dcprof.service=" + service);
                TargetProcess closed = TargetProcess.jvm(TwoMethods.class, "-XX:+DisableAttachMechanism")) {
            Cli.Result r = doctor("--json");
            assertEquals(0, r.code(), r.out() + r.err());
            assertEquals("", r.err());
            JsonNode doc = parse(r);
            assertEquals(0, doc.get("fail").asInt(), r.out());
            assertEquals(doc.get("checks").size(), doc.get("ok").asInt() + doc.get("warn").asInt());

            JsonNode jattach = check(doc, "jattach");
            if (Attacher.findJattach() != null) {
                assertEquals("ok", jattach.get("status").asText());
                assertTrue(jattach.get("detail").asText().startsWith("jattach "), jattach.toString());
            } else {
                assertEquals("warn", jattach.get("status").asText());
                assertTrue(jattach.get("hint").asText().contains("jattach"), jattach.toString());
            }

            JsonNode lib = check(doc, "agent-library");
            assertEquals("ok", lib.get("status").asText(), lib.toString());
            assertTrue(lib.get("detail").asText().contains(".so (ELF x86-64"), lib.toString());

            // where other users' JVMs load the agent from: this machine's /tmp is sticky and not noexec
            JsonNode copy = check(doc, "agent-copy");
            boolean noexec = Mounts.options(Path.of("/tmp").toRealPath().toString()).orElse("").contains("noexec");
            assertEquals(noexec ? "warn" : "ok", copy.get("status").asText(), copy.toString());
            assertTrue(copy.get("detail").asText().contains("copy in their own /tmp"), copy.toString());

            for (String name : List.of("user", "perf_event_paranoid", "kptr_restrict", "ptrace_scope", "tmpdir", "python", "pprof")) {
                check(doc, name);
            }
            assertEquals("ok", check(doc, "tmpdir").get("status").asText());
            assertTrue(checks(doc, "zookeeper").isEmpty(), "no --zk, no ZooKeeper check");

            // the running JDK, with its version from its release file
            String home = Path.of(System.getProperty("java.home")).toRealPath().toString();
            JsonNode running = checks(doc, "jdk").stream()
                    .filter(c -> c.get("detail").asText().contains(" at " + home + " ")).findFirst().orElseThrow();
            assertTrue(running.get("detail").asText().startsWith(Runtime.version().feature() + "."), running.toString());
            assertTrue(running.get("detail").asText().contains("running"), running.toString());

            JsonNode jvms = check(doc, "jvms");
            String d = jvms.get("detail").asText();
            assertTrue(d.matches("\\d+ JVMs? running, \\d+ named.*"), d);
            assertTrue(d.contains(service), d);
            assertTrue(d.contains("attach disabled in ") && d.contains(Long.toString(closed.pid())), d);
            assertFalse(d.contains("attach disabled in " + named.pid()), d);
            assertEquals("warn", jvms.get("status").asText());
            assertTrue(jvms.get("hint").asText().contains("DisableAttachMechanism"), jvms.toString());
        }
    }

    @Test
    void readsTheMountOptionsOfTheMountHoldingAPath() {
        List<String> mountinfo = List.of(
                "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
                "30 22 0:26 / /tmp rw,nosuid,nodev,noexec shared:5 - tmpfs tmpfs rw",
                "31 22 0:27 / /tmpfoo rw shared:6 - tmpfs tmpfs rw",
                "32 22 0:28 / /var/my\\040dir ro,nosuid - tmpfs tmpfs rw");
        assertEquals("rw,nosuid,nodev,noexec", Mounts.options("/tmp", mountinfo).orElseThrow());
        assertEquals("rw,nosuid,nodev,noexec", Mounts.options("/tmp/x/y", mountinfo).orElseThrow());
        assertEquals("rw,relatime", Mounts.options("/tmpx", mountinfo).orElseThrow(), "a prefix is not a parent");
        assertEquals("rw", Mounts.options("/tmpfoo/a", mountinfo).orElseThrow());
        assertEquals("ro,nosuid", Mounts.options("/var/my dir/f", mountinfo).orElseThrow(), "\\040 is a space");
        // and this machine's own table: the root file system is there
        assertTrue(Mounts.options("/").orElseThrow().matches("r[ow](,.*)?"));
    }

    @Test
    void printsOneLinePerCheckAndASummary() {
        Cli.Result r = doctor();
        assertEquals(0, r.code(), r.out() + r.err());
        String[] lines = r.out().split("\\R");
        assertTrue(lines.length > 8, r.out());
        for (int i = 0; i < lines.length - 1; i++) {
            assertTrue(lines[i].matches("(ok  |warn|fail)  \\S+ +\\S.*|\\s+hint: \\S.*"), "line " + i + ": " + lines[i]);
        }
        assertTrue(lines[0].matches("ok    jattach +jattach .*|warn  jattach +not on PATH.*"), lines[0]);
        assertTrue(lines[lines.length - 1].matches("\\d+ ok, \\d+ warn, 0 fail"), lines[lines.length - 1]);
    }

    @Test
    void reportsAReachableZooKeeperAndItsPeers() throws Exception {
        Path data = dir.resolve("zk");
        ZooKeeperServer server = new ZooKeeperServer(data.toFile(), data.toFile(), 500);
        ServerCnxnFactory factory = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 60);
        factory.startup(server);
        String connect = "127.0.0.1:" + factory.getLocalPort();
        try {
            // a fresh ZooKeeper: reachable, but nobody has used it for cprof
            Cli.Result r = doctor("--zk", connect, "--json");
            assertEquals(0, r.code(), r.out() + r.err());
            JsonNode zk = check(parse(r), "zookeeper");
            assertEquals("warn", zk.get("status").asText(), zk.toString());
            assertTrue(zk.get("detail").asText().matches("connected to " + connect + " in \\d+ ms; /cprof/v1 does not exist.*"), zk.toString());
            assertTrue(zk.get("hint").asText().contains("cprof peer --zk " + connect), zk.toString());

            try (CuratorFramework client = ZkClients.start(connect, null)) {
                ZkClients.awaitConnected(client, 5000);
                client.create().creatingParentsIfNeeded().forPath(ZkPaths.PEERS);
                r = doctor("--zk", connect, "--json");
                JsonNode doc = parse(r);
                assertEquals("ok", check(doc, "zookeeper").get("status").asText(), r.out());
                assertTrue(check(doc, "zookeeper").get("detail").asText().endsWith("; /cprof/v1 exists"), r.out());
                assertEquals("warn", check(doc, "peers").get("status").asText(), r.out());

                client.create().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.peer("host-a"),
                        new PeerRecord("host-a", "10.0.0.7", 7391, "0.1.0", PeerRecord.AuthMode.TOKEN).encode());
                r = doctor("--zk", connect, "--json");
                assertEquals(0, r.code(), r.out() + r.err());
                JsonNode peers = check(parse(r), "peers");
                assertEquals("ok", peers.get("status").asText(), peers.toString());
                assertEquals("1 peer: host-a (10.0.0.7:7391, 0.1.0, auth token)", peers.get("detail").asText());
                assertNull(peers.get("hint").textValue());
            }
        } finally {
            factory.shutdown();
            server.shutdown();
        }
    }

    @Test
    void reportsClockSkewBetweenPeers() throws Exception {
        Path data = dir.resolve("zk");
        ZooKeeperServer server = new ZooKeeperServer(data.toFile(), data.toFile(), 500);
        ServerCnxnFactory factory = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 60);
        factory.startup(server);
        String connect = "127.0.0.1:" + factory.getLocalPort();
        try (CuratorFramework client = ZkClients.start(connect, null)) {
            ZkClients.awaitConnected(client, 5000);
            // host-a's clock agrees with ZooKeeper's (same machine): ok, with its skew
            client.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.peer("host-a"),
                    new PeerRecord("host-a", "10.0.0.7", 7391, "0.1.0", PeerRecord.AuthMode.NONE).encode());
            Cli.Result r = doctor("--zk", connect, "--json");
            assertEquals(0, r.code(), r.out() + r.err());
            JsonNode clocks = check(parse(r), "peer-clocks");
            assertEquals("ok", clocks.get("status").asText(), clocks.toString());
            assertTrue(clocks.get("detail").asText().matches(
                    "clock skew against ZooKeeper's clock at registration: host-a [+-]0\\.\\d s"), clocks.toString());

            // host-b wrote its record with a clock 5 s ahead; host-c is an older peer without clock_ms
            client.create().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.peer("host-b"),
                    new PeerRecord("host-b", "10.0.0.8", 7391, "0.1.0", PeerRecord.AuthMode.NONE,
                            System.currentTimeMillis() + 5_000).encode());
            client.create().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.peer("host-c"),
                    "host=host-c\naddress=10.0.0.9\nport=7391\nversion=0.0.9\nauth=none\n".getBytes(StandardCharsets.UTF_8));
            Cli.Result text = doctor("--zk", connect);
            assertEquals(0, text.code(), "a skewed clock is a warn, not a fail: " + text.out() + text.err());
            String line = text.out().lines().filter(l -> l.startsWith("warn  peer-clocks ")).findFirst().orElseThrow(() -> new AssertionError(text.out()));
            assertTrue(line.matches("warn  peer-clocks +host-b is [45]\\.\\d s ahead \\(clock skew against ZooKeeper's clock at"
                    + " registration: host-a [+-]0\\.\\d s, host-b \\+[45]\\.\\d s; spread between peers [45]\\.\\d s\\);"
                    + " unknown for host-c .*"), line);
            assertTrue(text.out().lines().anyMatch(l -> l.strip().startsWith("hint: synchronise the hosts' clocks with NTP")), text.out());
            assertEquals("warn", check(parse(doctor("--zk", connect, "--json")), "peer-clocks").get("status").asText());
        } finally {
            factory.shutdown();
            server.shutdown();
        }
    }

    @Test
    void anUnreachableZooKeeperIsOneFailLineAndExit1() throws Exception {
        Cli.Result r = doctor("--zk", "127.0.0.1:1");
        assertEquals(ExitCodes.FAILED, r.code(), r.out() + r.err());
        assertNoStackTrace(r);
        List<String> fails = r.out().lines().filter(l -> l.startsWith("fail")).toList();
        assertEquals(1, fails.size(), r.out());
        assertTrue(fails.get(0).matches("fail  zookeeper +cannot reach ZooKeeper at 127\\.0\\.0\\.1:1 within 5 s"), fails.get(0));
        assertTrue(r.out().lines().anyMatch(l -> l.strip().startsWith("hint: check the address")), r.out());
        assertTrue(r.out().strip().endsWith(" 1 fail"), r.out());

        Cli.Result j = doctor("--zk", "127.0.0.1:1", "--json");
        assertEquals(ExitCodes.FAILED, j.code());
        JsonNode doc = parse(j);
        assertEquals(1, doc.get("fail").asInt());
        assertEquals("fail", check(doc, "zookeeper").get("status").asText());
        assertTrue(checks(doc, "peers").isEmpty());
    }

    @Test
    void recognisesElfLibrariesVersionsAndFlags() {
        byte[] elf = new byte[20];
        elf[0] = 0x7f;
        elf[1] = 'E';
        elf[2] = 'L';
        elf[3] = 'F';
        elf[4] = 2;
        elf[5] = 1;
        elf[16] = 3;
        elf[18] = 62;
        assertNull(Elf.problem(elf, 20, "amd64"));
        assertTrue(Elf.problem(elf, 20, "aarch64").startsWith("built for ELF machine 62"));
        elf[16] = 2;
        assertEquals("not a shared library (ELF type 2)", Elf.problem(elf, 20, "amd64"));
        assertEquals("not an ELF file", Elf.problem("#!/bin/sh\necho hi\n  ".getBytes(StandardCharsets.UTF_8), 20, "amd64"));
        assertEquals("not an ELF file", Elf.problem(elf, 4, "amd64"));

        assertEquals(17, JdkRelease.feature("17.0.15"));
        assertEquals(25, JdkRelease.feature("25"));
        assertEquals(8, JdkRelease.feature("1.8.0_392"));
        assertEquals(-1, JdkRelease.feature(""));

        assertTrue(PythonCheck.supported("3.11.9"));
        assertTrue(PythonCheck.supported("3.13.0rc1"));
        assertTrue(PythonCheck.supported("3.12"));
        assertFalse(PythonCheck.supported("3.10.14"));
        assertFalse(PythonCheck.supported("3.1"));
        assertFalse(PythonCheck.supported("pypy3.10-7.3.17"));

        assertTrue(JvmsCheck.lastFlag(List.of("java", "-XX:+DisableAttachMechanism", "Main"), "DisableAttachMechanism"));
        assertFalse(JvmsCheck.lastFlag(List.of("-XX:+DisableAttachMechanism", "-XX:-DisableAttachMechanism"), "DisableAttachMechanism"));
    }
}
