package dev.cprof.discovery.registry;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

/**
 * Builds the one CuratorFramework a process uses. With {@code --zk-auth user:password} the client
 * authenticates with the digest scheme and creates every node with ACL "creator all + world read":
 * anyone may list the fleet, only holders of that credential may change it. All peers and CLIs of
 * a fleet therefore share one credential (digest ids are per user:password).
 */
public final class ZkClients {
    /**
     * How long the znodes of a process that died without closing (a killed CLI's session record,
     * a crashed peer's instances) stay listed. Short, so {@code cprof sessions} and
     * {@code cprof list} are current within seconds; long enough that only a stall of 10 s (a GC
     * pause or partition far beyond what a 192 MB CLI or a peer sees) expires a live process,
     * which then registers again. A server with the default tickTime of 2 s grants 4..40 s.
     */
    public static final int SESSION_TIMEOUT_MS = 10_000;
    public static final int CONNECTION_TIMEOUT_MS = 5_000;

    private ZkClients() {}

    /** Builds and starts a client; {@code auth} is "user:password" or null. */
    public static CuratorFramework start(String connect, String auth) {
        return start(connect, auth, SESSION_TIMEOUT_MS);
    }

    /**
     * As {@link #start(String, String)} with a session timeout: how long after a crash the
     * process's ephemeral nodes stay (the server clamps it to 2..20 ticks).
     */
    public static CuratorFramework start(String connect, String auth, int sessionTimeoutMs) {
        CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(sessionTimeoutMs)
                .connectionTimeoutMs(CONNECTION_TIMEOUT_MS)
                .retryPolicy(new ExponentialBackoffRetry(200, 10, 5_000));
        if (auth != null && !auth.isEmpty()) {
            if (auth.indexOf(':') <= 0) {
                throw new IllegalArgumentException("--zk-auth must be user:password");
            }
            b.authorization("digest", auth.getBytes(StandardCharsets.UTF_8)).aclProvider(new CreatorAllWorldRead());
        }
        CuratorFramework client = b.build();
        client.start();
        return client;
    }

    /** Blocks until connected, or throws with a one-line reason. */
    public static void awaitConnected(CuratorFramework client, long timeoutMs) throws InterruptedException {
        if (!client.blockUntilConnected((int) timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("cannot reach ZooKeeper at "
                    + client.getZookeeperClient().getCurrentConnectionString() + " within " + timeoutMs + " ms");
        }
    }

    static final class CreatorAllWorldRead implements ACLProvider {
        // Not List.of: ZooKeeper calls contains(null) on it, which immutable lists reject.
        private static final List<ACL> ACLS = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(List.of(
                new ACL(ZooDefs.Perms.ALL, ZooDefs.Ids.AUTH_IDS),
                new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE))));

        @Override
        public List<ACL> getDefaultAcl() {
            return ACLS;
        }

        @Override
        public List<ACL> getAclForPath(String path) {
            return ACLS;
        }
    }
}
