package dev.cprof.session;

import dev.cprof.profile.Profile;
import dev.cprof.profile.StackTree;
import dev.cprof.profile.Timeline;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.InstanceInfo;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Sums profiles into one (the rolling view of a long session): instances matched by their description. */
public final class ProfileMerge {
    private ProfileMerge() {}

    public static Profile merge(List<Profile> profiles) {
        Profile out = new Profile();
        // Intervals of one long session: their buckets line up on the wall clock, so the sum keeps them.
        long width = 0;
        for (Profile p : profiles) {
            width = p.timeline() == null || width < 0 ? -1 : Math.max(width, p.timeline().bucketNs());
        }
        if (width > 0) {
            out.keepTime(width);
        }
        Map<InstanceInfo, Integer> instances = new HashMap<>();
        for (Profile p : profiles) {
            int[] instanceMap = new int[p.instances().size()];
            for (int i = 0; i < instanceMap.length; i++) {
                instanceMap[i] = instances.computeIfAbsent(p.instances().get(i), out::addInstance);
            }
            int[] frameMap = new int[p.frames.size()];
            for (int f = 0; f < frameMap.length; f++) {
                frameMap[f] = out.copyFrame(p, f);
            }
            // Node ids are in creation order, parents first: one pass maps the whole tree.
            int[] nodeMap = new int[p.tree.size()];
            nodeMap[StackTree.ROOT] = StackTree.ROOT;
            for (int n = 1; n < nodeMap.length; n++) {
                nodeMap[n] = out.tree.child(nodeMap[p.tree.parent(n)], frameMap[p.tree.frame(n)]);
            }
            Timeline t = out.timeline() == null ? null : p.timeline();
            if (t == null) {
                for (int s = 0; s < p.values.size(); s++) {
                    out.addValue(nodeMap[p.values.node(s)], instanceMap[p.values.instance(s)], p.values.event(s),
                            p.values.count(s), p.values.weight(s));
                }
            } else {
                for (int e = 0; e < t.size(); e++) {
                    int s = t.slot(e);
                    out.addValueAt(nodeMap[p.values.node(s)], instanceMap[p.values.instance(s)], p.values.event(s),
                            t.count(e), t.weight(e), t.originNs() + t.bucket(e) * t.bucketNs());
                }
            }
            for (EventType e : p.events()) {
                out.declareEvent(e);
            }
            out.coverTime(p.startTimeNs(), p.endTimeNs());
            out.addDropped(p.dropped());
            out.metadata().putAll(p.metadata());
        }
        return out;
    }
}
