package dev.cprof.discovery.registry;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;

/**
 * Calls back once when a session znode that existed disappears (the CLI ended or its ZooKeeper
 * session expired). A session id whose node never existed (a CLI without ZooKeeper) is never
 * reported: there is nothing to audit and the TCP connection bounds its life.
 */
public final class SessionWatch implements AutoCloseable {
    private final CuratorCache cache;

    public SessionWatch(CuratorFramework client, String sessionId, Runnable onGone) {
        String path = ZkPaths.session(sessionId);
        AtomicBoolean seen = new AtomicBoolean();
        AtomicBoolean fired = new AtomicBoolean();
        cache = CuratorCache.build(client, path, CuratorCache.Options.SINGLE_NODE_CACHE);
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreates(n -> seen.set(true))
                .forDeletes(n -> {
                    if (seen.get() && fired.compareAndSet(false, true)) {
                        onGone.run();
                    }
                })
                .build());
        cache.start();
    }

    @Override
    public void close() {
        cache.close();
    }
}
