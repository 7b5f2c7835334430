package dev.cprof.agent;

import dev.cprof.wire.FrameReader;
import dev.cprof.wire.FrameWriter;
import dev.cprof.wire.Limits;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.Hello;
import dev.cprof.wire.proto.InstanceInfo;
import dev.cprof.wire.proto.StartRequest;
import dev.cprof.wire.proto.Status;
import dev.cprof.wire.proto.Stop;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;

/**
 * A client of one agent's control socket (plain frames, see cprof.proto):
 * <pre>
 * try (AgentClient c = AgentClient.connect(pid, Duration.ofSeconds(5))) {
 *     InstanceInfo info = c.start(StartRequest.newBuilder().addEvents(EventType.CPU).build());
 *     Envelope e;
 *     while ((e = c.next()) != null) { ... e.getBatch() ... }   // c.stop() from elsewhere ends it
 * }
 * </pre>
 * {@link #next()} blocks; {@link #stop()} and {@link #close()} may be called from another
 * thread while it does.
 */
public final class AgentClient implements Closeable {
    private final java.nio.channels.SocketChannel channel;
    private final FrameReader reader;
    private final FrameWriter writer;
    private InstanceInfo instance;

    private AgentClient(java.nio.channels.SocketChannel channel) {
        this.channel = channel;
        // Own stream adapters: Channels.newInputStream serializes reads and writes on JDK 17,
        // and a blocked next() must not hold up stop().
        this.reader = new FrameReader(new ChannelIn(channel), false);
        this.writer = new FrameWriter(new ChannelOut(channel), false);
    }

    /**
     * Connects to the agent of {@code pid}, retrying until {@code timeout} (a fresh attach may still
     * be binding). The socket's listener must run as the JVM's user: checked (SO_PEERCRED) before
     * one byte is sent, so a socket another user planted under the agent's name gets nothing.
     */
    public static AgentClient connect(long pid, Duration timeout) throws IOException {
        Path socket = socketPath(pid);
        JvmProcess jvm = new JvmProcess(pid);
        int jvmUid = jvm.uid();
        // a principal for a number: the JDK compares users by uid
        UserPrincipal jvmUser = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(Integer.toString(jvmUid));
        String jvmName = jvm.ownerName();
        return connect(socket, timeout, ch -> {
            // A link there (a container's /tmp, resolved from our root) could lead to any socket of the host.
            if (Files.isSymbolicLink(socket)) {
                throw new SquattedSocketException("refusing " + socket + ": it is a symbolic link, not the agent's socket"
                        + " (remove it as root and attach again)");
            }
            UserPrincipal listener = ch.getOption(ExtendedSocketOptions.SO_PEERCRED).user();
            if (!listener.equals(jvmUser)) {
                throw new SquattedSocketException(squatted(socket, pid, "user " + listener.getName(),
                        "uid " + jvmUid + (jvmName == null ? "" : " (" + jvmName + ")")));
            }
        });
    }

    /**
     * Null when the agent's socket of {@code pid} is absent or belongs to the JVM's user, else
     * why not (one line). Looks at the file itself, not through a link, before anything is
     * loaded or sent; {@link #connect(long, Duration)} checks the listener again, race free.
     */
    public static String socketOwnerProblem(long pid) throws IOException {
        Path socket = socketPath(pid);
        int fileUid;
        try {
            fileUid = (Integer) Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
        if (Files.isSymbolicLink(socket)) {
            return "refusing " + socket + ": it is a symbolic link, not the agent's socket (remove it as root and attach again)";
        }
        JvmProcess jvm = new JvmProcess(pid);
        int jvmUid = jvm.uid();
        if (fileUid == jvmUid) {
            return null;
        }
        String jvmName = jvm.ownerName();
        return squatted(socket, pid, "uid " + fileUid + " (" + Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS).getName() + ")",
                "uid " + jvmUid + (jvmName == null ? "" : " (" + jvmName + ")"));
    }

    private static String squatted(Path socket, long pid, String owner, String jvmOwner) {
        return "refusing " + socket + ": it belongs to " + owner + ", not to JVM " + pid + "'s " + jvmOwner
                + "; another user took the agent's socket name (or left it behind): remove it as root and attach again";
    }

    /** The agent's socket name is held by another user than the JVM's. */
    public static final class SquattedSocketException extends IOException {
        private static final long serialVersionUID = 1L;

        SquattedSocketException(String message) {
            super(message);
        }
    }

    /** Connects to whatever listens on {@code socket}, without checking who it is (tests, tools). */
    public static AgentClient connect(Path socket, Duration timeout) throws IOException {
        return connect(socket, timeout, ch -> { });
    }

    private interface ListenerCheck {
        void accept(java.nio.channels.SocketChannel ch) throws IOException;
    }

    private static AgentClient connect(Path socket, Duration timeout, ListenerCheck check) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        do {
            java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                ch.close();
                last = e;
                ch = null;
            }
            if (ch != null) {
                try {
                    check.accept(ch); // a squatter is not retried: the real agent cannot bind while it holds the name
                } catch (IOException | RuntimeException e) {
                    ch.close();
                    throw e;
                }
                return new AgentClient(ch);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while connecting to " + socket, e);
            }
        } while (System.nanoTime() < deadline);
        throw new IOException("no cprof agent listening on " + socket + ": " + (last == null ? "timeout" : last.getMessage()), last);
    }

    /**
     * The agent's socket for the JVM {@code pid}: {@code <java.io.tmpdir>/cprof-<pid>.sock} as the
     * JVM sees it. A JVM in another mount namespace (a container) is reached through
     * {@code /proc/<pid>/root}, and its socket carries its own pid (the last NSpid).
     */
    public static Path socketPath(long pid) throws IOException {
        Path proc = Path.of("/proc", Long.toString(pid));
        if (!Files.isDirectory(proc)) {
            throw new IOException("no process " + pid);
        }
        String tmpdir = tmpdirOf(proc);
        long nsPid = namespacePid(proc, pid);
        String name = "cprof-" + nsPid + ".sock";
        Path inJvm = Path.of(tmpdir).resolve(name);
        if (sameMountNamespace(proc)) {
            return inJvm;
        }
        return proc.resolve("root").resolve(Path.of("/").relativize(inJvm.toAbsolutePath()));
    }

    private static String tmpdirOf(Path proc) {
        try {
            String[] args = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).split("\0");
            String dir = null;
            for (String a : args) {
                if (a.startsWith("-Djava.io.tmpdir=")) {
                    dir = a.substring("-Djava.io.tmpdir=".length()); // the last one wins, as in the JVM
                }
            }
            if (dir != null && !dir.isEmpty()) {
                return dir.length() > 1 && dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
            }
        } catch (IOException e) {
            // unreadable cmdline: the default below
        }
        return "/tmp";
    }

    private static long namespacePid(Path proc, long pid) {
        try {
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[parts.length - 1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // old kernel without NSpid: same namespace
        }
        return pid;
    }

    private static boolean sameMountNamespace(Path proc) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).equals(Files.readSymbolicLink(proc.resolve("ns/mnt")));
        } catch (IOException | UnsupportedOperationException e) {
            return true; // cannot tell (other user): assume the common case
        }
    }

    /** Sends Hello and the request; returns the agent's InstanceInfo. Batches follow through {@link #next()}. */
    public InstanceInfo start(StartRequest request) throws IOException {
        writer.write(Envelope.newBuilder().setHello(Hello.newBuilder()
                .setProtocolVersion(Limits.AGENT_PROTOCOL_VERSION)
                .setClient("cprof-agent-client/0.1.0")
                .setUser(System.getProperty("user.name", ""))
                .setPid((int) ProcessHandle.current().pid())).build());
        writer.write(Envelope.newBuilder().setStart(request).build());
        Envelope e = reader.readRequired();
        if (e.hasError() && e.getError().getCode() == dev.cprof.wire.proto.Error.Code.BUSY) {
            throw new AgentException(e.getError().getMessage(), true); // "already being profiled by …"
        }
        if (e.hasError()) {
            throw new AgentException("agent refused to start: " + e.getError().getMessage());
        }
        if (!e.hasInstance()) {
            throw new AgentException("agent answered " + e.getMsgCase() + " instead of InstanceInfo");
        }
        instance = e.getInstance();
        return instance;
    }

    /** The InstanceInfo received by {@link #start}, or null before it. */
    public InstanceInfo instance() {
        return instance;
    }

    /** The next message (Batch, Status, Error), or null when the agent closed the stream. */
    public Envelope next() throws IOException {
        try {
            return reader.read();
        } catch (java.nio.channels.AsynchronousCloseException e) {
            return null; // closed by close() from another thread
        }
    }

    /**
     * The next message's bytes as the agent sent them (one serialized Envelope; {@link #parse}
     * reads it), or null when the agent closed the stream: a relay forwards batches unparsed.
     */
    public byte[] nextRaw() throws IOException {
        try {
            return reader.readRaw();
        } catch (java.nio.channels.AsynchronousCloseException e) {
            return null; // closed by close() from another thread
        }
    }

    /** A message from {@link #nextRaw()}; malformed bytes are a {@link dev.cprof.wire.WireException}. */
    public Envelope parse(byte[] message) throws IOException {
        return reader.parse(message);
    }

    /** Hands every message to {@code consumer} until the agent closes the stream. */
    public void forEach(Consumer<Envelope> consumer) throws IOException {
        Envelope e;
        while ((e = next()) != null) {
            consumer.accept(e);
        }
    }

    /** Asks for a Status; the answer arrives through {@link #next()}. */
    public void requestStatus() throws IOException {
        writer.write(Envelope.newBuilder().setStatus(Status.getDefaultInstance()).build());
    }

    /** Asks the agent to stop; it sends a final Batch and closes the stream. */
    public void stop() throws IOException {
        stop("client stop");
    }

    public void stop(String reason) throws IOException {
        writer.write(Envelope.newBuilder().setStop(Stop.newBuilder().setReason(reason)).build());
    }

    /** Closes the connection; an agent still profiling stops within a second. */
    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static final class ChannelIn extends InputStream {
        private final java.nio.channels.SocketChannel ch;
        private final ByteBuffer one = ByteBuffer.allocate(1);

        ChannelIn(java.nio.channels.SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public int read() throws IOException {
            one.clear();
            int n;
            do {
                n = ch.read(one);
            } while (n == 0);
            return n < 0 ? -1 : one.get(0) & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n;
            do {
                n = ch.read(ByteBuffer.wrap(b, off, len));
            } while (n == 0);
            return n;
        }
    }

    private static final class ChannelOut extends OutputStream {
        private final java.nio.channels.SocketChannel ch;

        ChannelOut(java.nio.channels.SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }
}
