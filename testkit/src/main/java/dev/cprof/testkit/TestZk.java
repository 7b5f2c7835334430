package dev.cprof.testkit;

import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/** A real in-process ZooKeeper with short ticks, so expired sessions are cleaned up within seconds. */
public final class TestZk {
    public static final int SESSION_MS = 3000;
    /** The default tick: the server grants sessions of 0.5..5 s. */
    public static final int TICK_MS = 250;

    private TestZk() {}

    public static TestingServer server() throws Exception {
        return server(TICK_MS);
    }

    /** A server whose sessions may last 2 to 20 ticks of {@code tickMs}. */
    public static TestingServer server(int tickMs) throws Exception {
        InstanceSpec spec = new InstanceSpec(null, -1, -1, -1, true, -1, tickMs, -1);
        return new TestingServer(spec, true);
    }
}
