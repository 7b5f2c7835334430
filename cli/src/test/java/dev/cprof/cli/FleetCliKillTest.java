package dev.cprof.cli;

import static dev.cprof.cli.FleetHarness.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.discovery.registry.SessionNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cprof attach --service} killed with SIGKILL mid-session (no shutdown hook runs): the peer
 * stops the agents it started for it within 10 s, seen from outside as the agents' sampler threads
 * disappearing from the target JVMs; the session's audit znode goes too.
 */
class FleetCliKillTest {
    private static final long STOP_WITHIN_MS = 10_000;

    @TempDir
    Path dir;

    @Test
    void aCliKilledWithSigkillHasItsAgentsStoppedWithinTenSeconds() throws Exception {
        FleetHarness.require("the CLI kill test", false);
        String service = Checkouts.uniqueService("clikill");
        Path log = dir.resolve("cli.log");
        try (LocalFleet fleet = LocalFleet.start("kill-host");
             TargetProcess a = Checkouts.start(service); TargetProcess b = Checkouts.start(service)) {
            CuratorFramework zk = fleet.zk();
            awaitTrue(15_000, "two instances registered", () -> fleet.instances(service).size() == 2);

            Process cli = FleetHarness.cprof(List.of(), log, "attach", "--service", service, "--zk", fleet.connectString(),
                    "-d", "120s", "-o", dir.resolve("never.collapsed").toString());
            try {
                awaitTrue(30_000, "both JVMs sampling", () -> FleetHarness.samplerThreads(a.pid()) > 0
                        && FleetHarness.samplerThreads(b.pid()) > 0);
                awaitTrue(5_000, "the session's znode", () -> sessions(zk, service) == 1);
                Thread.sleep(1000);
                assertTrue(cli.isAlive(), "the CLI still runs its 120 s session");
                FleetHarness.kill9(cli);
                long killed = System.currentTimeMillis();
                awaitTrue(STOP_WITHIN_MS, "agents stopped after the CLI's SIGKILL", () -> FleetHarness.samplerThreads(a.pid()) == 0
                        && FleetHarness.samplerThreads(b.pid()) == 0);
                long stoppedMs = System.currentTimeMillis() - killed;
                assertTrue(stoppedMs <= STOP_WITHIN_MS, "stopped after " + stoppedMs + " ms");
                // the audit znode is ephemeral: gone once ZooKeeper expires the dead CLI's session
                awaitTrue(20_000, "the session znode removed", () -> sessions(zk, service) == 0);
                long znodeGoneMs = System.currentTimeMillis() - killed;
                // this ZooKeeper serves only this test: no session node at all may be left behind
                assertTrue(orphans(zk) == 0, "orphaned session znodes");
                assertTrue(a.process.isAlive() && b.process.isAlive(), "the targets live on");
                System.out.println("RELIABILITY: cli-sigkill faults=1 (CLI kill -9 mid-session) instances=2 agents_stopped_after_ms="
                        + stoppedMs + " session_znode_gone_after_ms=" + znodeGoneMs + " (ZooKeeper session timeout 5 s here)"
                        + " orphaned_session_znodes=0 targets_alive=2 losses=0");
            } finally {
                cli.destroyForcibly();
                cli.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Every session znode on the server. */
    private static long orphans(CuratorFramework zk) {
        try {
            return SessionNode.list(zk).size();
        } catch (Exception e) {
            return -1;
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
