package dev.cprof.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cprof.wire.FrameWriter;
import dev.cprof.wire.RelayedBatch;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Envelope;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The peer's work per relayed agent batch, from the frame's bytes as read off the agent's socket
 * to the frame written for the client (zstd stream, or plain to see the protobuf part alone).
 *
 * <ul>
 * <li>{@code reencode}: what the peer did up to protocol 2: parse the Envelope, copy the Batch
 * through its builder with one field set (the instance id), wrap and serialize it again.
 * Batch.instance_id is reserved now, so the copy sets the sequence to its own value instead:
 * the same parse, builder copy, build and serialization.</li>
 * <li>{@code raw}: protocol 3: check that the frame is one Envelope.batch field, write it as it
 * came with Envelope.relay_instance_id appended ({@link RelayedBatch}).</li>
 * </ul>
 *
 * <p>Batches ({@link SyntheticFleet}, seed 42): {@code steady} = one second of 100 cpu samples
 * with nothing new in the dictionary (197 bytes); {@code dictionary} = an instance's first batch,
 * 3,000 frames and 5,000 stacks (about 600 KB), the attach burst's worst case.
 *
 * <p>Besides JMH's wall-clock score, every measurement iteration prints a {@code cpu-per-op} line:
 * the benchmark thread's own CPU time per relayed batch, steadier than the wall-clock score on a
 * shared machine (as in {@link MergeBenchmark}). With {@code -prof gc}, {@code gc.alloc.rate.norm}
 * gives the bytes allocated per batch, which does not depend on the load at all.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RelayBenchmark {
    @Param({"steady", "dictionary"})
    public String batch;

    @Param({"true", "false"})
    public boolean compressed;

    private byte[] frame;
    private byte[] idField;
    private FrameWriter out;
    private static final int ID = 7;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
    private long invocations;
    private long cpuStart;

    @Setup(Level.Iteration)
    public void startIteration() {
        invocations = 0;
        cpuStart = THREADS.getCurrentThreadCpuTime();
    }

    @TearDown(Level.Iteration)
    public void endIteration(BenchmarkParams benchmark, IterationParams iteration) {
        long cpu = THREADS.getCurrentThreadCpuTime() - cpuStart;
        if (iteration.getType() == IterationType.MEASUREMENT && invocations > 0) {
            String name = benchmark.getBenchmark().substring(benchmark.getBenchmark().lastIndexOf('.') + 1);
            System.out.printf("%ncpu-per-op %s %s compressed=%s %.0f ns%n", name, batch, compressed, cpu / (double) invocations);
        }
    }

    @Setup
    public void setUp() {
        SyntheticFleet.Stream s = new SyntheticFleet(42).stream(0);
        Batch first = s.next();
        Batch b = batch.equals("dictionary") ? first : s.next(0);
        frame = Envelope.newBuilder().setBatch(b).build().toByteArray();
        idField = RelayedBatch.idField(ID);
        out = new FrameWriter(OutputStream.nullOutputStream(), compressed);
        System.out.println("\nbatch " + batch + ": " + frame.length + " bytes");
    }

    @Benchmark
    public void reencode() throws IOException {
        invocations++;
        Envelope e;
        try {
            e = Envelope.parseFrom(frame);
        } catch (InvalidProtocolBufferException ex) {
            throw new IllegalStateException(ex);
        }
        Batch b = e.getBatch();
        out.write(Envelope.newBuilder().setBatch(b.toBuilder().setSequence(b.getSequence())).build());
    }

    @Benchmark
    public void raw() throws IOException {
        invocations++;
        if (!RelayedBatch.isBatch(frame)) {
            throw new IllegalStateException("not a batch frame");
        }
        out.writeRaw(frame, idField);
    }
}
