package dev.cprof.discovery.peer;

import dev.cprof.agent.AgentClient;
import dev.cprof.agent.AgentLibrary;
import dev.cprof.agent.Attacher;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.InstanceInfo;
import dev.cprof.wire.proto.StartRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The real thing: libcprof.so loaded by {@link Attacher} (jattach), spoken to by {@link AgentClient}. */
public final class NativeAgentConnector implements AgentConnector {
    /** A freshly loaded agent binds its socket from its own thread: give it time. */
    private static final Duration CONNECT_AFTER_ATTACH = Duration.ofSeconds(5);

    private final Path library;

    /** Uses the library carried in the native-agent jar (extracted once to the cache dir). */
    public NativeAgentConnector() throws IOException {
        this(AgentLibrary.path());
    }

    public NativeAgentConnector(Path library) {
        this.library = library;
    }

    @Override
    public AgentStream open(long pid, StartRequest start) throws IOException {
        AgentClient client = connectExisting(pid);
        if (client == null) {
            new Attacher(library).attach(pid, "");
            client = AgentClient.connect(pid, CONNECT_AFTER_ATTACH);
        }
        try {
            client.start(start);
        } catch (IOException e) {
            client.close();
            throw e;
        }
        return new Stream(client);
    }

    /** An agent loaded earlier (or with -agentpath) is reused, not loaded again. */
    private static AgentClient connectExisting(long pid) throws AgentClient.SquattedSocketException {
        try {
            Path socket = AgentClient.socketPath(pid);
            return Files.exists(socket) ? AgentClient.connect(pid, Duration.ZERO) : null;
        } catch (AgentClient.SquattedSocketException e) {
            throw e; // another user's socket: not to be attached around
        } catch (IOException e) {
            return null; // stale socket file of a dead agent, or unreadable: attach
        }
    }

    private record Stream(AgentClient client) implements AgentStream {
        @Override
        public InstanceInfo instance() {
            return client.instance();
        }

        @Override
        public Envelope next() throws IOException {
            return client.next();
        }

        @Override
        public byte[] nextRaw() throws IOException {
            return client.nextRaw();
        }

        @Override
        public Envelope parse(byte[] message) throws IOException {
            return client.parse(message);
        }

        @Override
        public void stop(String reason) throws IOException {
            client.stop(reason);
        }

        @Override
        public void close() throws IOException {
            client.close();
        }
    }
}
