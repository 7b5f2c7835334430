package dev.cprof.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Reading a target whose stacks change under us: drops are counted, nothing escapes. */
class PythonRaceTest {

    @Test
    void aChurningStackYieldsWellFormedStacksOrCountedDrops() throws Exception {
        Process p = Pythons.start("python3", "churn.py", "20", "60");
        try (PythonProcess reader = PythonProcess.attach((int) p.pid())) {
            int stacks = 0;
            int dropped = 0;
            boolean sawSleeper = false;
            for (int i = 0; i < 1500; i++) { // back to back: as racy as it gets
                PythonProcess.Snapshot s = reader.sample(tid -> true);
                dropped += s.droppedThreads();
                for (PythonStack st : s.stacks()) {
                    stacks++;
                    String root = st.frames().get(0).displayName();
                    assertTrue(root.equals("churn.<module> (churn.py)") || root.equals("threading.Thread._bootstrap (threading.py)"), root);
                    assertTrue(st.frames().size() <= PythonProcess.MAX_DEPTH);
                    sawSleeper |= st.frames().stream().anyMatch(f -> f.qualname().equals("sleeper"));
                }
            }
            System.out.printf("churn: %d stacks, %d dropped, %d reads%n", stacks, dropped, reader.reads());
            assertTrue(stacks > 1500, "both threads are read: " + stacks);
            assertTrue(sawSleeper, "the sleeping thread has a stack too");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void tooDeepStacksAreDroppedAndIdleThreadsSkipped() throws Exception {
        Process p = Pythons.start("python3", "churn.py", "20", "400");
        int pid = (int) p.pid();
        try (PythonSampler sampler = new PythonSampler(Duration.ofMillis(5), false, false)) {
            sampler.add(pid);
            sampler.start();
            Pythons.await("samples and drops", 10_000, () -> sampler.samples(pid) > 20 && sampler.dropped(pid) > 20);
            DecodedStream stream = new DecodedStream();
            stream.accept(sampler.flush(pid));
            assertTrue(stream.dropped > 0, "drops reach the batch");
            assertTrue(stream.total() > 0);
            assertEquals(0, stream.containing("sleeper"), "the sleeping thread is idle, not CPU");
            assertEquals(null, sampler.endReason(pid));
        } finally {
            p.destroyForcibly();
        }
    }
}
