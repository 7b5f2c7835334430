package dev.cprof.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cprof.wire.Limits;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.Hello;
import dev.cprof.wire.proto.StartRequest;
import dev.cprof.wire.proto.Status;
import dev.cprof.wire.proto.Stop;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing (libFuzzer, with AddressSanitizer and UndefinedBehaviorSanitizer) of
 * the agent's decoder of control messages, the only bytes from outside that the agent parses
 * inside the target JVM. 10^6 inputs in the normal build (a few seconds), 2·10^7 under -Psoak
 * (-Dcprof.fuzz.runs=N to choose). Corpus: src/test/fuzz/decode; findings land in target/fuzz-findings.
 * Needs clang-14 and libclang-rt-14-dev (scripts/test.sh installs them); without them the test is
 * skipped, unless CPROF_REQUIRE_TOOLS is set, as in CI.
 */
class AgentDecoderFuzzTest {
    private static final Pattern DONE = Pattern.compile("Done (\\d+) runs in (\\d+) second");

    @Test
    void controlMessageDecoderSurvivesCoverageGuidedFuzzing() throws IOException, InterruptedException {
        long runs = Long.getLong("cprof.fuzz.runs", Boolean.getBoolean("cprof.soak") ? 20_000_000 : 1_000_000);
        Path log = Files.createDirectories(Path.of("target/fuzz-findings")).resolve("decode.log");
        int built = run(log, 300, "make", "-s", "fuzz");
        if (built != 0 && System.getenv("CPROF_REQUIRE_TOOLS") == null) {
            assumeTrue(false, "cannot build the libFuzzer target (clang-14 and libclang-rt-14-dev missing?)");
        }
        String buildLog = read(log);
        assertEquals(0, built, () -> "make fuzz failed:\n" + buildLog);

        Path seeds = writeSeeds(Path.of("target/fuzz-seeds/decode"));
        Path generated = Files.createDirectories(Path.of("target/fuzz-corpus/decode"));
        int exit = run(log, Math.max(600, runs / 20_000), "target/fuzz/decode_fuzzer",
                "-runs=" + runs, "-max_len=4096", "-timeout=10", "-rss_limit_mb=2048", "-seed=1",
                "-artifact_prefix=" + Path.of("target/fuzz-findings").toAbsolutePath() + File.separator + "decode-",
                generated.toString(), "src/test/fuzz/decode", seeds.toString());
        String output = read(log);
        assertEquals(0, exit, () -> "fuzzing the agent's decoder found a failure:\n" + output);
        Matcher done = DONE.matcher(output);
        long ran = done.find() ? Long.parseLong(done.group(1)) : -1;
        assertEquals(runs, ran, () -> "the fuzzer did not run all inputs:\n" + output);
        System.out.println("RELIABILITY: fuzz target=agent-decoder inputs=" + ran + " seconds=" + done.group(2) + " findings=0");
    }

    /** Valid control messages, the fuzzer's starting points (the committed corpus grows from them). */
    private static Path writeSeeds(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Envelope> seeds = List.of(
                Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(Limits.AGENT_PROTOCOL_VERSION)
                        .setClient("cprof-cli/0.1.0").setUser("ops").setPid(4242)).build(),
                Envelope.newBuilder().setStart(StartRequest.newBuilder().setSessionId("s-2026-11-25")
                        .addEvents(EventType.CPU).addEvents(EventType.WALL).addEvents(EventType.ALLOC).addEvents(EventType.LOCK)
                        .setIntervalNs(10_000_000).setAllocIntervalBytes(524_288).setLockThresholdNs(10_000_000)
                        .setDurationMs(30_000).setFlushIntervalMs(1000).setThreads(true).setLines(true)
                        .setWallThreadsPerTick(16).putOptions("wall_state", "true").putOptions("ring_records", "1024")).build(),
                Envelope.newBuilder().setStop(Stop.getDefaultInstance()).build(),
                Envelope.newBuilder().setStatus(Status.getDefaultInstance()).build());
        for (int i = 0; i < seeds.size(); i++) {
            Files.write(dir.resolve("seed-" + i), seeds.get(i).toByteArray());
        }
        return dir;
    }

    private static int run(Path log, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s:\n" + read(log));
        }
        return p.exitValue();
    }

    private static String read(Path log) {
        String s;
        try {
            s = Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
        return s.length() <= 6000 ? s : s.substring(s.length() - 6000);
    }
}
