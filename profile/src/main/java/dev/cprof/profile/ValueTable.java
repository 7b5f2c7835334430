package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import java.util.Arrays;

/**
 * Self values: (node, instance, event) → count and weight. Sparse, because a stack of one
 * instance rarely appears in all others; one hash lookup per aggregated sample.
 *
 * <p>The hash table holds each cell whole, interleaved as {@code {key + 1, count, weight}} in one
 * {@code long[]} (open addressing, linear probing): the probe that finds the key lands on the
 * count and weight in the same cache line, where a separate key → slot map and value arrays
 * cost a dependent memory round-trip more per sample (bench/RESULTS.md). Keys are stored plus
 * one so that 0 marks an empty cell (keys are never negative: the node is an int ≥ 0 in the top
 * half). Slots, the order in which cells were created, map to table positions through
 * {@code order}, written only when a cell is created or the table grows.
 */
public final class ValueTable {
    /** longs per cell: key + 1, count, weight. */
    private static final int STRIDE = 3;
    private static final int KEY = 0;
    private static final int COUNT = 1;
    private static final int WEIGHT = 2;

    private long[] cells;
    private int mask;
    /** Slot → table position (cell index) in creation order. */
    private int[] order = new int[4096];
    /**
     * Table position → slot, for {@link #addSlot} only (a profile with time buckets files the
     * value under its slot): the plain {@link #add} never reads it.
     */
    private int[] slotAt;
    private int size;

    public ValueTable() {
        allocate(8192);
    }

    static long key(int node, int instance, EventType event) {
        return ((long) node << 32) | ((long) instance << 8) | event.getNumber();
    }

    public void add(int node, int instance, EventType event, long count, long weight) {
        long stored = key(node, instance, event) + 1;
        long[] c = cells;
        int i = position(stored);
        while (true) {
            int at = i * STRIDE;
            long k = c[at + KEY];
            if (k == stored) {
                c[at + COUNT] += count;
                c[at + WEIGHT] += weight;
                return;
            }
            if (k == 0) {
                break;
            }
            i = (i + 1) & mask;
        }
        insert(stored, i, count, weight);
    }

    /** {@link #add}, returning the slot of the cell (slots never move): one more array read. */
    public int addSlot(int node, int instance, EventType event, long count, long weight) {
        long stored = key(node, instance, event) + 1;
        long[] c = cells;
        int i = position(stored);
        while (true) {
            int at = i * STRIDE;
            long k = c[at + KEY];
            if (k == stored) {
                c[at + COUNT] += count;
                c[at + WEIGHT] += weight;
                return slotAt[i];
            }
            if (k == 0) {
                break;
            }
            i = (i + 1) & mask;
        }
        insert(stored, i, count, weight);
        return size - 1;
    }

    /** A new cell at the free position {@code i} (found by the probe), growing first when it would be over 3/4 full. */
    private void insert(long stored, int i, long count, long weight) {
        if ((size + 1) * 4L > (mask + 1) * 3L) {
            grow();
            i = free(stored);
        }
        int at = i * STRIDE;
        cells[at + KEY] = stored;
        cells[at + COUNT] = count;
        cells[at + WEIGHT] = weight;
        if (size == order.length) {
            order = Arrays.copyOf(order, size * 2);
        }
        slotAt[i] = size;
        order[size++] = i;
    }

    public int size() {
        return size;
    }

    public int node(int slot) {
        return (int) (key(slot) >>> 32);
    }

    public int instance(int slot) {
        return (int) ((key(slot) >>> 8) & 0xffffff);
    }

    public EventType event(int slot) {
        return EventType.forNumber((int) (key(slot) & 0xff));
    }

    public int eventNumber(int slot) {
        return (int) (key(slot) & 0xff);
    }

    public long count(int slot) {
        return cells[order[slot] * STRIDE + COUNT];
    }

    public long weight(int slot) {
        return cells[order[slot] * STRIDE + WEIGHT];
    }

    long memoryBytes() {
        return cells.length * 8L + order.length * 4L + slotAt.length * 4L;
    }

    private long key(int slot) {
        return cells[order[slot] * STRIDE + KEY] - 1;
    }

    private int position(long stored) {
        long h = stored * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    /** The first free position for {@code stored}, which is not in the table. */
    private int free(long stored) {
        int i = position(stored);
        while (cells[i * STRIDE + KEY] != 0) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void allocate(int capacity) {
        cells = new long[capacity * STRIDE];
        slotAt = new int[capacity];
        mask = capacity - 1;
    }

    /** Doubles the table; cells are placed again in creation order, so {@code order} stays the slot order. */
    private void grow() {
        long[] old = cells;
        allocate((mask + 1) * 2);
        for (int s = 0; s < size; s++) {
            int from = order[s] * STRIDE;
            int i = free(old[from + KEY]);
            int at = i * STRIDE;
            cells[at + KEY] = old[from + KEY];
            cells[at + COUNT] = old[from + COUNT];
            cells[at + WEIGHT] = old[from + WEIGHT];
            order[s] = i;
            slotAt[i] = s;
        }
    }
}
