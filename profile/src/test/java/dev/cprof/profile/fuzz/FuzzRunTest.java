package dev.cprof.profile.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cprof.profile.fuzz.DecoderFuzzer.Target;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Coverage-guided fuzzing of each decoder with Jazzer (libFuzzer for the JVM), in a JVM of its own:
 * 20,000 inputs per target in the normal build, 1,000,000 under -Psoak (or -Dcprof.fuzz.runs=N).
 * A finding (an untyped exception, an OutOfMemoryError in a 512 MB heap, an input taking over 10 s)
 * fails the test and leaves the input in target/fuzz-findings; add it to src/test/fuzz/&lt;target&gt;
 * once fixed so FuzzCorpusTest keeps it fixed. New interesting inputs go to target/fuzz-corpus.
 */
class FuzzRunTest {
    private static final Pattern DONE = Pattern.compile("Done (\\d+) runs in (\\d+) second");

    static long runs() {
        return Long.getLong("cprof.fuzz.runs", Boolean.getBoolean("cprof.soak") ? 1_000_000 : 20_000);
    }

    /**
     * Two targets at a time (junit-platform.properties): each is one mostly single-threaded
     * process, so the pair takes the time of one on two cores. The only clock in it is
     * libFuzzer's 10 s per input, against inputs of milliseconds.
     */
    @ParameterizedTest
    @EnumSource(Target.class)
    @Execution(ExecutionMode.CONCURRENT)
    void decoderSurvivesCoverageGuidedFuzzing(Target target) throws IOException, InterruptedException {
        String name = target.name().toLowerCase(Locale.ROOT);
        Path generated = Files.createDirectories(Path.of("target/fuzz-corpus", name));
        Path findings = Files.createDirectories(Path.of("target/fuzz-findings"));
        Path log = findings.resolve(name + ".log");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-Dcprof.fuzz.target=" + name,
                "-cp", System.getProperty("java.class.path"),
                "com.code_intelligence.jazzer.Jazzer",
                "--target_class=" + DecoderFuzzer.class.getName(),
                "--instrumentation_includes=dev.cprof.**",
                "-runs=" + runs(), "-timeout=10", "-rss_limit_mb=2048", "-seed=" + (name.hashCode() & 0x7fffffff),
                "-artifact_prefix=" + findings.toAbsolutePath() + File.separator + name + "-",
                generated.toString(), FuzzCorpusTest.corpus(target).toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(Math.max(600, runs() / 500), TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("the fuzzer for " + name + " did not finish; see " + log.toAbsolutePath());
        }
        String output = Files.readString(log);
        assertEquals(0, p.exitValue(), () -> "fuzzing " + name + " found a failure:\n" + tail(output));
        Matcher done = DONE.matcher(output);
        long ran = done.find() ? Long.parseLong(done.group(1)) : -1;
        assertEquals(runs(), ran, () -> "the fuzzer for " + name + " did not run all inputs:\n" + tail(output));
        System.out.println("RELIABILITY: fuzz target=" + name + " inputs=" + ran + " seconds=" + done.group(2)
                + " findings=0");
    }

    private static String tail(String s) {
        return s.length() <= 6000 ? s : s.substring(s.length() - 6000);
    }
}
