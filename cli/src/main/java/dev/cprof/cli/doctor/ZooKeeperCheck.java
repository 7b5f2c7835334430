package dev.cprof.cli.doctor;

import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.PeerRecord;
import dev.cprof.discovery.registry.ZkClients;
import dev.cprof.discovery.registry.ZkPaths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.data.Stat;

/**
 * With {@code --zk}: ZooKeeper's connect time and {@code /cprof/v1} (line zookeeper), the peers
 * registered there (peers) and their clocks (peer-clocks, see {@link PeerClocks}).
 */
public final class ZooKeeperCheck implements Check {
    static final String NAME = "zookeeper";
    static final long ZK_TIMEOUT_MS = 5_000;

    private final String connect;

    public ZooKeeperCheck(String connect) {
        this.connect = connect;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Result> run() throws InterruptedException {
        CuratorFramework client;
        try {
            client = ZkClients.start(connect, null);
        } catch (RuntimeException e) {
            return List.of(new Result(NAME, Status.FAIL, "bad connect string '" + connect + "': " + Probes.oneLine(e.getMessage()),
                    "give --zk host:port[,host:port…][/chroot]"));
        }
        try {
            long t0 = System.nanoTime();
            try {
                ZkClients.awaitConnected(client, ZK_TIMEOUT_MS);
            } catch (IllegalStateException e) {
                return List.of(new Result(NAME, Status.FAIL, "cannot reach ZooKeeper at " + connect + " within "
                        + ZK_TIMEOUT_MS / 1000 + " s",
                        "check the address and that ZooKeeper runs there (echo srvr | nc HOST PORT), and firewalls on the way"));
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            List<Result> out = new ArrayList<>();
            String latency = String.format(Locale.ROOT, "connected to %s in %.0f ms", connect, ms);
            boolean root;
            List<PeerRecord> peers;
            try {
                root = client.checkExists().forPath(ZkPaths.ROOT) != null;
                peers = root ? new FleetView(client).peers() : List.of();
            } catch (Exception e) {
                out.add(new Result(NAME, Status.FAIL, latency + ", but reading " + ZkPaths.ROOT + " failed: "
                        + Probes.oneLine(String.valueOf(e.getMessage())), "check the ACLs of " + ZkPaths.ROOT));
                return out;
            }
            if (!root) {
                out.add(new Result(NAME, Status.WARN, latency + "; " + ZkPaths.ROOT + " does not exist: no peer or"
                        + " session has used this ZooKeeper yet", "start 'cprof peer --zk " + connect + "' on each host"));
                return out;
            }
            out.add(Result.ok(NAME, latency + "; " + ZkPaths.ROOT + " exists"));
            if (peers.isEmpty()) {
                out.add(new Result("peers", Status.WARN, "no peer registered under " + ZkPaths.PEERS,
                        "start 'cprof peer --zk " + connect + "' on each host whose JVMs should be profiled"));
            } else {
                List<String> parts = new ArrayList<>();
                for (PeerRecord p : peers) {
                    parts.add(p.host() + " (" + p.address() + ":" + p.port() + ", " + p.version() + ", auth "
                            + p.auth().name().toLowerCase(Locale.ROOT) + ")");
                }
                out.add(Result.ok("peers", peers.size() + (peers.size() == 1 ? " peer: " : " peers: ") + String.join(", ", parts)));
                Map<String, Long> mtimes = new LinkedHashMap<>();
                for (PeerRecord p : peers) {
                    try {
                        Stat stat = client.checkExists().forPath(ZkPaths.peer(p.host()));
                        if (stat != null) {
                            mtimes.put(p.host(), stat.getMtime());
                        }
                    } catch (Exception e) {
                        // gone or unreadable since the listing: its skew shows as unknown
                    }
                }
                out.add(PeerClocks.result(peers, mtimes));
            }
            return out;
        } finally {
            client.close();
        }
    }
}
