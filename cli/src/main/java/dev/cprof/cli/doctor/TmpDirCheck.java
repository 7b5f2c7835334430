package dev.cprof.cli.doctor;

import dev.cprof.cli.ErrorHandler;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** This JVM's java.io.tmpdir takes files and Unix sockets, as the agent's control socket needs in each JVM. */
public final class TmpDirCheck implements Check.Single {
    static final String NAME = "tmpdir";
    /** sun_path of a Unix socket holds 108 bytes, the terminating NUL included. */
    private static final int SUN_PATH_MAX = 107;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result result() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        if (!Files.isDirectory(tmp)) {
            return new Result(NAME, Status.FAIL, tmp + " does not exist",
                    "create it, or point java.io.tmpdir elsewhere (CPROF_JAVA_OPTS=-Djava.io.tmpdir=DIR)");
        }
        Path file;
        try {
            file = Files.createTempFile(tmp, "cprof-doctor-", ".tmp");
            Files.delete(file);
        } catch (IOException e) {
            return new Result(NAME, Status.FAIL, tmp + " is not writable: " + ErrorHandler.describe(e),
                    "fix its permissions (chmod 1777 " + tmp + " for a shared /tmp)");
        }
        Path sock = tmp.resolve("cprof-doctor-" + ProcessHandle.current().pid() + ".sock");
        int len = sock.toString().getBytes(StandardCharsets.UTF_8).length;
        if (len > SUN_PATH_MAX) {
            return new Result(NAME, Status.FAIL, "socket paths in " + tmp + " are too long (" + len + " > "
                    + SUN_PATH_MAX + " bytes)", "use a shorter java.io.tmpdir");
        }
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(sock));
        } catch (IOException | UnsupportedOperationException e) {
            return new Result(NAME, Status.FAIL, "cannot create a Unix socket in " + tmp + ": " + Probes.oneLine(String.valueOf(e.getMessage())),
                    "the agent's control socket lives in the JVM's java.io.tmpdir: it must be a local file system"
                            + " that allows sockets");
        } finally {
            Files.deleteIfExists(sock);
        }
        return Result.ok(NAME, tmp + " is writable and takes Unix sockets (the agent's control socket lives in"
                + " each JVM's java.io.tmpdir)");
    }
}
