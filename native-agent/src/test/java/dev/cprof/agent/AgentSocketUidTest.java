package dev.cprof.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cprof.agent.workload.Light;
import dev.cprof.wire.Limits;
import dev.cprof.wire.proto.Envelope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The agent's control socket refuses a client of another uid, in both of its layers: the socket
 * file's mode (0600: connect() fails with EACCES) and, should the mode ever be wider, the agent's
 * SO_PEERCRED check (control_clients.c peer_allowed: the connection is closed before one byte is
 * read or written). The client runs as uid/gid 65534 (nobody) through util-linux's setpriv; the same
 * client as root is the positive control. Needs root (CI runs as root, so there it must run).
 */
class AgentSocketUidTest {
    private static final String NOBODY = "65534";

    @Test
    void aClientOfAnotherUidIsRefusedByTheSocketModeAndBySoPeercred() throws Exception {
        boolean root = "0".equals(run(List.of("id", "-u")).strip());
        boolean setpriv = Files.isExecutable(Path.of("/usr/bin/setpriv"));
        if (!root || !setpriv) {
            String msg = "the socket uid test needs " + (root ? "" : "root ") + (setpriv ? "" : "setpriv (util-linux)");
            String ci = System.getenv("CI");
            assertFalse(ci != null && !ci.isEmpty() && !ci.equals("false"), msg + " (CI is set: this must run here)");
            assumeTrue(false, "ASSUMPTION: " + msg + "; skipped");
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        try (TargetJvm jvm = TargetJvm.start(java, List.of(), Light.class)) {
            jvm.attach(AgentLibrary.extract(Path.of("target", "agent-cache").toAbsolutePath()), "");
            Path socket = AgentClient.socketPath(jvm.pid());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)), "socket mode");

            assertEquals("answered", probe(java, socket, false), "root, the JVM's own uid here, is served (positive control)");
            String byMode = probe(java, socket, true);
            assertTrue(byMode.startsWith("refused"), "another uid cannot connect to a 0600 socket: " + byMode);

            // Defence in depth: with the file opened up, the agent itself must still refuse the other uid.
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
            String byCred = probe(java, socket, true);
            // closed at once: the probe sees end of stream, or its request already fails with a broken pipe
            assertTrue(byCred.startsWith("closed"), "SO_PEERCRED: closed without a reply: " + byCred);
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));

            // the agent keeps serving its own user, and nothing was started for the refused clients
            try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(5))) {
                c.requestStatus();
                Envelope status = c.next();
                assertTrue(status.hasStatus(), status.toString());
                assertFalse(status.getStatus().getProfiling(), "no session was started by a refused client");
            }
            assertFalse(jvm.threadNames().contains("cprof-sampler"), "not sampling");
            assertTrue(jvm.isAlive());
            System.out.println("RELIABILITY: security-agent-socket clients=3 (root control, uid 65534 on the 0600 socket,"
                    + " uid 65534 on the socket opened to 0666) root=answered mode_layer=" + byMode.split(" ")[0]
                    + " so_peercred_layer=" + byCred.split(" ")[0] + " bytes_to_other_uid=0 sessions_started=0");
        }
    }

    /** Runs {@link SocketProbe} against the socket, as uid/gid 65534 when {@code nobody}; its one-line verdict. */
    private static String probe(Path java, Path socket, boolean nobody) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (nobody) {
            cmd.addAll(List.of("/usr/bin/setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        }
        cmd.addAll(List.of(java.toString(), "-XX:-UsePerfData", "-Xmx32m", "-cp", TargetJvm.testClasses().toString(),
                SocketProbe.class.getName(), socket.toString(), Integer.toString(Limits.AGENT_PROTOCOL_VERSION)));
        String out = run(cmd).strip();
        String last = out.isEmpty() ? "" : out.substring(out.lastIndexOf('\n') + 1);
        assertTrue(last.matches("(refused|closed|answered|silent).*"), "probe output: " + out);
        return last;
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return out;
    }
}
