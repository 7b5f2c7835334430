package dev.cprof.discovery.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;

/** The CLI's read-only view of the fleet in ZooKeeper: list services, instances and peers; watch a service. */
public final class FleetView {
    private final CuratorFramework client;

    public FleetView(CuratorFramework client) {
        this.client = client;
    }

    /** Callbacks of {@link #watch}; called on Curator's event thread, keep them short. */
    public interface InstanceListener {
        void added(InstanceRecord instance);

        void removed(InstanceRecord instance);

        /** The instances present when the watch started have all been reported through {@link #added}. */
        default void initialized() {}
    }

    public List<String> services() throws Exception {
        return children(ZkPaths.SERVICES);
    }

    public List<InstanceRecord> instances(String service) throws Exception {
        List<InstanceRecord> out = new ArrayList<>();
        for (String key : children(ZkPaths.service(service))) {
            byte[] data = data(ZkPaths.instance(service, key));
            if (data != null) {
                out.add(InstanceRecord.decode(data));
            }
        }
        return out;
    }

    /** Every instance by service, sorted, for {@code cprof list}. */
    public Map<String, List<InstanceRecord>> all() throws Exception {
        Map<String, List<InstanceRecord>> out = new TreeMap<>();
        for (String s : services()) {
            List<InstanceRecord> list = instances(s);
            if (!list.isEmpty()) {
                out.put(s, list);
            }
        }
        return out;
    }

    public List<PeerRecord> peers() throws Exception {
        List<PeerRecord> out = new ArrayList<>();
        for (String host : children(ZkPaths.PEERS)) {
            byte[] data = data(ZkPaths.peer(host));
            if (data != null) {
                out.add(PeerRecord.decode(data));
            }
        }
        return out;
    }

    /** The peer of one host, or null when none is registered. */
    public PeerRecord peer(String host) throws Exception {
        byte[] data = data(ZkPaths.peer(host));
        return data == null ? null : PeerRecord.decode(data);
    }

    /**
     * Watches one service's instances (CuratorCache): {@code added} for each instance already
     * there and each new one, {@code removed} when one goes. Works before the service exists.
     * Close the returned handle to stop watching.
     */
    public AutoCloseable watch(String service, InstanceListener listener) {
        String base = ZkPaths.service(service);
        CuratorCache cache = CuratorCache.build(client, base);
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreates(n -> {
                    if (isChild(base, n)) {
                        listener.added(InstanceRecord.decode(n.getData()));
                    }
                })
                .forDeletes(n -> {
                    if (isChild(base, n)) {
                        listener.removed(InstanceRecord.decode(n.getData()));
                    }
                })
                .forInitialized(listener::initialized)
                .build());
        cache.start();
        return cache::close;
    }

    private static boolean isChild(String base, ChildData n) {
        String p = n.getPath();
        return p.startsWith(base + "/") && p.indexOf('/', base.length() + 1) < 0;
    }

    private List<String> children(String path) throws Exception {
        try {
            List<String> c = new ArrayList<>(client.getChildren().forPath(path));
            c.sort(null);
            return c;
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    private byte[] data(String path) throws Exception {
        try {
            return client.getData().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }
}
