package dev.cprof.testkit;

import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/** A real in-process ZooKeeper with short ticks, so expired sessions are cleaned up within seconds. */
public final class TestZk {
    public static final int SESSION_MS = 3000;

    private TestZk() {}

    public static TestingServer server() throws Exception {
        InstanceSpec spec = new InstanceSpec(null, -1, -1, -1, true, -1, 250, -1);
        return new TestingServer(spec, true);
    }
}
