package dev.cprof.bench;

import dev.cprof.profile.MergeException;
import dev.cprof.profile.Profile;
import dev.cprof.profile.StreamMerger;
import dev.cprof.wire.SampleGroups;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.InstanceInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.lang.ref.Reference;
import java.util.Arrays;

/**
 * Retained heap of a long fleet profile: 1,000 instances × 10 minutes (600 one-second batches
 * per instance at 100 Hz, cpu), the 5,000-stack dictionary, per-instance hotness
 * ({@link SyntheticFleet}). Batches are generated and merged one at a time, so only the
 * profile (and the per-stream remap tables of the mergers) stays. Run with a fixed -Xmx, e.g.
 * {@code java -Xmx1g -cp ... dev.cprof.bench.MergeMemory [instances] [seconds]}.
 *
 * <p>Also prints a single-shot merge rate over the whole run (including attaching every stream
 * with its dictionary and creating all values), as a cross-check of the JMH number.
 */
public final class MergeMemory {
    private MergeMemory() {}

    public static void main(String[] args) throws MergeException, InterruptedException {
        int instances = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 600;
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();

        SyntheticFleet fleet = new SyntheticFleet(42);
        long baseline = usedAfterGc(mx);

        Profile profile = new Profile();
        StreamMerger[] mergers = new StreamMerger[instances];
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long mergeNs = 0;
        long dictNs = 0;
        long mergeCpuNs = 0;
        long dictCpuNs = 0;
        long samples = 0;
        long entries = 0;
        long t0 = System.nanoTime();
        Batch[] batches = new Batch[seconds];
        for (int i = 0; i < instances; i++) {
            int index = profile.addInstance(InstanceInfo.newBuilder().setInstanceId(i + 1)
                    .setHost("host-" + i).setPid(1000 + i).setService("checkout").build());
            mergers[i] = new StreamMerger(profile, index);
            SyntheticFleet.Stream stream = fleet.stream(i);
            for (int s = 0; s < seconds; s++) {
                batches[s] = stream.next();
                entries += SampleGroups.entries(batches[s]);
            }
            // Timed: the first batch (the stream attaches: dictionary + first second), then the rest.
            long w0 = System.nanoTime();
            long c0 = threads.getCurrentThreadCpuTime();
            mergers[i].merge(batches[0]);
            long w1 = System.nanoTime();
            long c1 = threads.getCurrentThreadCpuTime();
            for (int s = 1; s < seconds; s++) {
                mergers[i].merge(batches[s]);
            }
            long w2 = System.nanoTime();
            long c2 = threads.getCurrentThreadCpuTime();
            dictNs += w1 - w0;
            dictCpuNs += c1 - c0;
            mergeNs += w2 - w0;
            mergeCpuNs += c2 - c0;
            samples += mergers[i].samples();
        }
        Arrays.fill(batches, null);
        long wallNs = System.nanoTime() - t0;

        long withMergers = usedAfterGc(mx) - baseline;
        long memoryBytes = profile.memoryBytes();
        int nodes = profile.tree.size();
        int values = profile.values.size();
        long mergedSamples = samples;
        Reference.reachabilityFence(mergers);
        mergers = null;
        long profileOnly = usedAfterGc(mx) - baseline;

        Runtime rt = Runtime.getRuntime();
        System.out.printf("MergeMemory: %d instances x %d s, cpu 100 Hz, %d stacks shared, -Xmx %d MB%n",
                instances, seconds, SyntheticFleet.STACKS, rt.maxMemory() >> 20);
        System.out.printf("  samples merged       %,d in %,d batches (%,d (stack,count) entries)%n",
                mergedSamples, (long) instances * seconds, entries);
        System.out.printf("  tree nodes           %,d%n", nodes);
        System.out.printf("  value entries        %,d (node, instance, event)%n", values);
        System.out.printf("  retained heap        %.1f MB (profile + %d stream mergers), after GC, minus baseline%n",
                withMergers / 1048576.0, instances);
        System.out.printf("  retained heap        %.1f MB (profile only)%n", profileOnly / 1048576.0);
        System.out.printf("  Profile.memoryBytes  %.1f MB%n", memoryBytes / 1048576.0);
        long steadySamples = mergedSamples - (long) instances * SyntheticFleet.SAMPLES_PER_BATCH;
        System.out.printf("  merge, all batches   %.2f s wall, %.2f s CPU = %.2f M samples per CPU-second (single shot)%n",
                mergeNs / 1e9, mergeCpuNs / 1e9, mergedSamples / (mergeCpuNs / 1e9) / 1e6);
        System.out.printf("  first batches        %.2f s wall, %.2f s CPU = %.2f ms CPU per stream attach (5,000-stack dictionary)%n",
                dictNs / 1e9, dictCpuNs / 1e9, dictCpuNs / 1e6 / instances);
        System.out.printf("  later batches        %.2f s wall, %.2f s CPU = %.2f M samples per CPU-second (steady state)%n",
                (mergeNs - dictNs) / 1e9, (mergeCpuNs - dictCpuNs) / 1e9,
                steadySamples / ((mergeCpuNs - dictCpuNs) / 1e9) / 1e6);
        System.out.printf("  wall time            %.1f s including batch generation%n", wallNs / 1e9);
        Reference.reachabilityFence(fleet);
        Reference.reachabilityFence(profile);
    }

    private static long usedAfterGc(MemoryMXBean mx) throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, mx.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
