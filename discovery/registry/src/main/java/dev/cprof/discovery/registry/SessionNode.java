package dev.cprof.discovery.registry;

import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * A profiling session's audit znode {@code /cprof/v1/sessions/<id>}. It lives while the CLI's
 * session is open (ephemeral, re-created after a session loss); peers watch it and stop profiling
 * for the session once it is gone, so a killed CLI never leaves agents running.
 */
public final class SessionNode implements AutoCloseable {
    private final EphemeralNode node;
    private final SessionRecord record;

    private SessionNode(EphemeralNode node, SessionRecord record) {
        this.node = node;
        this.record = record;
    }

    /** Creates the node and waits up to {@code timeoutMs} for it to exist. */
    public static SessionNode create(CuratorFramework client, SessionRecord record, long timeoutMs) throws InterruptedException {
        SessionNode s = new SessionNode(new EphemeralNode(client, ZkPaths.session(record.id()), record.encode()), record);
        if (!s.node.awaitCreated(timeoutMs)) {
            s.close();
            throw new IllegalStateException("could not create session node " + ZkPaths.session(record.id()) + " within " + timeoutMs + " ms");
        }
        return s;
    }

    /** A random session id, short enough to read in {@code cprof sessions}. */
    public static String newId() {
        return java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    public SessionRecord record() {
        return record;
    }

    /** The active sessions, for {@code cprof sessions}. */
    public static List<SessionRecord> list(CuratorFramework client) throws Exception {
        List<SessionRecord> out = new ArrayList<>();
        List<String> ids;
        try {
            ids = client.getChildren().forPath(ZkPaths.SESSIONS);
        } catch (KeeperException.NoNodeException e) {
            return out;
        }
        for (String id : ids) {
            try {
                out.add(SessionRecord.decode(client.getData().forPath(ZkPaths.session(id))));
            } catch (KeeperException.NoNodeException e) {
                // ended meanwhile
            }
        }
        return out;
    }

    /** Ends the session's record; with ZooKeeper unreachable it expires with the CLI's ZooKeeper session. */
    @Override
    public void close() {
        EphemeralNode.closeAll(List.of(node), EphemeralNode.SHUTDOWN_DELETE_MS);
    }
}
