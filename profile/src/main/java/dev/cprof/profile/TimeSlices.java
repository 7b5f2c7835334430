package dev.cprof.profile;

import dev.cprof.wire.proto.InstanceInfo;

/** Time ranges of a profile with a {@link Timeline}, and copies of values that keep their buckets. */
public final class TimeSlices {
    private TimeSlices() {}

    /**
     * The samples of the buckets that overlap [{@code fromNs}, {@code toNs}), as a profile with the
     * same dictionary, tree (same node ids), instances and events, and a timeline that starts at
     * the first of those buckets. Null when the profile has no timeline or no bucket there.
     */
    public static Profile slice(Profile source, long fromNs, long toNs) {
        Timeline t = source.timeline();
        int[] range = t == null ? null : t.bucketsIn(fromNs, toNs);
        if (range == null) {
            return null;
        }
        Profile out = new Profile();
        for (int i = 0; i < source.strings.size(); i++) {
            out.strings.intern(source.strings.get(i));
        }
        for (int f = 0; f < source.frames.size(); f++) {
            out.copyFrame(source, f);
        }
        for (int n = 1; n < source.tree.size(); n++) {
            out.tree.child(source.tree.parent(n), source.tree.frame(n));
        }
        for (InstanceInfo info : source.instances()) {
            out.addInstance(info);
        }
        for (var e : source.events()) {
            out.declareEvent(e);
        }
        out.metadata().putAll(source.metadata());
        Timeline slice = t.emptyLike();
        long start = t.originNs() + range[0] * t.bucketNs();
        slice.geometry(start, t.bucketNs());
        out.keepTime(slice);
        ValueTable v = source.values;
        for (int e = 0; e < t.size(); e++) {
            int b = t.bucket(e);
            if (b >= range[0] && b <= range[1]) {
                int s = t.slot(e);
                out.addValueInBucket(v.node(s), v.instance(s), v.event(s), t.count(e), t.weight(e), b - range[0]);
            }
        }
        long end = t.originNs() + (range[1] + 1L) * t.bucketNs();
        out.coverTime(Math.max(start, source.startTimeNs()), Math.min(end, Math.max(source.endTimeNs(), start)));
        return out;
    }

    /**
     * Copies source's values into out, slot {@code s} onto node {@code leafOfSlot[s]} (skipped when
     * negative), per bucket when source has a timeline (out gets one of the same geometry; it must
     * have no values yet), else as aggregates.
     */
    static void copyValues(Profile source, Profile out, int[] leafOfSlot) {
        ValueTable v = source.values;
        Timeline t = source.timeline();
        if (t == null) {
            for (int s = 0; s < v.size(); s++) {
                if (leafOfSlot[s] >= 0) {
                    out.addValue(leafOfSlot[s], v.instance(s), v.event(s), v.count(s), v.weight(s));
                }
            }
            return;
        }
        out.keepTime(t.emptyLike());
        for (int e = 0; e < t.size(); e++) {
            int s = t.slot(e);
            if (leafOfSlot[s] >= 0) {
                out.addValueInBucket(leafOfSlot[s], v.instance(s), v.event(s), t.count(e), t.weight(e), t.bucket(e));
            }
        }
    }
}
