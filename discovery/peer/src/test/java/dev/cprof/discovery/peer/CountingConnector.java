package dev.cprof.discovery.peer;

import dev.cprof.wire.proto.StartRequest;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/** Wraps the real agent connector and counts what the peer asked it to open: proof of "nothing attached". */
final class CountingConnector implements AgentConnector {
    final AtomicInteger opened = new AtomicInteger();
    private final AgentConnector real;

    CountingConnector(AgentConnector real) {
        this.real = real;
    }

    @Override
    public AgentStream open(long pid, StartRequest start) throws IOException {
        opened.incrementAndGet();
        return real.open(pid, start);
    }

    /** Whether libcprof is mapped into the process: the agent really was (or was not) loaded. */
    static boolean agentLoaded(long pid) throws IOException {
        return java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "maps")).contains("libcprof");
    }
}
