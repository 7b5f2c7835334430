package dev.cprof.cli;

import static dev.cprof.cli.FleetHarness.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cprof.discovery.registry.SessionNode;
import dev.cprof.discovery.registry.ZkClients;
import dev.cprof.discovery.registry.ZkPaths;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ZooKeeper gone while a session runs (an outage): a {@code cprof peer} stopped with SIGTERM lets
 * go of its agents and exits within seconds instead of waiting out Curator's retries of its
 * znode deletes (they are ephemeral: ZooKeeper drops them with the peer's session anyway), and
 * {@code cprof attach --service} stopped with Ctrl-C writes what it collected and exits likewise.
 * And the audit record of a CLI killed with SIGKILL is listed only for the ZooKeeper session
 * timeout, {@link ZkClients#SESSION_TIMEOUT_MS}, 10 s.
 */
class FleetZkOutageTest {
    /** Generous bounds: the point is seconds, not the 47-49 s a stop took with ZooKeeper gone. */
    private static final long EXIT_WITHIN_MS = 5_000;

    @TempDir
    Path dir;

    @Test
    void withZooKeeperGoneAPeerStopsAtOnceOnSigtermAndTheCliWritesOnCtrlC() throws Exception {
        FleetHarness.require("the ZooKeeper outage stop test", false);
        String service = Checkouts.uniqueService("outage");
        Path peerLog = dir.resolve("peer.log");
        Path cliLog = dir.resolve("cli.log");
        Path out = dir.resolve("outage.collapsed");
        Process peer = null;
        Process cli = null;
        try (LocalFleet fleet = LocalFleet.withoutPeer(); TargetProcess target = Checkouts.start(service)) {
            String zk = fleet.connectString();
            peer = FleetHarness.cprof(List.of(), peerLog, "peer", "--zk", zk, "--listen", "127.0.0.1:0", "--host", "outage-host");
            FleetHarness.awaitLog(peer, peerLog, "listening on", 30_000);
            awaitTrue(15_000, "the instance registered", () -> fleet.instances(service).size() == 1);
            // from a terminal, Ctrl-C is SIGINT with its default action (see AttachCommandTest)
            cli = FleetHarness.cprof(List.of("env", "--default-signal=INT"), cliLog, "attach", "--service", service,
                    "--zk", zk, "-d", "120s", FleetHarness.FLUSH, "-o", out.toString());
            long pid = target.pid();
            awaitTrue(30_000, "the JVM sampling", () -> FleetHarness.samplerThreads(pid) > 0);
            Thread.sleep(FleetHarness.BATCHES_MS); // a few batches reach the CLI

            fleet.server().stop(); // the outage: both processes lose ZooKeeper, neither has a way to delete its znodes
            Thread.sleep(1000);

            FleetHarness.must("kill", "-TERM", Long.toString(peer.pid()));
            long termAt = System.currentTimeMillis();
            boolean peerExited = peer.waitFor(60, TimeUnit.SECONDS);
            long peerExitMs = System.currentTimeMillis() - termAt;
            String peerText = Files.readString(peerLog);
            assertTrue(peerExited, "the peer still runs 60 s after SIGTERM: " + peerText);
            awaitTrue(EXIT_WITHIN_MS, "the agent idle (no cprof-sampler/collector thread, no CPU timer)", () -> agentIdle(pid));
            long agentIdleMs = System.currentTimeMillis() - termAt;
            assertTrue(peerExitMs < EXIT_WITHIN_MS, "the peer exited " + peerExitMs + " ms after SIGTERM: " + peerText);
            assertTrue(peerText.contains("stopped"), peerText);

            FleetHarness.must("kill", "-INT", Long.toString(cli.pid()));
            long intAt = System.currentTimeMillis();
            boolean cliExited = cli.waitFor(60, TimeUnit.SECONDS);
            long cliExitMs = System.currentTimeMillis() - intAt;
            String cliText = Files.readString(cliLog);
            assertTrue(cliExited, "the CLI still runs 60 s after Ctrl-C: " + cliText);
            assertTrue(cliExitMs < EXIT_WITHIN_MS, "the CLI exited " + cliExitMs + " ms after Ctrl-C: " + cliText);
            assertTrue(Files.exists(out), "what was collected before the outage is written: " + cliText);
            Map<String, Long> roots = FleetHarness.samplesByRoot(out);
            long samples = roots.values().stream().mapToLong(Long::longValue).sum();
            assertTrue(samples > 0, "samples written: " + roots + "\n" + cliText);
            assertTrue(target.process.isAlive(), "the target lives on");
            System.out.println("RELIABILITY: zk-outage-stop faults=1 (ZooKeeper stopped mid-session) peer_exit_after_sigterm_ms="
                    + peerExitMs + " agent_idle_after_sigterm_ms=" + agentIdleMs + " cli_exit_after_sigint_ms=" + cliExitMs
                    + " cli_samples_written=" + samples + " cli_exit=" + cli.exitValue());
        } finally {
            for (Process p : new Process[] {peer, cli}) {
                if (p != null) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void aKilledClisSessionZnodeIsGoneWithinTheSessionTimeout() throws Exception {
        FleetHarness.require("the session znode expiry test", false);
        String service = Checkouts.uniqueService("audit");
        Path log = dir.resolve("cli.log");
        // tickTime 1 s: the server grants sessions of 2..20 s, so the CLI gets the timeout it asks for
        try (LocalFleet fleet = LocalFleet.start("audit-host", 1000, null); TargetProcess target = Checkouts.start(service)) {
            CuratorFramework zk = fleet.zk();
            awaitTrue(15_000, "the instance registered", () -> fleet.instances(service).size() == 1);
            Process cli = FleetHarness.cprof(List.of(), log, "attach", "--service", service, "--zk", fleet.connectString(),
                    "-d", "120s", "-o", dir.resolve("never.collapsed").toString());
            try {
                awaitTrue(30_000, "the JVM sampling", () -> FleetHarness.samplerThreads(target.pid()) > 0);
                awaitTrue(5_000, "the session's znode", () -> sessions(zk, service) == 1);
                // the timeout the server granted the CLI's ZooKeeper session (the owner of its record)
                String id = SessionNode.list(zk).stream().filter(s -> s.service().equals(service)).findFirst().orElseThrow().id();
                long owner = zk.checkExists().forPath(ZkPaths.session(id)).getEphemeralOwner();
                long timeoutMs = negotiatedTimeoutMs(fleet.server().getPort(), owner);
                assertTrue(timeoutMs > 0 && timeoutMs <= 10_000, "the CLI's ZooKeeper session timeout is " + timeoutMs + " ms");
                FleetHarness.kill9(cli);
                long killed = System.currentTimeMillis();
                awaitTrue(60_000, "the session znode removed", () -> sessions(zk, service) == 0);
                long goneMs = System.currentTimeMillis() - killed;
                // expiry runs on tick boundaries: the timeout plus a tick, plus polling
                long bound = timeoutMs + 3_000;
                assertTrue(goneMs < bound, "the killed CLI's session stayed listed " + goneMs + " ms (bound " + bound + " ms)");
                System.out.println("RELIABILITY: session-znode-expiry faults=1 (CLI kill -9) zk_session_timeout_ms=" + timeoutMs
                        + " session_znode_listed_after_kill_ms=" + goneMs + " (tickTime 1 s)");
            } finally {
                cli.destroyForcibly();
                cli.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The session timeout ZooKeeper's {@code cons} reports for session {@code sessionId}, or -1. */
    private static long negotiatedTimeoutMs(int port, long sessionId) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(2000);
            s.getOutputStream().write("cons".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String text = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            Matcher m = Pattern.compile("sid=0x" + Long.toHexString(sessionId) + "\\b[^)]*?\\bto=(\\d+)").matcher(text);
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        }
    }

    /** The agent in {@code pid} is idle: no thread of it but its control thread, no POSIX timer left. */
    static boolean agentIdle(long pid) {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks) {
                try {
                    String name = Files.readString(t.resolve("comm")).strip();
                    if (name.startsWith("cprof-") && !name.equals("cprof-control")) {
                        return false;
                    }
                } catch (IOException e) {
                    // thread gone
                }
            }
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "timers")).stream().noneMatch(l -> l.startsWith("ID:"));
        } catch (IOException e) {
            fail("cannot read /proc/" + pid + ": " + e);
            return false;
        }
    }

    private static long sessions(CuratorFramework zk, String service) {
        try {
            return SessionNode.list(zk).stream().filter(s -> s.service().equals(service)).count();
        } catch (Exception e) {
            return -1;
        }
    }
}
