package dev.cprof.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cprof.wire.proto.FrameKind;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Samples real CPython processes; every interpreter found on the machine is exercised. */
class PythonSamplerTest {

    static List<String> pythons() {
        return Pythons.supported();
    }

    @ParameterizedTest
    @MethodSource("pythons")
    void measuresTheCpuSplitOfHotAAndHotB(String python) throws Exception {
        Process p = Pythons.startSplit(python, 10);
        try (PythonSampler sampler = new PythonSampler(Duration.ofMillis(10), true, true)) {
            String version = sampler.add((int) p.pid());
            sampler.start();
            DecodedStream stream = new DecodedStream();
            // 5 s at 100 Hz: ~500 samples put the binomial error at ~2 pp, so ±5 pp holds even
            // when the 2-core box is loaded (3 s measured a 3.3 pp spread at load 8).
            for (int i = 0; i < 5; i++) { // flushed every second, as the peer does
                Thread.sleep(1000);
                stream.accept(sampler.flush((int) p.pid()));
            }
            long a = stream.containing(".hot_a ");
            long b = stream.containing(".hot_b ");
            double share = 100.0 * a / (a + b);
            System.out.printf("python %s: %d samples, hot_a %.1f %% of %d hot samples, %d dropped%n",
                    version, stream.total(), share, a + b, stream.dropped);
            assertTrue(a + b >= 250, "too few samples: " + stream.counts);
            assertEquals(75.0, share, 5.0, "hot_a share, python " + version);

            String hotStack = stream.counts.keySet().stream().filter(s -> s.contains(".hot_a ")).findFirst().orElseThrow();
            assertTrue(hotStack.startsWith("[python pid " + p.pid() + "];"), hotStack);
            assertTrue(hotStack.contains("split.main (split.py)") && hotStack.contains("split.work (split.py)"), hotStack);
            // The leaf is spin's busy loop (the while line or its body); lines come from the location table.
            int loop = lineOf("while time.process_time() < end:");
            long inLoop = stream.containing("split.spin (split.py):" + loop) + stream.containing("split.spin (split.py):" + (loop + 1));
            assertTrue(inLoop >= 0.9 * (a + b), "spin's loop lines " + loop + ".." + (loop + 1) + ": " + stream.counts);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aProcessThatExitsEndsItsStreamAndKeepsItsData() throws Exception {
        Process p = Pythons.startSplit("python3", 0.8);
        int pid = (int) p.pid();
        AtomicReference<String> ended = new AtomicReference<>();
        try (PythonSampler sampler = new PythonSampler(Duration.ofMillis(10), false, false)) {
            sampler.onEnded((endedPid, reason) -> ended.set(endedPid + " " + reason));
            sampler.add(pid);
            sampler.start();
            assertNull(sampler.endReason(pid));
            Pythons.await("the sampler to notice the exit", 10_000, () -> sampler.endReason(pid) != null);
            p.waitFor();
            assertEquals("exited", sampler.endReason(pid));
            assertEquals(pid + " exited", ended.get());

            DecodedStream stream = new DecodedStream();
            stream.accept(sampler.flush(pid));
            assertTrue(stream.containing("split.hot_a (split.py)") > 0, "data before the exit is kept: " + stream.counts);
            assertTrue(stream.counts.keySet().stream().allMatch(s -> s.startsWith("split.<module> (split.py)")),
                    "no root frame when not asked: " + stream.counts.keySet());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aProcessThatIsNotPythonIsRefusedClearly() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "30").start();
        try (PythonSampler sampler = new PythonSampler(Duration.ofMillis(10), false, false)) {
            Pythons.await("sleep to exec", 5000, () -> sleep.info().command().orElse("").endsWith("sleep"));
            PythonAttachException e = assertThrows(PythonAttachException.class, () -> sampler.add((int) sleep.pid()));
            assertEquals("pid " + sleep.pid() + " (sleep) is not a CPython process"
                    + " (no _PyRuntime symbol in its executable or a libpython)", e.getMessage());
            assertTrue(sampler.pids().isEmpty());
        } finally {
            sleep.destroyForcibly();
        }
    }

    @Test
    void anOlderPythonIsRefusedWithItsVersion() throws Exception {
        String old = Pythons.pyenv("3.10").orElse(null);
        assumeTrue(old != null, "no python 3.10 installed");
        Process p = Pythons.startSplit(old, 10);
        try {
            PythonAttachException e = assertThrows(PythonAttachException.class, () -> PythonProcess.attach((int) p.pid()));
            assertEquals("python 3.10 is not supported (3.11–3.13 are)", e.getMessage());
        } finally {
            p.destroyForcibly();
        }
    }

    /** The distribution's own python (often a non-PIE, stripped static build) reads the same. */
    @Test
    void aNonPieSystemPythonIsReadable() throws Exception {
        String system = "/usr/bin/python3";
        assumeTrue(Files.isExecutable(java.nio.file.Path.of(system)), "no " + system);
        assumeTrue(List.of("3.11", "3.12", "3.13").contains(Pythons.version(system)), "unsupported system python");
        Process p = Pythons.startSplit(system, 10);
        try (PythonProcess reader = PythonProcess.attach((int) p.pid())) {
            PythonProcess.Snapshot s = reader.sample(tid -> true);
            assertEquals(1, s.stacks().size(), s.toString());
            List<PythonFrame> frames = s.stacks().get(0).frames();
            assertEquals("split.<module> (split.py)", frames.get(0).displayName());
            assertEquals("spin", frames.get(frames.size() - 1).qualname());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void rootFrameIsAPseudoFrame() throws Exception {
        Process p = Pythons.startSplit("python3", 10);
        try (PythonSampler sampler = new PythonSampler(Duration.ofMillis(10), true, false)) {
            int pid = (int) p.pid();
            sampler.add(pid);
            sampler.start();
            Pythons.await("a sample", 5000, () -> sampler.samples(pid) > 0);
            var batch = sampler.flush(pid);
            assertEquals(FrameKind.PSEUDO, batch.getNewFrames(0).getKind());
            assertEquals("[python pid " + p.pid() + "]", batch.getNewStrings(batch.getNewFrames(0).getName()));
            assertEquals(FrameKind.PYTHON, batch.getNewFrames(1).getKind());
        } finally {
            p.destroyForcibly();
        }
    }

    private static int lineOf(String text) throws Exception {
        List<String> lines = Files.readAllLines(Pythons.splitScript());
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i + 1;
            }
        }
        throw new AssertionError(text + " not in split.py");
    }
}
