package dev.cprof.profile;

import java.util.Arrays;

/**
 * Open-addressing hash map from long keys to non-negative int values, without boxing:
 * the merge engine's lookups (frame identity, tree child, value slot) go through it.
 */
final class LongIntMap {
    private static final int EMPTY = -1;
    private long[] keys;
    private int[] values;
    private int size;
    private int mask;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2) - 1) << 1;
        keys = new long[cap];
        values = new int[cap];
        Arrays.fill(values, EMPTY);
        mask = cap - 1;
    }

    /** The value for key, or -1. */
    int get(long key) {
        int i = slot(key);
        while (true) {
            int v = values[i];
            if (v == EMPTY || keys[i] == key) {
                return v;
            }
            i = (i + 1) & mask;
        }
    }

    /** Associates key with value (value ≥ 0); the key must not be present. */
    void putNew(long key, int value) {
        if ((size + 1) * 4L > keys.length * 3L) {
            grow();
        }
        int i = slot(key);
        while (values[i] != EMPTY) {
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = value;
        size++;
    }

    int size() {
        return size;
    }

    long memoryBytes() {
        return keys.length * 12L;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldValues.length * 2];
        Arrays.fill(values, EMPTY);
        mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldValues[j] != EMPTY) {
                int i = slot(oldKeys[j]);
                while (values[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                values[i] = oldValues[j];
            }
        }
    }
}
