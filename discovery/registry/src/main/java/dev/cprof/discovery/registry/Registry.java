package dev.cprof.discovery.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;

/**
 * The znodes one peer owns: its own {@code peers/<host>} and one {@code services/<service>/<host>:<pid>}
 * per named local JVM. Every node is an {@link EphemeralNode}, so all of them come back after a
 * session loss without any code here, and vanish when the peer dies. With a null client it only
 * keeps the records (the CLI's in-process peer without ZooKeeper).
 */
public final class Registry implements InstanceDirectory, AutoCloseable {
    private final CuratorFramework client;
    private final Map<String, EphemeralNode> instances = new ConcurrentHashMap<>();
    private final Map<String, InstanceRecord> records = new ConcurrentHashMap<>();
    private EphemeralNode peer;
    private PeerRecord peerRecord;
    /**
     * After a reconnect (a new session recreates the node, a new mtime) the peer record is written
     * again with a fresh {@code clock_ms}, so that clock and the znode's mtime stay comparable.
     */
    private final ConnectionStateListener restamp = (c, state) -> {
        if (state == ConnectionState.RECONNECTED) {
            restampPeer();
        }
    };

    public Registry(CuratorFramework client) {
        this.client = client;
    }

    public synchronized void registerPeer(PeerRecord record) {
        if (peer != null) {
            peer.close();
        }
        if (client == null) {
            return;
        }
        if (peerRecord == null) {
            client.getConnectionStateListenable().addListener(restamp);
        }
        peerRecord = record;
        peer = new EphemeralNode(client, ZkPaths.peer(record.host()), record.encode());
    }

    private synchronized void restampPeer() {
        if (peer == null || peerRecord == null) {
            return;
        }
        peerRecord = peerRecord.restamped();
        try {
            peer.setData(peerRecord.encode());
        } catch (Exception e) {
            // the next reconnect tries again; a stale clock_ms only shows as skew in cprof doctor
        }
    }

    /** Registers (or re-registers under a new service) one instance. */
    public void register(InstanceRecord record) {
        InstanceRecord old = records.put(record.key(), record);
        if (record.equals(old) || client == null) {
            return;
        }
        EphemeralNode node = new EphemeralNode(client, ZkPaths.instance(record.service(), record.key()), record.encode());
        EphemeralNode previous = instances.put(record.key(), node);
        if (previous != null) {
            previous.close();
        }
    }

    public void unregister(String instanceKey) {
        records.remove(instanceKey);
        EphemeralNode node = instances.remove(instanceKey);
        if (node != null) {
            node.close();
        }
    }

    /** The instance registered under {@code <host>:<pid>}, or null: the peer attaches only these. */
    @Override
    public InstanceRecord registered(String instanceKey) {
        return records.get(instanceKey);
    }

    public Map<String, InstanceRecord> registered() {
        return Map.copyOf(records);
    }

    /**
     * Removes every node of this peer, bounded in time: with ZooKeeper unreachable the nodes are
     * left to expire with the session instead of holding the peer's stop for Curator's retries.
     */
    @Override
    public synchronized void close() {
        List<EphemeralNode> nodes = new ArrayList<>(instances.values());
        if (peer != null) {
            nodes.add(peer);
            peer = null;
        }
        instances.clear();
        records.clear();
        EphemeralNode.closeAll(nodes, EphemeralNode.SHUTDOWN_DELETE_MS);
        if (peerRecord != null && client != null) {
            client.getConnectionStateListenable().removeListener(restamp);
            peerRecord = null;
        }
    }
}
