package dev.cprof.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cprof.profile.MergeException;
import dev.cprof.profile.Profile;
import dev.cprof.profile.StreamMerger;
import dev.cprof.wire.SampleGroups;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.InstanceInfo;
import dev.cprof.wire.proto.SampleGroup;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Merge throughput of the engine, in samples per second on one thread (the merge runs on one
 * thread, so this is samples/s/core).
 *
 * <p>Workload ({@link SyntheticFleet}): 1,000 instances of one service, 5,000 shared stacks
 * of depth 30..50 (mean 40), per-instance hotness, cpu at 100 Hz, 1 s batches of 100 samples
 * aggregated per stack. Setup attaches every stream (its first batch carries the
 * dictionary) and merges {@code historySeconds} of each stream, so the value table has the
 * size of a profile a few minutes old. Then {@code rounds} seconds of batches per instance are
 * pre-built, both as parsed {@link Batch} objects and as serialized bytes, and one invocation
 * merges one round: one batch of every instance, interleaved as they arrive, = 100,000 samples.
 * Rounds are replayed in a loop, so their batches carry sequence 0 (unsequenced); everything
 * else the merger validates and does is as in a live session.
 *
 * <p>{@code timed} (default true, as in a session) also keeps the values per 1 s bucket: the
 * history's 120 buckets are there, each replayed round lands in its own bucket.
 *
 * <p>The two baselines measure, on the same batches in the same run, what any consumer pays
 * anyway: walking the parsed samples, and parsing the bytes.
 *
 * <p>Besides JMH's wall-clock score, every measurement iteration prints a {@code cpu-rate}
 * line: samples per second of the benchmark thread's own CPU time. On a machine shared with
 * other work the wall-clock score drops whenever the thread is descheduled; the CPU rate does
 * not (it still feels shared caches), so it is the steadier number for comparisons.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
public class MergeBenchmark {
    public static final int INSTANCES = 1_000;
    /** Samples in one round: one batch of each instance. */
    public static final int ROUND_SAMPLES = INSTANCES * SyntheticFleet.SAMPLES_PER_BATCH;

    @Param("120")
    public int historySeconds;

    @Param("16")
    public int rounds;

    /** Keep 1 s time buckets beside the aggregate, as sessions do (false: the aggregate alone). */
    @Param("true")
    public boolean timed;

    private Profile profile;
    private StreamMerger[] mergers;
    private Batch[][] parsed;
    private byte[][][] bytes;
    private int next;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private long invocations;
    private long cpuStart;
    private long wallStart;

    @Setup
    public void setup() throws MergeException, InvalidProtocolBufferException {
        SyntheticFleet fleet = new SyntheticFleet(42);
        profile = new Profile();
        if (timed) {
            profile.keepTime(dev.cprof.profile.Timeline.DEFAULT_BUCKET_NS);
        }
        mergers = new StreamMerger[INSTANCES];
        parsed = new Batch[rounds][INSTANCES];
        bytes = new byte[rounds][INSTANCES][];
        long entries = 0;
        long byteCount = 0;
        for (int i = 0; i < INSTANCES; i++) {
            int index = profile.addInstance(InstanceInfo.newBuilder().setInstanceId(i + 1)
                    .setHost("host-" + i).setPid(1000 + i).setService("checkout").build());
            mergers[i] = new StreamMerger(profile, index);
            SyntheticFleet.Stream stream = fleet.stream(i);
            for (int s = 0; s <= historySeconds; s++) {
                mergers[i].merge(stream.next());
            }
            for (int r = 0; r < rounds; r++) {
                byte[] b = stream.next(0).toByteArray();
                bytes[r][i] = b;
                parsed[r][i] = Batch.parseFrom(b);
                entries += SampleGroups.entries(parsed[r][i]);
                byteCount += b.length;
            }
        }
        System.out.printf("%nworkload: %d instances, %d stacks, tree nodes %,d, value entries %,d after %d s history,"
                        + " %.1f (stack,count) entries per 100-sample batch, %.0f bytes per batch, Profile.memoryBytes %,d%n",
                INSTANCES, SyntheticFleet.STACKS, profile.tree.size(), profile.values.size(), historySeconds,
                entries / (double) (rounds * INSTANCES), byteCount / (double) (rounds * INSTANCES), profile.memoryBytes());
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        invocations = 0;
        wallStart = System.nanoTime();
        cpuStart = THREADS.getCurrentThreadCpuTime();
    }

    @TearDown(Level.Iteration)
    public void endIteration(BenchmarkParams benchmark, IterationParams iteration) {
        long cpu = THREADS.getCurrentThreadCpuTime() - cpuStart;
        long wall = System.nanoTime() - wallStart;
        if (iteration.getType() == IterationType.MEASUREMENT && cpu > 0) {
            String name = benchmark.getBenchmark().substring(benchmark.getBenchmark().lastIndexOf('.') + 1);
            double samples = invocations * (double) ROUND_SAMPLES;
            System.out.printf("%ncpu-rate %s %.0f samples per CPU-second (wall %.0f/s, cpu/wall %.2f)%n",
                    name, samples / (cpu / 1e9), samples / (wall / 1e9), cpu / (double) wall);
        }
    }

    private Batch[] nextParsed() {
        invocations++;
        Batch[] round = parsed[next];
        next = next + 1 == rounds ? 0 : next + 1;
        return round;
    }

    private byte[][] nextBytes() {
        invocations++;
        byte[][] round = bytes[next];
        next = next + 1 == rounds ? 0 : next + 1;
        return round;
    }

    /** Merge of already parsed batches. */
    @Benchmark
    @OperationsPerInvocation(ROUND_SAMPLES)
    public void merge() throws MergeException {
        Batch[] round = nextParsed();
        for (int i = 0; i < INSTANCES; i++) {
            mergers[i].merge(round[i]);
        }
    }

    /** What the CLI does with a received frame: parse, then merge. */
    @Benchmark
    @OperationsPerInvocation(ROUND_SAMPLES)
    public void parseAndMerge() throws MergeException, InvalidProtocolBufferException {
        byte[][] round = nextBytes();
        for (int i = 0; i < INSTANCES; i++) {
            mergers[i].merge(Batch.parseFrom(round[i]));
        }
    }

    /** Reference for merge: read every sample of the parsed batches (stack, event, count, weight). */
    @Benchmark
    @OperationsPerInvocation(ROUND_SAMPLES)
    public long baselineIterate() {
        Batch[] round = nextParsed();
        long sum = 0;
        for (int i = 0; i < INSTANCES; i++) {
            Batch b = round[i];
            for (int g = 0, groups = b.getSampleGroupsCount(); g < groups; g++) {
                SampleGroup sg = b.getSampleGroups(g);
                int stack = 0;
                long unit = sg.getUnitWeight();
                boolean explicit = sg.getWeightsCount() != 0;
                for (int j = 0, n = sg.getStackDeltasCount(); j < n; j++) {
                    stack += sg.getStackDeltas(j);
                    long count = sg.getCounts(j);
                    sum += stack + sg.getEventValue() + count + (explicit ? sg.getWeights(j) : count * unit);
                }
            }
        }
        return sum;
    }

    /** Reference for parseAndMerge: parse only. */
    @Benchmark
    @OperationsPerInvocation(ROUND_SAMPLES)
    public void baselineParse(Blackhole bh) throws InvalidProtocolBufferException {
        byte[][] round = nextBytes();
        for (int i = 0; i < INSTANCES; i++) {
            bh.consume(Batch.parseFrom(round[i]));
        }
    }
}
