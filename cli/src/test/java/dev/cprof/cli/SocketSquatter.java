package dev.cprof.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A hostile local user's listener on a victim JVM's agent socket name, run as that user by
 * {@link OtherUsersTest} (JDK only: it runs from a copy of the classes). It never answers, and
 * logs to a file what reaches it: "accepted N", "conn N bytes B" after each read, "closed N B".
 * Prints "ready" once it listens. Arguments: the socket path, the log file.
 */
public final class SocketSquatter {
    private SocketSquatter() {}

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        Path log = Path.of(args[1]);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        System.out.println("ready");
        System.out.flush();
        for (int n = 1; ; n++) {
            SocketChannel ch = server.accept();
            int conn = n;
            log(log, "accepted " + conn);
            Thread t = new Thread(() -> {
                long total = 0;
                ByteBuffer buf = ByteBuffer.allocate(4096);
                try (ch) {
                    int r;
                    while ((r = ch.read(buf.clear())) >= 0) {
                        total += r;
                        log(log, "conn " + conn + " bytes " + total);
                    }
                } catch (IOException e) {
                    // reset by the client: the total so far is the answer
                }
                log(log, "closed " + conn + " " + total);
            });
            t.setDaemon(true);
            t.start();
        }
    }

    private static synchronized void log(Path log, String line) {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND))) {
            w.println(line);
        } catch (IOException e) {
            System.out.println("cannot log: " + e);
        }
    }
}
