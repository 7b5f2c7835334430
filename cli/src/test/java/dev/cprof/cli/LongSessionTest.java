package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.profile.Format;
import dev.cprof.profile.Profile;
import dev.cprof.session.LongSession;
import dev.cprof.session.SessionMerger;
import dev.cprof.testkit.TwoMethods;
import dev.cprof.wire.BatchEncoder;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** attach --continuous --rotate: one file per interval, a rolling latest.html, bounded memory. */
class LongSessionTest {
    @TempDir
    Path dir;

    static Profile read(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return Format.CPROF.read(in, file.toString());
        }
    }

    @Test
    void rotatesAgainstARealJvm() throws Exception {
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class)) {
            Path out = dir.resolve("intervals");
            Cli.Result r = Cli.run("attach", "--pid", Long.toString(jvm.pid()), "--continuous", "--rotate", "2s", "-d", "7s",
                    "-o", out + "/");
            assertEquals(0, r.code(), r.err());
            List<Path> files;
            try (Stream<Path> s = Files.list(out)) {
                files = s.filter(p -> p.toString().endsWith(".cprof")).sorted().toList();
            }
            assertTrue(files.size() >= 3, "interval files: " + files + "\n" + r.err());
            long sum = 0;
            for (Path f : files) {
                assertTrue(f.getFileName().toString().matches(jvm.pid() + "-\\d{8}T\\d{6}Z(-\\d+)?\\.cprof"), f.toString());
                Profile p = read(f);
                long n = p.total(EventType.CPU, -1);
                // one thread at 10 ms: ~200 samples per 2 s interval; a profile that kept growing would reach 400+
                assertTrue(n <= 320, f + " holds " + n + " samples: more than one interval's");
                assertTrue(p.metadata().containsKey("interval_start"), p.metadata().toString());
                // the agent sends a batch a second: an interval's batches span ~2 s, a growing profile would span the session
                if (n > 0) {
                    double span = (p.endTimeNs() - p.startTimeNs()) / 1e9;
                    assertTrue(span < 3.6, f + " spans " + span + " s");
                }
                sum += n;
            }
            assertTrue(sum >= 50, "samples over the session: " + sum);
            assertTrue(Files.size(out.resolve("latest.html")) > 1000, "latest.html");
            assertTrue(r.err().contains("latest") || r.err().contains(".cprof"), r.err());
        }
    }

    @Test
    void memoryStaysBoundedOver200Rotations() throws Exception {
        SessionMerger merger = new SessionMerger();
        merger.rotateEvery(3_600_000_000_000L, p -> { });
        SessionMerger.Stream stream = merger.open(InstanceInfo.newBuilder().setPid(42).setService("synthetic").build());
        BatchEncoder enc = new BatchEncoder();
        int main = enc.frame("Main.main", FrameKind.JAVA, 0);
        int work = enc.frame("Main.work", FrameKind.JAVA, 0);
        int oldStack = enc.stack(new int[] {main, work});
        for (int round = 0; round < 200; round++) {
            // each interval: a method never seen before, and the stack of round 0 again
            int fresh = enc.frame("Gen.m" + round, FrameKind.JAVA, round);
            enc.sample(enc.stack(new int[] {main, work, fresh}), EventType.CPU, 7, 0);
            enc.sample(oldStack, EventType.CPU, 3, 0);
            stream.offer(enc.flush(), 100);
            Profile interval = merger.rotate();
            assertEquals(10, interval.total(EventType.CPU, -1), "round " + round + ": this interval's samples only");
            assertTrue(interval.strings.size() <= 4, "round " + round + ": strings " + interval.strings.size());
            assertTrue(interval.frames.size() <= 3, "round " + round + ": frames " + interval.frames.size());
            assertTrue(interval.tree.size() <= 4, "round " + round + ": nodes " + interval.tree.size());
            assertEquals(1, interval.instances().size());
            if (round == 199) {
                assertEquals("Gen.m199", interval.frameName(interval.tree.frame(interval.tree.size() - 1)));
            }
        }
        Profile last = merger.finish();
        assertEquals(0, last.total(EventType.CPU, -1));
        assertTrue(last.tree.size() <= 1, "the current profile holds nothing after the last rotation");
        assertEquals(2000, stream.samples());
    }

    @Test
    void rollingHtmlKeepsTheLastIntervals() throws Exception {
        LongSession session = new LongSession(dir, "svc", 3, p -> p, "t", null);
        for (int i = 0; i < 6; i++) {
            Profile p = new Profile();
            p.addInstance(InstanceInfo.newBuilder().setPid(1).build());
            p.addSample(new int[] {p.frame("m" + i, FrameKind.JAVA, 0)}, 0, EventType.CPU, 1, 0);
            session.submit(p);
        }
        session.finish(new Profile()); // the last interval: recent = m4, m5 and this empty one
        assertEquals(7, session.written().size(), session.written().toString());
        assertEquals(3, session.retained());
        String html = Files.readString(dir.resolve("latest.html"));
        assertTrue(html.contains("\"m5\"") && html.contains("\"m4\"") && !html.contains("\"m3\""), "latest.html has the last intervals only");
    }
}
