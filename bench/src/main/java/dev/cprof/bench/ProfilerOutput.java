package dev.cprof.bench;

import dev.cprof.wire.FrameReader;
import dev.cprof.wire.FrameWriter;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.SampleGroup;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * Reads what a profiler wrote during one benchmark run into its {@link AgentOverhead.Run}: cprof's
 * framed batches (samples, bytes on the local socket and as re-framed for TCP) and
 * async-profiler's JFR (events by type).
 */
final class ProfilerOutput {
    private ProfilerOutput() {}

    /**
     * Counts and re-frames the batches of an agent file as the peer relays them on TCP: one
     * FrameWriter(compressed=true), so one zstd stream for the whole run, flushed per frame.
     */
    static void decodeCprof(Path file, AgentOverhead.Run run, int warmup) throws IOException {
        CountingStream tcp = new CountingStream();
        FrameWriter writer = new FrameWriter(tcp, true);
        // Steady state: batches after the warmup (sequence > warmup + 1), but not the last one
        // (a partial flush at exit).
        List<long[]> perBatch = new ArrayList<>(); // {sequence, plainBytes, tcpBytes, endNs}
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            FrameReader reader = new FrameReader(in, false);
            byte[] plain;
            while ((plain = reader.readRaw()) != null) {
                long before = tcp.count;
                writer.writeRaw(plain);
                Envelope e = Envelope.parseFrom(plain);
                if (!e.hasBatch()) {
                    continue;
                }
                Batch b = e.getBatch();
                run.batches++;
                for (SampleGroup g : b.getSampleGroupsList()) {
                    long count = 0;
                    for (int i = 0; i < g.getCountsCount(); i++) {
                        count += g.getCounts(i);
                    }
                    switch (g.getEvent()) {
                        case CPU -> run.cpuSamples += count;
                        case ALLOC -> run.allocSamples += count;
                        case LOCK -> run.lockSamples += count;
                        default -> { }
                    }
                }
                run.dropped += b.getDropped().getBufferFull() + b.getDropped().getOther();
                perBatch.add(new long[] {b.getSequence(), plain.length + varintSize(plain.length), tcp.count - before, b.getEndTimeNs()});
            }
        }
        run.tcpBytes = tcp.count;
        long plainSum = 0;
        long tcpSum = 0;
        long firstEnd = 0;
        long lastEnd = 0;
        for (int i = 0; i < perBatch.size() - 1; i++) {
            long[] b = perBatch.get(i);
            if (b[0] <= warmup + 1) {
                firstEnd = b[3];
                continue;
            }
            plainSum += b[1];
            tcpSum += b[2];
            lastEnd = b[3];
        }
        if (lastEnd > firstEnd && firstEnd > 0) {
            double minutes = (lastEnd - firstEnd) / 60e9;
            run.steadyPerMin = plainSum / minutes;
            run.steadyTcpPerMin = tcpSum / minutes;
        }
        run.events = "batches=" + run.batches;
    }

    static int varintSize(int v) {
        int n = 1;
        while ((v >>>= 7) != 0) {
            n++;
        }
        return n;
    }

    /** Counts async-profiler's JFR events by type. */
    static void decodeJfr(Path file, AgentOverhead.Run run) {
        Map<String, Long> counts = new TreeMap<>();
        String engine = "?";
        try (RecordingFile rf = new RecordingFile(file)) {
            while (rf.hasMoreEvents()) {
                RecordedEvent e = rf.readEvent();
                String type = e.getEventType().getName();
                counts.merge(type, 1L, Long::sum);
                if (type.equals("jdk.ActiveSetting") && "engine".equals(e.getString("name"))) {
                    engine = e.getString("value");
                }
            }
        } catch (IOException | RuntimeException e) {
            run.events = "unreadable JFR: " + e;
            return;
        }
        for (var e : counts.entrySet()) {
            String n = e.getKey();
            if (n.equals("jdk.ExecutionSample")) {
                run.cpuSamples += e.getValue();
            } else if (n.contains("ObjectAllocation")) {
                run.allocSamples += e.getValue();
            } else if (n.equals("jdk.JavaMonitorEnter") || n.equals("jdk.ThreadPark")) {
                run.lockSamples += e.getValue();
            }
        }
        StringBuilder sb = new StringBuilder("engine=" + engine);
        counts.forEach((k, v) -> {
            if (v > 0 && !k.startsWith("jdk.ActiveSetting") && !k.startsWith("jdk.ActiveRecording")) {
                sb.append(sb.length() > 0 ? " " : "").append(k.replace("jdk.", "")).append('=').append(v);
            }
        });
        run.events = sb.toString();
    }

    static final class CountingStream extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
