package dev.cprof.discovery.registry;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
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
    /**
     * How long a process that is ending tries to delete its nodes. Curator retries a delete for
     * about 49 s while ZooKeeper is unreachable; an ending process need not wait: its nodes are
     * ephemeral and go with its ZooKeeper session (closed by the client's close, or expired).
     */
    public static final long SHUTDOWN_DELETE_MS = 1_000;

    private final CuratorFramework client;
    private final PersistentNode node;

    public EphemeralNode(CuratorFramework client, String path, byte[] data) {
        this.client = client;
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

    /** Deletes the node (retrying while ZooKeeper is away): for a process that goes on running. */
    @Override
    public void close() {
        try {
            node.close();
        } catch (IOException e) {
            // the node dies with the session anyway
        }
    }

    /**
     * Closes {@code nodes} for a process (or session) that is ending: each is deleted while
     * ZooKeeper answers, within {@code waitMs} in all; while it does not, the delete is given up
     * at once. The recipes are closed either way, so none re-creates its node.
     */
    public static void closeAll(Collection<EphemeralNode> nodes, long waitMs) {
        List<EphemeralNode> todo = List.copyOf(nodes);
        if (todo.isEmpty()) {
            return;
        }
        Thread t = new Thread(() -> {
            for (EphemeralNode n : todo) {
                if (!n.client.getZookeeperClient().isConnected()) {
                    // an interrupted Curator call fails at once instead of waiting for a connection
                    Thread.currentThread().interrupt();
                }
                n.close();
            }
        }, "cprof-zk-delete");
        t.setDaemon(true);
        t.start();
        try {
            t.join(waitMs);
            if (t.isAlive()) {
                t.interrupt(); // ZooKeeper stopped answering midway
                t.join(waitMs);
            }
        } catch (InterruptedException e) {
            t.interrupt();
            Thread.currentThread().interrupt();
        }
    }
}
