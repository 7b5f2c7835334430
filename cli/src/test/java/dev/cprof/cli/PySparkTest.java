package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PySpark for real: a local[2] job whose Python UDF spends its time in score_order while the JVM
 * sorts; {@code attach --pid <driver JVM> --python} must show score_order and Spark's JVM frames in
 * one profile, and its view of one Python worker must agree with py-spy's (run at the same time on
 * the same worker) within 10 pp for the top 5 functions by self time. The Python stacks are
 * stitched beneath a JVM stack with a Spark Python runner frame ({@code org.apache.spark.api.python.}).
 *
 * <p>Needs a python with pyspark 3.5 and py-spy: {@code -Dcprof.test.pyspark=/path/to/python}, by
 * default ~/.cache/cprof-test/pyspark-venv/bin/python (make it with {@code python3 -m venv DIR &&
 * DIR/bin/pip install pyspark==3.5.3 py-spy}, ~40 s); skipped when absent. Takes ~45 s.
 */
class PySparkTest {
    @TempDir
    Path dir;

    @Test
    void scoreOrderAndSparkJvmFramesInOneProfileAgreeingWithPySpy() throws Exception {
        Path python = Path.of(System.getProperty("cprof.test.pyspark",
                System.getProperty("user.home") + "/.cache/cprof-test/pyspark-venv/bin/python"));
        Path pySpy = python.resolveSibling("py-spy");
        boolean present = Files.isExecutable(python) && Files.isExecutable(pySpy);
        if (!present && System.getenv("CPROF_REQUIRE_TOOLS") != null) {
            throw new AssertionError("no python with pyspark and py-spy at " + python + " (scripts/test.sh makes it)");
        }
        assumeTrue(present,
                "ASSUMPTION: no python with pyspark and py-spy at " + python + " (-Dcprof.test.pyspark); PySpark test skipped");
        Path job = dir.resolve("pyspark_job.py");
        try (InputStream in = PySparkTest.class.getResourceAsStream("/python/pyspark_job.py")) {
            Files.copy(in, job, StandardCopyOption.REPLACE_EXISTING);
        }
        ProcessBuilder pb = new ProcessBuilder(python.toString(), job.toString(), "60")
                .redirectError(dir.resolve("spark.log").toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process driver = pb.start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<long[]> started = CompletableFuture.supplyAsync(() -> {
                try {
                    long jvm = -1;
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.startsWith("jvm ")) {
                            jvm = Long.parseLong(line.substring(4).trim());
                        } else if (line.equals("ready")) {
                            return new long[] {jvm};
                        }
                    }
                    return new long[] {-1};
                } catch (IOException e) {
                    return new long[] {-1};
                }
            });
            long jvm = started.get(90, TimeUnit.SECONDS)[0];
            assertTrue(jvm > 0, "the PySpark driver did not start; see " + dir.resolve("spark.log"));

            Path out = dir.resolve("spark.collapsed");
            CompletableFuture<Cli.Result> cprof = CompletableFuture.supplyAsync(() ->
                    Cli.run("attach", "--pid", Long.toString(jvm), "--python", "-e", "cpu,wall", "-d", "20s", "-o", out.toString()));
            long worker = awaitWorker(jvm, 15_000);
            Path spy = dir.resolve("pyspy.txt");
            Process pyspy = new ProcessBuilder(pySpy.toString(), "record", "--format", "raw", "--nonblocking", "-r", "100",
                    "-d", "12", "-p", Long.toString(worker), "-o", spy.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("pyspy.log").toFile()).start();
            Cli.Result result = cprof.get(60, TimeUnit.SECONDS);
            assertTrue(pyspy.waitFor(30, TimeUnit.SECONDS), "py-spy ends");
            assertEquals(0, result.code(), result.err());

            List<String> lines = Files.readAllLines(out);
            assertTrue(AttachCommandTest.sum(lines, "score_order") > 0, "score_order in the profile");
            assertTrue(AttachCommandTest.sum(lines, "org.apache.spark.") > 0, "Spark's JVM frames in the same profile");
            // Stitched (Views.stitchPython): the UDF's stacks hang beneath a Spark Python runner
            // stack of the JVM, "JVM → [python pid N] → score_order", not at the top.
            List<String> scoreOrder = lines.stream().filter(l -> l.contains("score_order")).toList();
            for (String l : scoreOrder) {
                int at = l.indexOf(";[python pid ");
                assertTrue(at > 0 && l.substring(0, at).contains("org.apache.spark.api.python."),
                        "score_order beneath a Spark runner JVM stack: " + l);
            }
            System.out.println("PySpark stitched under: " + scoreOrder.get(0).substring(0, scoreOrder.get(0).indexOf(";[python pid ")));
            String prefix = "[python pid " + worker + "];";
            Map<String, Long> ours = new HashMap<>();
            for (String l : lines) {
                int at = l.indexOf(prefix);
                if (at >= 0) {
                    String stack = l.substring(0, l.lastIndexOf(' '));
                    ours.merge(function(stack.substring(stack.lastIndexOf(';') + 1).replace("_[py]", "")),
                            Long.parseLong(l.substring(l.lastIndexOf(' ') + 1)), Long::sum);
                }
            }
            Map<String, Long> theirs = new HashMap<>();
            for (String l : Files.readAllLines(spy)) {
                if (l.isBlank()) {
                    continue;
                }
                String stack = l.substring(0, l.lastIndexOf(' '));
                theirs.merge(function(stack.substring(stack.lastIndexOf(';') + 1)),
                        Long.parseLong(l.substring(l.lastIndexOf(' ') + 1)), Long::sum);
            }
            Map<String, Double> a = shares(ours);
            Map<String, Double> b = shares(theirs);
            List<String> top = b.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .limit(5).map(Map.Entry::getKey).toList();
            List<String> ourTop = a.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .limit(5).map(Map.Entry::getKey).toList();
            StringBuilder report = new StringBuilder("(cprof's own top 5: " + ourTop + ")\n");
            for (String f : top) {
                report.append(String.format("%-28s cprof %5.1f %%  py-spy %5.1f %%%n", f, a.getOrDefault(f, 0.0), b.get(f)));
            }
            System.out.printf("PySpark worker %d: cprof %d samples, py-spy %d samples; self time of the top 5:%n%s",
                    worker, ours.values().stream().mapToLong(Long::longValue).sum(),
                    theirs.values().stream().mapToLong(Long::longValue).sum(), report);
            assertTrue(top.contains("score_order"), "score_order among py-spy's top 5:\n" + report);
            for (String f : top) {
                assertEquals(b.get(f), a.getOrDefault(f, 0.0), 10.0, f + ":\n" + report);
            }
        } finally {
            driver.descendants().forEach(ProcessHandle::destroyForcibly);
            driver.destroyForcibly();
            driver.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** "job.score_order (job.py)" (cprof) or "score_order (/x/job.py:12)" (py-spy) → "score_order". */
    static String function(String frame) {
        int paren = frame.indexOf(" (");
        String name = paren < 0 ? frame : frame.substring(0, paren);
        return name.substring(name.lastIndexOf('.') + 1); // "<frozen zipimport>._read_directory" too
    }

    static Map<String, Double> shares(Map<String, Long> counts) {
        double total = counts.values().stream().mapToLong(Long::longValue).sum();
        Map<String, Double> out = new HashMap<>();
        counts.forEach((k, v) -> out.put(k, 100.0 * v / total));
        return out;
    }

    /** A PySpark worker: a python forked by the python daemon that the JVM started. */
    static long awaitWorker(long jvm, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            var found = ProcessHandle.of(jvm).stream().flatMap(ProcessHandle::descendants)
                    .filter(p -> p.parent().flatMap(pp -> pp.info().command()).map(c -> c.contains("python")).orElse(false))
                    .filter(p -> p.info().command().map(c -> c.contains("python")).orElse(false))
                    .findFirst();
            if (found.isPresent()) {
                return found.get().pid();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no PySpark worker under JVM " + jvm + " within " + timeoutMs + " ms");
    }
}
