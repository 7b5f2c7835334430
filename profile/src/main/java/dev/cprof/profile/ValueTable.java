package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import java.util.Arrays;

/**
 * Self values: (node, instance, event) → count and weight. Sparse, because a stack of one
 * instance rarely appears in all others; one hash lookup per aggregated sample.
 */
public final class ValueTable {
    private final LongIntMap slots = new LongIntMap(4096);
    private long[] keys = new long[4096];
    private long[] counts = new long[4096];
    private long[] weights = new long[4096];
    private int size;

    static long key(int node, int instance, EventType event) {
        return ((long) node << 32) | ((long) instance << 8) | event.getNumber();
    }

    /** Adds to the (node, instance, event) slot; returns the slot (slots are never removed or moved). */
    public int add(int node, int instance, EventType event, long count, long weight) {
        long key = key(node, instance, event);
        int slot = slots.get(key);
        if (slot < 0) {
            slot = size++;
            if (slot == keys.length) {
                keys = Arrays.copyOf(keys, slot * 2);
                counts = Arrays.copyOf(counts, slot * 2);
                weights = Arrays.copyOf(weights, slot * 2);
            }
            keys[slot] = key;
            slots.putNew(key, slot);
        }
        counts[slot] += count;
        weights[slot] += weight;
        return slot;
    }

    public int size() {
        return size;
    }

    public int node(int slot) {
        return (int) (keys[slot] >>> 32);
    }

    public int instance(int slot) {
        return (int) ((keys[slot] >>> 8) & 0xffffff);
    }

    public EventType event(int slot) {
        return EventType.forNumber((int) (keys[slot] & 0xff));
    }

    public int eventNumber(int slot) {
        return (int) (keys[slot] & 0xff);
    }

    public long count(int slot) {
        return counts[slot];
    }

    public long weight(int slot) {
        return weights[slot];
    }

    long memoryBytes() {
        return keys.length * 24L + slots.memoryBytes();
    }
}
