package dev.cprof.wire;

import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.SampleGroup;
import java.util.Arrays;

/**
 * The samples of a {@link Batch}: columnar {@link SampleGroup}s, one per event type (see
 * cprof.proto). Builds groups (sorted, delta-coded, weights omitted when they are all
 * count × unit weight), checks them, and reads them back entry by entry without allocating.
 */
public final class SampleGroups {
    private SampleGroups() {}

    /** One aggregated sample entry. */
    @FunctionalInterface
    public interface Visitor {
        void sample(int stack, EventType event, long count, long weight);
    }

    /**
     * A group of {@code n} entries (stack, count, weight) in any order; entries of the same stack
     * are summed. Weights are left out of the message when every one is count × a common unit.
     */
    public static SampleGroup build(EventType event, int[] stacks, long[] counts, long[] weights, int n) {
        long[] order = new long[n];
        for (int i = 0; i < n; i++) {
            if (stacks[i] < 0) {
                throw new IllegalArgumentException("negative stack id " + stacks[i]);
            }
            order[i] = ((long) stacks[i] << 32) | i;
        }
        Arrays.sort(order);
        int[] s = new int[n];
        long[] c = new long[n];
        long[] w = new long[n];
        int m = 0;
        for (int k = 0; k < n; k++) {
            int i = (int) order[k];
            int stack = (int) (order[k] >>> 32);
            if (m > 0 && s[m - 1] == stack) {
                c[m - 1] += counts[i];
                w[m - 1] += weights[i];
            } else {
                s[m] = stack;
                c[m] = counts[i];
                w[m] = weights[i];
                m++;
            }
        }
        SampleGroup.Builder g = SampleGroup.newBuilder().setEvent(event);
        int previous = 0;
        for (int i = 0; i < m; i++) {
            g.addStackDeltas(s[i] - previous);
            previous = s[i];
            g.addCounts(c[i]);
        }
        long unit = unitWeight(c, w, m);
        if (unit >= 0) {
            g.setUnitWeight(unit);
        } else {
            for (int i = 0; i < m; i++) {
                g.addWeights(w[i]);
            }
        }
        return g.build();
    }

    /** The common unit if every w[i] == c[i] × unit (no overflow), else -1. */
    private static long unitWeight(long[] c, long[] w, int n) {
        if (n == 0 || c[0] <= 0 || w[0] < 0 || w[0] % c[0] != 0) {
            return -1;
        }
        long unit = w[0] / c[0];
        for (int i = 1; i < n; i++) {
            if (c[i] <= 0 || Math.multiplyHigh(c[i], unit) != 0 || c[i] * unit != w[i] || c[i] * unit < 0) {
                return -1;
            }
        }
        return unit;
    }

    /**
     * Null if the group is well formed for a stream that has defined {@code stackCount} stacks,
     * else why not: unknown event, columns of different lengths, stacks not strictly ascending,
     * a stack not defined yet, a count of 0.
     */
    public static String check(SampleGroup g, int stackCount) {
        int event = g.getEventValue();
        if (event < EventType.CPU_VALUE || event > EventType.JDBC_VALUE) {
            return "sample group has unknown event type " + event;
        }
        int n = g.getStackDeltasCount();
        if (g.getCountsCount() != n || (g.getWeightsCount() != 0 && g.getWeightsCount() != n)) {
            return "sample group columns differ in length: " + n + " stacks, " + g.getCountsCount() + " counts, "
                    + g.getWeightsCount() + " weights";
        }
        long stack = 0;
        for (int i = 0; i < n; i++) {
            long delta = Integer.toUnsignedLong(g.getStackDeltas(i));
            if (i > 0 && delta == 0) {
                return "sample group stacks are not strictly ascending (entry " + i + ")";
            }
            stack += delta;
            if (stack >= stackCount) {
                return "sample refers to unknown stack " + stack;
            }
            if (g.getCounts(i) == 0) {
                return "sample entry with a count of 0 (stack " + stack + ")";
            }
        }
        return null;
    }

    /** The weight of entry {@code i}: explicit, or count × unit weight. */
    public static long weight(SampleGroup g, int i) {
        return g.getWeightsCount() == 0 ? g.getCounts(i) * g.getUnitWeight() : g.getWeights(i);
    }

    /** Every entry of the batch, group by group, stacks ascending within a group. Assumes well-formed groups. */
    public static void forEach(Batch b, Visitor visitor) {
        for (int k = 0, groups = b.getSampleGroupsCount(); k < groups; k++) {
            SampleGroup g = b.getSampleGroups(k);
            EventType event = g.getEvent();
            boolean explicit = g.getWeightsCount() != 0;
            long unit = g.getUnitWeight();
            int stack = 0;
            for (int i = 0, n = g.getStackDeltasCount(); i < n; i++) {
                stack += g.getStackDeltas(i);
                long count = g.getCounts(i);
                visitor.sample(stack, event, count, explicit ? g.getWeights(i) : count * unit);
            }
        }
    }

    /** Number of (stack, event) entries in the batch. */
    public static int entries(Batch b) {
        int n = 0;
        for (int k = 0, groups = b.getSampleGroupsCount(); k < groups; k++) {
            n += b.getSampleGroups(k).getStackDeltasCount();
        }
        return n;
    }

    /** Sum of the counts of every entry of the batch (samples over all events). */
    public static long totalCount(Batch b) {
        long total = 0;
        for (int k = 0, groups = b.getSampleGroupsCount(); k < groups; k++) {
            SampleGroup g = b.getSampleGroups(k);
            for (int i = 0, n = g.getCountsCount(); i < n; i++) {
                total += g.getCounts(i);
            }
        }
        return total;
    }
}
