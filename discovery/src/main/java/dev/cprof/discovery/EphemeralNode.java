package dev.cprof.discovery;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;

/**
 * One ephemeral znode that stays while this object is open: Curator's PersistentNode recipe
 * (EPHEMERAL mode) recreates it after session expiry or deletion by someone else, and creates
 * missing parents as container nodes, which ZooKeeper removes once they are empty.
 */
public final class EphemeralNode implements AutoCloseable {
    private final PersistentNode node;

    public EphemeralNode(CuratorFramework client, String path, byte[] data) {
        this.node = new PersistentNode(client, CreateMode.EPHEMERAL, false, path, data);
        node.start();
    }

    public String path() {
        return node.getActualPath() != null ? node.getActualPath() : "";
    }

    /** Waits until the node exists the first time; false on timeout (it keeps trying in the background). */
    public boolean awaitCreated(long timeoutMs) throws InterruptedException {
        return node.waitForInitialCreate(timeoutMs, TimeUnit.MILLISECONDS);
    }

    public void setData(byte[] data) throws Exception {
        node.setData(data);
    }

    @Override
    public void close() {
        try {
            node.close();
        } catch (IOException e) {
            // the node dies with the session anyway
        }
    }
}
