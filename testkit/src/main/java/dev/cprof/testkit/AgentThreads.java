package dev.cprof.testkit;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The agent's threads in a target JVM, seen from /proc: whether it profiles right now. */
public final class AgentThreads {
    private AgentThreads() {}

    /** How many threads of {@code pid} are the agent's sampler (alive only while it profiles). */
    public static int samplers(long pid) {
        int n = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks) {
                try {
                    if (Files.readString(t.resolve("comm")).strip().equals("cprof-sampler")) {
                        n++;
                    }
                } catch (IOException e) {
                    // thread gone
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return n;
    }
}
