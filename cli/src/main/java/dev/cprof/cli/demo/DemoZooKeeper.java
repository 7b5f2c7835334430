package dev.cprof.cli.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;

/**
 * The demo's ZooKeeper: the real server, standalone and in process, through ZooKeeper's own
 * {@link ZooKeeperServerEmbedded} (the zookeeper artifact Curator already needs), so the runnable
 * jar does not carry a test library for it. It listens on a free loopback port, keeps its data
 * in a temporary directory and deletes that directory when closed.
 */
public final class DemoZooKeeper implements AutoCloseable {
    private static final long START_TIMEOUT_MS = 30_000;

    private final Path dir;
    private final ZooKeeperServerEmbedded server;
    private final String connect;

    private DemoZooKeeper(Path dir, ZooKeeperServerEmbedded server, String connect) {
        this.dir = dir;
        this.server = server;
        this.connect = connect;
    }

    /** Starts the server; returns once it accepts clients. */
    public static DemoZooKeeper start() throws Exception {
        Path dir = Files.createTempDirectory("cprof-demo-zk");
        ZooKeeperServerEmbedded server = null;
        try {
            Properties config = new Properties();
            config.setProperty("clientPortAddress", "127.0.0.1");
            // 0: the kernel picks a free port while binding, so no other process can take it in between
            config.setProperty("clientPort", "0");
            // the tick curator-test's TestingServer used: the 10 s sessions cprof asks for are granted as they are
            config.setProperty("tickTime", "1000");
            // no HTTP admin server (ZooKeeper turns unknown keys into zookeeper.* system properties)
            config.setProperty("admin.enableServer", "false");
            server = ZooKeeperServerEmbedded.builder()
                    .baseDir(dir)
                    .configuration(config)
                    // a server failure must not System.exit() the CLI; the demo then fails on its own
                    .exitHandler(ExitHandler.LOG_ONLY)
                    .build();
            server.start(START_TIMEOUT_MS);
            return new DemoZooKeeper(dir, server, server.getConnectionString());
        } catch (Exception | Error e) {
            if (server != null) {
                server.close();
            }
            deleteTree(dir);
            throw e;
        }
    }

    /** {@code 127.0.0.1:port}. */
    public String connectString() {
        return connect;
    }

    /** Stops the server and deletes its data directory. */
    @Override
    public void close() {
        try {
            server.close();
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: a file left in the temporary directory is no reason to fail the demo
                }
            });
        } catch (IOException e) {
            // the same
        }
    }
}
