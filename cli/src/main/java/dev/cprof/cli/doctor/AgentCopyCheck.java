package dev.cprof.cli.doctor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where a JVM of another user (or in a container) loads the agent from: a root-owned, read-only
 * copy in its /tmp (Attacher, TargetCopy). That needs a /tmp nobody else can swap files in
 * (sticky, or writable by its owner only) and that allows mapping code (not mounted noexec).
 */
public final class AgentCopyCheck implements Check.Single {
    static final String NAME = "agent-copy";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result result() throws IOException {
        Path tmp = Path.of("/tmp");
        int mode = (Integer) Files.getAttribute(tmp, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        String use = "JVMs of other users and in containers load the agent from a read-only copy in their own /tmp";
        if ((mode & 0022) != 0 && (mode & 01000) == 0) {
            return new Result(NAME, Status.WARN, "/tmp is writable by other users and not sticky (mode "
                    + Integer.toOctalString(mode & 07777) + "): cprof will not copy the agent there, so only JVMs of your own user can be attached",
                    "chmod 1777 /tmp");
        }
        Optional<String> options = Mounts.options(tmp.toRealPath().toString());
        if (options.isPresent() && List.of(options.get().split(",")).contains("noexec")) {
            return new Result(NAME, Status.WARN, "/tmp is mounted noexec: " + use + ", and cannot map it from there,"
                    + " so only JVMs of your own user in this mount namespace can be attached",
                    "remount /tmp without noexec, or load the agent at start (-agentpath:libcprof.so) in the other users' JVMs");
        }
        return Result.ok(NAME, use + " (/tmp: mode " + Integer.toOctalString(mode & 07777) + ", not noexec)");
    }
}
