package dev.cprof.cli;

import static dev.cprof.cli.FleetHarness.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cprof.agent.AgentClient;
import dev.cprof.cli.demo.CheckoutService;
import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.ZkClients;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who can profile whom, with real users (created here, cprof-test-*), real JVMs run as them
 * through setpriv, real jattach and the real agent: root profiles a service user's JVM, locally
 * and through a root peer; a socket another user plants under the agent's name gets nothing;
 * a user who may not attach is told whose JVM it is and what to do. Issue 14, items 1, 6 and 10.
 * Needs root (CI runs as root: there it must run).
 */
class OtherUsersTest {
    private static final String SERVICE_USER = "cprof-test-svc";
    private static final String OTHER_USER = "cprof-test-other";
    private static final String SQUATTER = "cprof-test-squat";

    /** This build's classes and jars, copied where the created users can read them (not root's ~/.m2). */
    private static Path shared;
    private static String sharedClasspath;

    @TempDir
    Path dir;

    @BeforeAll
    static void users() throws Exception {
        FleetHarness.require("the other-users test", true, "setpriv", "useradd");
        for (String u : List.of(SERVICE_USER, OTHER_USER, SQUATTER)) {
            ensureUser(u);
        }
        shared = Files.createTempDirectory("cprof-test-users-");
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : FleetHarness.classpath().split(File.pathSeparator)) {
            Path from = Path.of(entry);
            if (!Files.exists(from)) {
                continue;
            }
            Path to = shared.resolve(i++ + "-" + from.getFileName());
            copyTree(from, to);
            entries.add(to.toString());
        }
        sharedClasspath = String.join(File.pathSeparator, entries);
        FleetHarness.must("chmod", "-R", "a+rX", shared.toString());
    }

    @AfterAll
    static void removeShared() throws IOException {
        if (shared != null) {
            try (Stream<Path> all = Files.walk(shared)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Item 1: root's library cache is in a 0700 home; the JVM must get a copy it can read and nobody can swap. */
    @Test
    void rootProfilesAServiceUsersJvmLocallyAndThroughARootPeer() throws Exception {
        String service = Checkouts.uniqueService("svcuser");
        try (TargetProcess local = asUser(SERVICE_USER, checkout(Checkouts.uniqueService("svclocal")));
             TargetProcess fleet = asUser(SERVICE_USER, checkout(service))) {
            assertEquals(SERVICE_USER, Files.getOwner(Path.of("/proc", Long.toString(local.pid()))).getName());

            Path out = dir.resolve("local.collapsed");
            Cli.Result r = Cli.run("attach", "--pid", Long.toString(local.pid()), "-d", "2s", "-o", out.toString());
            assertEquals(0, r.code(), r.err());
            long localSamples = total(out);
            assertTrue(localSamples > 0 && Files.readString(out).contains("CheckoutService"), Files.readString(out));

            // what the JVM loaded: a copy in its /tmp, root's, read-only, that the service user cannot replace
            Path mapped = Path.of(mappedAgent(local.pid()));
            assertEquals(Path.of("/tmp"), mapped.getParent(), mapped.toString());
            assertEquals("root", Files.getOwner(mapped, LinkOption.NOFOLLOW_LINKS).getName());
            assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(mapped, LinkOption.NOFOLLOW_LINKS)));
            assertTrue(Files.isRegularFile(mapped, LinkOption.NOFOLLOW_LINKS));
            int tmpMode = (Integer) Files.getAttribute(Path.of("/tmp"), "unix:mode");
            assertTrue((tmpMode & 01000) != 0, "/tmp is sticky: only root may rename or remove root's file there");

            // the same through a root peer (the fleet path)
            long fleetSamples;
            try (TestingServer server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 250, -1), true);
                 CuratorFramework peerZk = ZkClients.start(server.getConnectString(), null, 3000);
                 CuratorFramework zk = ZkClients.start(server.getConnectString(), null, 3000);
                 Peer peer = Peer.start(Peer.Config.defaults(peerZk).withHost("users-host").withListen(new InetSocketAddress("127.0.0.1", 0)))) {
                FleetView view = new FleetView(zk);
                awaitTrue(10_000, "the service user's JVM registered", () -> {
                    try {
                        return view.instances(service).stream().anyMatch(x -> x.pid() == fleet.pid());
                    } catch (Exception e) {
                        return false;
                    }
                });
                Path fleetOut = dir.resolve("fleet.collapsed");
                Cli.Result f = Cli.run("attach", "--service", service, "--zk", server.getConnectString(), "-d", "2s",
                        "--per-instance", "-o", fleetOut.toString());
                assertEquals(0, f.code(), f.err());
                Map<String, Long> byInstance = FleetHarness.samplesByRoot(fleetOut);
                String label = "users-host:" + fleet.pid() + " " + service;
                fleetSamples = byInstance.getOrDefault(label, 0L);
                assertTrue(fleetSamples > 0, label + " not in " + byInstance);
            }
            assertEquals(mapped.toString(), mappedAgent(fleet.pid()), "both JVMs load the one verified copy");
            System.out.println("RELIABILITY: other-user-jvm root_local_samples=" + localSamples + " root_peer_samples=" + fleetSamples
                    + " copy=" + mapped + " owner=root mode=0444");
        }
    }

    /**
     * Item 1, the copy's safety: a file another user planted under the copy's name (the very bytes
     * of the library, but theirs to rewrite later), or a symbolic link there, is never loaded nor
     * written through; root's own copy replaces it.
     */
    @Test
    void aCopyPlantedByAnotherUserInTmpIsReplacedNotLoadedNorFollowed() throws Exception {
        Path lib = dev.cprof.agent.AgentLibrary.path();
        Path name = Path.of("/tmp").resolve(lib.getFileName());
        Path bait = shared.resolve("bait-" + System.nanoTime());
        Files.copy(lib, bait);
        FleetHarness.must("chmod", "a+r", bait.toString());
        Path linkTarget = shared.resolve("victim-of-a-link-" + System.nanoTime());
        Files.writeString(linkTarget, "untouched");
        for (String plant : List.of("file", "link")) {
            Files.deleteIfExists(name); // JVMs that mapped it keep their mapping; the next attach copies again
            List<String> cmd = new ArrayList<>(asUserPrefix(SQUATTER));
            cmd.addAll(plant.equals("file")
                    ? List.of("sh", "-c", "cp '" + bait + "' '" + name + "' && chmod 666 '" + name + "'")
                    : List.of("ln", "-s", linkTarget.toString(), name.toString()));
            FleetHarness.must(cmd.toArray(String[]::new));
            assertEquals(SQUATTER, Files.getOwner(name, LinkOption.NOFOLLOW_LINKS).getName());
            try (TargetProcess jvm = asUser(SERVICE_USER, checkout(Checkouts.uniqueService("planted")))) {
                Path out = dir.resolve(plant + ".collapsed");
                Cli.Result r = Cli.run("attach", "--pid", Long.toString(jvm.pid()), "-d", "1s", "-o", out.toString());
                assertEquals(0, r.code(), r.err());
                Path mapped = Path.of(mappedAgent(jvm.pid()));
                assertEquals("root", Files.getOwner(mapped, LinkOption.NOFOLLOW_LINKS).getName(), plant + ": " + mapped);
                assertTrue(Files.isRegularFile(mapped, LinkOption.NOFOLLOW_LINKS), plant + ": " + mapped);
                assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(mapped, LinkOption.NOFOLLOW_LINKS)));
                assertEquals("untouched", Files.readString(linkTarget), "nothing written through the link");
            }
        }
        System.out.println("RELIABILITY: other-user-copy planted=file(0666, same bytes),symlink loaded=root's 0444 copy written_through_link=0");
    }

    /** Item 6: a listener of another user on the victim's socket name is refused before anything is sent. */
    @Test
    void aSocketPlantedByAnotherUserIsRefusedBeforeOneByteReachesIt() throws Exception {
        Path logDir = Files.createDirectories(dir.resolve("squat"));
        List<Path> planted = new ArrayList<>();
        try (TargetProcess victim = asUser(SERVICE_USER, checkout(Checkouts.uniqueService("victim")))) {
            Path socket = AgentClient.socketPath(victim.pid());
            planted.add(socket);
            Path log = logDir.resolve("squatter.log");
            Files.createFile(log);
            FleetHarness.must("chown", SQUATTER, log.toString());
            FleetHarness.must("chmod", "a+x", dir.toString(), logDir.toString());
            TargetProcess squatter = asUser(SQUATTER, List.of(TargetProcess.java(), "-Xmx32m", "-XX:-UsePerfData", "-cp", sharedClasspath,
                    SocketSquatter.class.getName(), socket.toString(), log.toString()));
            try (squatter) {
                assertEquals(SQUATTER, Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS).getName());

                long t0 = System.nanoTime();
                Cli.Result r = Cli.run("attach", "--pid", Long.toString(victim.pid()), "-d", "10s", "-o", dir.resolve("v.collapsed").toString());
                long refuseMs = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(1, r.code(), r.err());
                List<String> refusals = Arrays.stream(r.errLines()).filter(l -> l.contains("refusing")).toList();
                assertEquals(1, refusals.size(), r.err());
                String line = refusals.get(0);
                assertTrue(line.contains(socket.toString()) && line.contains(SQUATTER) && line.contains(SERVICE_USER), line);
                assertFalse(Files.readString(Path.of("/proc", Long.toString(victim.pid()), "maps")).contains("libcprof"),
                        "nothing was loaded into the victim");

                // The client's own check, race free (SO_PEERCRED of the listener), for callers that connect directly.
                IOException e = assertThrows(AgentClient.SquattedSocketException.class,
                        () -> AgentClient.connect(victim.pid(), Duration.ofSeconds(2)));
                assertTrue(e.getMessage().contains(SQUATTER), e.getMessage());
                awaitTrue(5_000, "the squatter saw the connection close", () -> read(log).contains("closed 1 "));
                String seen = read(log);
                assertEquals("accepted 1\nclosed 1 0\n", seen, "one connection (the direct connect), not one byte sent to it");

                // A link at the name, made by the JVM's own user (so its owner passes), to the squatter's socket moved aside.
                Path aside = socket.resolveSibling("cprof-test-squat-" + victim.pid() + ".sock");
                Files.move(socket, aside);
                planted.add(aside);
                List<String> ln = new ArrayList<>(asUserPrefix(SERVICE_USER));
                ln.addAll(List.of("ln", "-s", aside.toString(), socket.toString()));
                FleetHarness.must(ln.toArray(String[]::new));
                Cli.Result viaLink = Cli.run("attach", "--pid", Long.toString(victim.pid()), "-d", "10s", "-o", dir.resolve("l.collapsed").toString());
                assertEquals(1, viaLink.code(), viaLink.err());
                assertTrue(viaLink.err().contains("refusing " + socket + ": it is a symbolic link"), viaLink.err());
                IOException e2 = assertThrows(AgentClient.SquattedSocketException.class,
                        () -> AgentClient.connect(victim.pid(), Duration.ofSeconds(2)));
                assertTrue(e2.getMessage().contains("symbolic link"), e2.getMessage());
                awaitTrue(5_000, "the squatter saw the second connection close", () -> read(log).contains("closed 2 "));
                assertEquals("accepted 1\nclosed 1 0\naccepted 2\nclosed 2 0\n", read(log), "not one byte through the link either");
                assertFalse(Files.readString(Path.of("/proc", Long.toString(victim.pid()), "maps")).contains("libcprof"));
                Files.delete(socket); // the link
                System.out.println("RELIABILITY: security-socket-squat cli_exit=1 refuse_ms=" + refuseMs
                        + " connections_from_cli=0 direct_connect=refused link_by_jvm_user=refused bytes_to_squatter=0 agent_loaded=false");
            }
            // positive control: with the squatter's socket gone, root profiles the victim
            Files.deleteIfExists(socket);
            Path out = dir.resolve("after.collapsed");
            Cli.Result ok = Cli.run("attach", "--pid", Long.toString(victim.pid()), "-d", "2s", "-o", out.toString());
            assertEquals(0, ok.code(), ok.err());
            assertTrue(total(out) > 0, ok.err());
        } finally {
            for (Path p : planted) {
                Files.deleteIfExists(p); // the squatter's socket and the link, when the test failed before removing them
            }
        }
    }

    /** Item 10: a user who may not attach another user's JVM is told whose it is and what to do. */
    @Test
    void anotherUsersJvmIsNamedWithItsOwnerAndTheWayOut() throws Exception {
        int svcUid = uid(SERVICE_USER);
        try (TargetProcess jvm = asUser(SERVICE_USER, checkout(Checkouts.uniqueService("owned")))) {
            List<String> cmd = new ArrayList<>(asUserPrefix(OTHER_USER));
            cmd.addAll(List.of(TargetProcess.java(), "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", sharedClasspath,
                    Main.class.getName(), "attach", "--pid", Long.toString(jvm.pid()), "-d", "1s", "-o", "/tmp/never-written.collapsed"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(1, p.exitValue(), out);
            String expected = "cprof: pid " + jvm.pid() + ": permission denied: process " + jvm.pid() + " belongs to uid " + svcUid
                    + " (" + SERVICE_USER + "), not to you (uid " + uid(OTHER_USER) + "): run cprof as " + SERVICE_USER
                    + " (sudo -u " + SERVICE_USER + " cprof ...) or as root";
            assertTrue(out.lines().anyMatch(expected::equals), "expected\n" + expected + "\nin\n" + out);
            System.out.println("RELIABILITY: other-user-hint exit=1 line=\"" + expected + "\"");
        }
    }

    // ---- users and processes

    private static void ensureUser(String name) throws Exception {
        if (!FleetHarness.sh("id", "-u", name).strip().matches("\\d+")) {
            // --system: no aging, no home; a concurrent creation by another test is fine (checked again below)
            FleetHarness.sh("useradd", "--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", name);
        }
        uid(name);
    }

    private static int uid(String name) {
        String id = FleetHarness.sh("id", "-u", name).strip();
        if (!id.matches("\\d+")) {
            fail("cannot create the user " + name + ": " + id);
        }
        return Integer.parseInt(id);
    }

    /** setpriv, not runuser: it execs, so the process we start is the user's JVM itself (its pid is ours to profile). */
    private static List<String> asUserPrefix(String user) {
        String gid = FleetHarness.sh("id", "-g", user).strip();
        return List.of("setpriv", "--reuid=" + uid(user), "--regid=" + gid, "--clear-groups");
    }

    private static TargetProcess asUser(String user, List<String> cmd) throws Exception {
        List<String> all = new ArrayList<>(asUserPrefix(user));
        all.addAll(cmd);
        return TargetProcess.start(all);
    }

    private static List<String> checkout(String service) {
        return List.of(TargetProcess.java(), "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dcprof.service=" + service, "-cp", sharedClasspath, CheckoutService.class.getName(), "--rate", "300", "--warmup-ms", "0");
    }

    // ---- files

    private static void copyTree(Path from, Path to) throws IOException {
        if (Files.isRegularFile(from)) {
            Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
            return;
        }
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    /** The agent library mapped into {@code pid}, as the JVM named it. */
    private static String mappedAgent(long pid) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(pid), "maps"))) {
            return lines.filter(l -> l.contains("libcprof")).map(l -> l.substring(l.indexOf('/'))).findFirst()
                    .orElseThrow(() -> new AssertionError("no libcprof mapped in " + pid));
        }
    }

    private static long total(Path collapsed) throws IOException {
        return FleetHarness.samplesByRoot(collapsed).values().stream().mapToLong(Long::longValue).sum()
                + Files.readAllLines(collapsed).stream().filter(l -> !l.contains(";") && l.lastIndexOf(' ') > 0)
                        .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
