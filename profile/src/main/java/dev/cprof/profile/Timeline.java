package dev.cprof.profile;

import java.util.Arrays;

/**
 * The time axis of a profile: its self values per time bucket. Bucket {@code b} covers
 * [{@code originNs + b·bucketNs}, {@code + bucketNs}); the origin is a multiple of the width
 * (buckets start on whole seconds of the wall clock), and every entry refers to a slot of the
 * profile's {@link ValueTable}, which stays the plain aggregate: a timed entry is one more hash
 * update beside it, never a replacement.
 *
 * <p>Bounded: when a bucket index would reach {@link #maxBuckets}, or the entries pass
 * {@link #maxEntries}, neighbouring buckets are merged in pairs (the width doubles, the origin
 * moves down to a multiple of the new width), so a long session keeps its whole span at a
 * coarser resolution instead of growing without end.
 *
 * <p>Entries are (bucket, slot, count, weight) in the order they were made; a (bucket, slot)
 * is usually one entry, but may be two after a clock step back: readers sum them.
 */
public final class Timeline {
    public static final long DEFAULT_BUCKET_NS = 1_000_000_000L;
    /** 1,024 buckets: 17 minutes at 1 s before the first doubling. */
    public static final int DEFAULT_MAX_BUCKETS = 1024;
    /** About 50 MB of entries (24 bytes each) before a doubling. */
    public static final int DEFAULT_MAX_ENTRIES = 2 << 20;

    private long originNs = Long.MIN_VALUE; // unset until the first entry
    private long bucketNs;
    private int maxBuckets;
    private int maxEntries;
    /**
     * Per value-table slot ({@code last}): the bucket it was last added to and that entry. Batches of a stream
     * arrive in time order, so a slot's next bucket is its last one (add there) or a later one (a
     * new entry, appended): no hash lookup on the merge path, which a map of every entry paid as
     * a cache miss per update (half the merge rate). A slot added to an earlier bucket than its
     * last (a clock step back) gets a second entry for that bucket; readers sum entries.
     */
    private int[] last = new int[0]; // 2 ints a slot, side by side (one cache line): bucket, entry
    private long[] keys = new long[4096]; // bucket << 32 | value-table slot
    private long[] counts = new long[4096];
    private long[] weights = new long[4096];
    private int size;
    private int buckets;
    private long lastTimeNs;
    private boolean rebuilding;

    public Timeline(long bucketNs) {
        this(bucketNs, DEFAULT_MAX_BUCKETS, DEFAULT_MAX_ENTRIES);
    }

    public Timeline(long bucketNs, int maxBuckets, int maxEntries) {
        if (bucketNs <= 0 || maxBuckets < 1) {
            throw new IllegalArgumentException("bucket width and bucket cap must be positive");
        }
        this.bucketNs = bucketNs;
        this.maxBuckets = maxBuckets;
        this.maxEntries = maxEntries;
    }

    /** An empty timeline with the same geometry (origin, width) and caps. */
    Timeline emptyLike() {
        Timeline t = new Timeline(bucketNs, maxBuckets, maxEntries);
        t.originNs = originNs;
        return t;
    }

    /** Start of bucket 0 (epoch ns), or 0 while there is no entry and no origin. */
    public long originNs() {
        return originNs == Long.MIN_VALUE ? 0 : originNs;
    }

    public long bucketNs() {
        return bucketNs;
    }

    /** Number of buckets: the highest bucket with an entry, plus one. */
    public int buckets() {
        return buckets;
    }

    public int size() {
        return size;
    }

    public int bucket(int entry) {
        return (int) (keys[entry] >>> 32);
    }

    public int slot(int entry) {
        return (int) keys[entry];
    }

    public long count(int entry) {
        return counts[entry];
    }

    public long weight(int entry) {
        return weights[entry];
    }

    /**
     * The bucket of an instant, moving the origin down or doubling the width as needed. A time
     * of 0 (unknown: a batch without times) means the latest time seen, or now.
     */
    public int bucketOf(long timeNs) {
        if (timeNs >= originNs && originNs != Long.MIN_VALUE && buckets <= maxBuckets) { // the merge's path
            long b = (timeNs - originNs) / bucketNs;
            if (b < maxBuckets) {
                lastTimeNs = Math.max(lastTimeNs, timeNs);
                return (int) b;
            }
        }
        if (timeNs <= 0) {
            timeNs = lastTimeNs > 0 ? lastTimeNs : System.currentTimeMillis() * 1_000_000L;
        }
        lastTimeNs = Math.max(lastTimeNs, timeNs);
        if (originNs == Long.MIN_VALUE) {
            originNs = Math.floorDiv(timeNs, bucketNs) * bucketNs;
        }
        if (timeNs < originNs) { // an instance whose clock is behind, or an older batch: extend backwards
            long shift = Math.floorDiv(originNs - timeNs + bucketNs - 1, bucketNs);
            rebuild(originNs - shift * bucketNs, bucketNs);
        }
        long b = (timeNs - originNs) / bucketNs;
        while (b >= maxBuckets || buckets > maxBuckets) {
            coarsen();
            b = (timeNs - originNs) / bucketNs;
        }
        return (int) b;
    }

    /** Adds to bucket {@code bucket} of the value-table slot {@code slot}. */
    public void add(int slot, int bucket, long count, long weight) {
        int at = 2 * slot;
        if (at >= last.length) {
            int n = Math.max(at + 2, last.length * 2);
            int old = last.length;
            last = Arrays.copyOf(last, n);
            Arrays.fill(last, old, n, -1);
        }
        int e;
        if (last[at] == bucket) {
            e = last[at + 1];
        } else {
            e = size++;
            if (e == keys.length) {
                keys = Arrays.copyOf(keys, e * 2);
                counts = Arrays.copyOf(counts, e * 2);
                weights = Arrays.copyOf(weights, e * 2);
            }
            keys[e] = ((long) bucket << 32) | slot;
            last[at] = bucket;
            last[at + 1] = e;
            if (bucket >= buckets) {
                buckets = bucket + 1;
            }
        }
        counts[e] += count;
        weights[e] += weight;
        if (size > maxEntries && !rebuilding) {
            if (buckets > 1) {
                coarsen();
            } else {
                maxEntries *= 2; // one bucket cannot shrink: the aggregate's own size bounds it
            }
        }
    }

    /**
     * A file's geometry, known after its values (their buckets are indexes): sets origin and width
     * and the default caps again, doubling the width while there are more buckets than the cap.
     */
    void geometry(long originNs, long bucketNs) {
        this.originNs = originNs;
        this.bucketNs = bucketNs;
        maxBuckets = DEFAULT_MAX_BUCKETS;
        maxEntries = Math.max(DEFAULT_MAX_ENTRIES, size);
        while (buckets > maxBuckets) {
            coarsen();
        }
    }

    /** Merges buckets in pairs: the width doubles and the entries about halve. */
    public void coarsen() {
        long width = bucketNs * 2;
        rebuild(Math.floorDiv(originNs(), width) * width, width);
    }

    /**
     * Re-buckets to {@code width}, a multiple of the current width ({@code --bucket 5s} on a
     * profile of 1 s buckets), the origin moved down to a multiple of it.
     */
    public void rebucket(long width) {
        if (width % bucketNs != 0 || width < bucketNs) {
            throw new IllegalArgumentException("a bucket of " + width + " ns is not a multiple of the profile's " + bucketNs + " ns");
        }
        if (width != bucketNs) {
            rebuild(Math.floorDiv(originNs(), width) * width, width);
        }
    }

    private void rebuild(long newOrigin, long newWidth) {
        long[] oldKeys = keys;
        long[] oldCounts = counts;
        long[] oldWeights = weights;
        int oldSize = size;
        long oldOrigin = originNs();
        long oldWidth = bucketNs;
        Arrays.fill(last, -1);
        keys = new long[Math.max(16, oldSize)];
        counts = new long[keys.length];
        weights = new long[keys.length];
        size = 0;
        buckets = 0;
        originNs = newOrigin;
        bucketNs = newWidth;
        rebuilding = true; // no nested doubling while the old entries move in
        for (int e = 0; e < oldSize; e++) {
            long start = oldOrigin + (oldKeys[e] >>> 32) * oldWidth;
            int b = (int) ((start - newOrigin) / newWidth);
            add((int) oldKeys[e], b, oldCounts[e], oldWeights[e]);
        }
        rebuilding = false;
    }

    /** The buckets that overlap [fromNs, toNs): first and last index, or null when none has data there. */
    public int[] bucketsIn(long fromNs, long toNs) {
        long from = Math.max(0, Math.floorDiv(fromNs - originNs(), bucketNs));
        long to = Math.min(buckets - 1L, Math.floorDiv(toNs - 1 - originNs(), bucketNs));
        return from > to ? null : new int[] {(int) from, (int) to};
    }

    long memoryBytes() {
        return keys.length * 24L + last.length * 4L;
    }
}
