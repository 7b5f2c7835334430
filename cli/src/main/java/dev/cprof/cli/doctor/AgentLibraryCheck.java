package dev.cprof.cli.doctor;

import dev.cprof.agent.AgentLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The agent library extracts, and is an ELF shared object for this machine. */
public final class AgentLibraryCheck implements Check.Single {
    static final String NAME = "agent-library";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result result() throws IOException {
        Path lib;
        try {
            lib = AgentLibrary.path();
        } catch (IOException e) {
            return new Result(NAME, Status.FAIL, "cannot extract the agent: " + Probes.oneLine(e.getMessage()),
                    "build cprof with the native agent (mvn -B install needs gcc and make), and make "
                            + AgentLibrary.cacheDir() + " writable (or set XDG_CACHE_HOME)");
        }
        byte[] head = new byte[20];
        int n;
        try (InputStream in = Files.newInputStream(lib)) {
            n = in.readNBytes(head, 0, head.length);
        }
        String problem = Elf.problem(head, n, System.getProperty("os.arch", ""));
        if (problem != null) {
            return new Result(NAME, Status.FAIL, lib + ": " + problem,
                    "rebuild cprof on this platform (mvn -B install builds native-agent with gcc)");
        }
        // Other users' JVMs never read this file (root's home is 0700): they get a copy in their own /tmp, see agent-copy.
        return Result.ok(NAME, lib + " (ELF " + Elf.archName(System.getProperty("os.arch", "")) + ", "
                + Files.size(lib) / 1024 + " KiB)");
    }
}
