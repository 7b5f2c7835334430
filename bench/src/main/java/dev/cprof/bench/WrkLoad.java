package dev.cprof.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs wrk (Debian's) against a URL on loopback and reads its requests/s and p99 latency. */
final class WrkLoad {
    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern P99 = Pattern.compile("\\s99%\\s+([0-9.]+)(us|ms|s)");

    record Result(double requestsPerSec, double p99Ms, List<String> command) {}

    private WrkLoad() {}

    /** wrk with 2 threads and 16 connections for SECONDS; its output goes to LOG. */
    static Result run(String wrk, String url, int seconds, Path log) throws IOException, InterruptedException {
        List<String> cmd = command(wrk, url, seconds);
        Process p = start(cmd, log);
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException("wrk did not end: " + String.join(" ", cmd));
        }
        String out = Files.readString(log);
        Matcher rps = RPS.matcher(out);
        Matcher p99 = P99.matcher(out);
        if (p.exitValue() != 0 || !rps.find() || !p99.find()) {
            throw new IOException("wrk failed (exit " + p.exitValue() + "): " + out);
        }
        double v = Double.parseDouble(p99.group(1));
        double ms = switch (p99.group(2).toLowerCase(Locale.ROOT)) {
            case "us" -> v / 1000;
            case "s" -> v * 1000;
            default -> v;
        };
        return new Result(Double.parseDouble(rps.group(1)), ms, cmd);
    }

    /** wrk with 2 threads and 16 connections for SECONDS. */
    static List<String> command(String wrk, String url, int seconds) {
        return List.of(wrk, "-t2", "-c16", "-d" + seconds + "s", "--latency", url);
    }

    /** Starts CMD (from {@link #command}) in the background, its output into LOG: load for a caller that ends it itself. */
    static Process start(List<String> cmd, Path log) throws IOException {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
