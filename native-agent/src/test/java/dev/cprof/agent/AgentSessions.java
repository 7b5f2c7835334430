package dev.cprof.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.StartRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;

/** What the agent tests share: the library under test, start requests, reading a session to its end. */
final class AgentSessions {
    static final String WORKLOAD = "dev.cprof.agent.workload.";
    static final long MS = 1_000_000L;

    private AgentSessions() {}

    /** The library under test: this build's, or {@code -Dcprof.test.lib} (e.g. an earlier build, to compare). */
    static Path library() throws IOException {
        String other = System.getProperty("cprof.test.lib");
        return other != null ? Path.of(other) : AgentLibrary.extract(Path.of("target", "agent-cache").toAbsolutePath());
    }

    static StartRequest.Builder request(EventType... events) {
        StartRequest.Builder b = StartRequest.newBuilder().setSessionId("test").setIntervalNs(10 * MS);
        for (EventType e : events) {
            b.addEvents(e);
        }
        return b;
    }

    /**
     * Reads batches for at least {@code min}, until {@code enough} or {@code max}, then asks for
     * the agent's Status (kept in {@link DecodedProfile#status}), stops and drains.
     */
    static DecodedProfile collect(AgentClient c, Duration min, Duration max, Predicate<DecodedProfile> enough) throws IOException {
        DecodedProfile p = new DecodedProfile();
        long start = System.nanoTime();
        boolean stopped = false;
        Envelope e;
        while ((e = c.next()) != null) {
            if (e.hasBatch()) {
                p.add(e.getBatch());
            }
            if (e.hasStatus()) {
                p.status = e.getStatus();
            }
            if (e.hasError()) {
                throw new AssertionError("agent error: " + e.getError().getMessage());
            }
            long elapsed = System.nanoTime() - start;
            if (!stopped && elapsed >= min.toNanos() && (enough.test(p) || elapsed >= max.toNanos())) {
                c.requestStatus();
                c.stop();
                stopped = true;
            }
        }
        assertTrue(stopped, "the agent closed the stream before Stop");
        return p;
    }
}
