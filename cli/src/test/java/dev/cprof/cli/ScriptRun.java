package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A script or command run as a real process for a test: its exit code, stdout and stderr. */
record ScriptRun(int code, String out, String err) {

    /** The last line written to stdout (the scripts print their result there). */
    String lastLine() {
        String[] lines = out.strip().split("\\R");
        return lines[lines.length - 1];
    }

    /** Starts {@code pb}, reads both streams to the end (stderr on its own thread) and waits. */
    static ScriptRun of(ProcessBuilder pb, long timeoutSeconds) throws Exception {
        Process p = pb.start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS), pb.command() + " ends");
        return new ScriptRun(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err.get(), StandardCharsets.UTF_8));
    }
}
