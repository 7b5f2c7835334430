package dev.cprof.discovery.peer;

import com.google.protobuf.ByteString;
import dev.cprof.wire.FrameReader;
import dev.cprof.wire.FrameWriter;
import dev.cprof.wire.Limits;
import dev.cprof.wire.RelayedBatch;
import dev.cprof.wire.proto.AttachRequest;
import dev.cprof.wire.proto.AuthResponse;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.Hello;
import dev.cprof.wire.proto.StartRequest;
import dev.cprof.wire.proto.Stop;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Collection;
import java.util.function.Consumer;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The CLI's side of the peer protocol:
 * <pre>
 * try (PeerClient c = PeerClient.connect("host", 7878, PeerSecurity.token(t), Duration.ofSeconds(5))) {
 *     c.attach(List.of("host:1234"), start);
 *     Envelope e;
 *     while ((e = c.next()) != null) { instance / batch / error / instance_ended }
 * }
 * </pre>
 * Call {@link #attach} again at any time for instances that joined; {@link #stop()} ends the
 * session: the peer relays the agents' last batches and then closes, so {@link #next()} returns
 * null. {@link #next()} is for one reader thread; attach and stop may come from others.
 */
public final class PeerClient implements AutoCloseable {
    public static final String CLIENT = "cprof-cli/0.1.0";

    private final Socket socket;
    private final FrameReader in;
    private final FrameWriter out;

    private PeerClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new FrameReader(new BufferedInputStream(socket.getInputStream()), true);
        this.out = new FrameWriter(new BufferedOutputStream(socket.getOutputStream()), true);
    }

    /** Connects and authenticates; a refusal is a {@link PeerAuthException} with the peer's reason. */
    public static PeerClient connect(String host, int port, PeerSecurity security, Duration timeout) throws IOException {
        Socket s;
        if (security.tls() != null) {
            SSLSocket ssl = (SSLSocket) security.tls().getSocketFactory().createSocket();
            SSLParameters params = ssl.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS"); // the peer's certificate must name its host
            ssl.setSSLParameters(params);
            s = ssl;
        } else {
            s = new Socket();
        }
        try {
            s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            s.setTcpNoDelay(true);
            s.setKeepAlive(true);
            s.setSoTimeout((int) timeout.toMillis());
            PeerClient c = new PeerClient(s);
            c.handshake(security.token());
            s.setSoTimeout(0);
            return c;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void handshake(byte[] token) throws IOException {
        String user = System.getProperty("user.name", "");
        out.write(Envelope.newBuilder().setHello(Hello.newBuilder()
                .setProtocolVersion(Limits.PROTOCOL_VERSION)
                .setClient(CLIENT)
                .setUser(user)
                .setHost(localHost())
                .setPid((int) ProcessHandle.current().pid())).build());
        Envelope e = in.readRequired();
        if (e.hasChallenge()) {
            if (token == null) {
                throw new PeerAuthException("the peer requires a token (--token-file)");
            }
            byte[] clientNonce = HmacAuth.nonce();
            byte[] mac = HmacAuth.mac(token, e.getChallenge().getServerNonce().toByteArray(), clientNonce, user);
            out.write(Envelope.newBuilder().setAuthResponse(AuthResponse.newBuilder()
                    .setClientNonce(ByteString.copyFrom(clientNonce))
                    .setMac(ByteString.copyFrom(mac))).build());
            e = in.readRequired();
        }
        if (!e.hasAuthResult()) {
            throw new PeerAuthException("the peer answered " + e.getMsgCase() + " instead of an authentication result");
        }
        if (!e.getAuthResult().getOk()) {
            throw new PeerAuthException("the peer refused us: " + e.getAuthResult().getReason());
        }
    }

    /** Asks the peer to attach {@code instanceKeys} ({@code <host>:<pid>}) with {@code start}. */
    public void attach(Collection<String> instanceKeys, StartRequest start) throws IOException {
        out.write(Envelope.newBuilder().setAttach(AttachRequest.newBuilder().setStart(start).addAllInstanceKeys(instanceKeys)).build());
    }

    /**
     * The next relayed message (instance, batch, error, instance_ended), or null when the peer closed.
     * A batch names its instance in {@code relay_instance_id}. The peer relays an agent's batch
     * without parsing it, so a batch that does not parse comes back as an Error{INTERNAL} of its
     * instance (as the peer reports an agent stream that broke): that instance fails, the
     * connection and its other instances go on. Any other malformed message is an IOException.
     */
    public Envelope next() throws IOException {
        try {
            byte[] message = in.readRaw();
            if (message == null) {
                return null;
            }
            return RelayedBatch.decode(in, message);
        } catch (java.net.SocketException e) {
            if (socket.isClosed()) {
                return null; // closed by close() from another thread
            }
            throw e;
        }
    }

    /** Hands every message to {@code consumer} until the peer closes the connection. */
    public void forEach(Consumer<Envelope> consumer) throws IOException {
        Envelope e;
        while ((e = next()) != null) {
            consumer.accept(e);
        }
    }

    /** Ends profiling of everything on this connection; last batches still arrive through {@link #next()}. */
    public void stop() throws IOException {
        out.write(Envelope.newBuilder().setStop(Stop.getDefaultInstance()).build());
    }

    /** Ends one session's profiling, keeping the connection. */
    public void stop(String sessionId) throws IOException {
        out.write(Envelope.newBuilder().setStop(Stop.newBuilder().setSessionId(sessionId)).build());
    }

    /** Compressed bytes received so far, for the progress line. */
    public long bytesRead() {
        return in.bytesRead();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private static String localHost() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "";
        }
    }

    /** The peer refused to authenticate us. */
    public static final class PeerAuthException extends IOException {
        private static final long serialVersionUID = 1L;

        public PeerAuthException(String message) {
            super(message);
        }
    }
}
