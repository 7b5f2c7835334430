package dev.cprof.agent;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A minimal client of the agent's control socket, run as another user by {@link AgentSocketUidTest}
 * (so it uses the JDK only: that user cannot read the Maven repository). It sends Hello and a
 * Status request, as cprof's own probe does, and prints one word for what happened:
 * {@code refused} (connect failed), {@code closed} (connected, then end of stream without one
 * byte), {@code answered} (the agent replied), {@code silent} (no reply within 3 s).
 * Arguments: the socket path and the protocol version.
 */
public final class SocketProbe {
    private SocketProbe() {}

    public static void main(String[] args) throws Exception {
        int version = Integer.parseInt(args[1]);
        byte[] request = {4, 0x0a, 2, 0x08, (byte) version, 2, 0x62, 0x00}; // Envelope{hello{v}}, Envelope{status{}}
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(Path.of(args[0])));
        } catch (IOException e) {
            System.out.println("refused " + e.getMessage());
            return;
        }
        try (ch) {
            try {
                ch.write(ByteBuffer.wrap(request));
            } catch (IOException e) {
                System.out.println("closed (write: " + e.getMessage() + ")");
                return;
            }
            // UNIX channels have no socket timeout: a reader thread and join bound the wait
            InputStream in = Channels.newInputStream(ch);
            int[] first = {-2};
            Thread reader = new Thread(() -> {
                try {
                    first[0] = in.read();
                } catch (IOException e) {
                    first[0] = -1;
                }
            });
            reader.setDaemon(true);
            reader.start();
            reader.join(3000);
            System.out.println(first[0] == -2 ? "silent" : first[0] < 0 ? "closed" : "answered");
        }
    }
}
