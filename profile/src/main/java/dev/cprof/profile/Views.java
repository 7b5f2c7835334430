package dev.cprof.profile;

import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;

/** Derived profiles: the same samples arranged differently. */
public final class Views {
    private Views() {}

    /** A copy whose every stack starts with a pseudo frame naming its instance ("host:pid service"). */
    public static Profile perInstance(Profile source) {
        Profile out = new Profile();
        int[] instanceRoot = new int[source.instances().size()];
        for (int i = 0; i < instanceRoot.length; i++) {
            InstanceInfo info = source.instances().get(i);
            out.addInstance(info);
            int frame = out.frame(Profile.instanceLabel(info), FrameKind.PSEUDO, 0);
            instanceRoot[i] = out.tree.child(StackTree.ROOT, frame);
        }
        copyInto(source, out, instanceRoot);
        return out;
    }

    /** Copies values of source into out, each instance's stacks under the given node. */
    static void copyInto(Profile source, Profile out, int[] instanceRoot) {
        int[] frameMap = new int[source.frames.size()];
        for (int f = 0; f < frameMap.length; f++) {
            frameMap[f] = out.frame(source.frameName(f), source.frames.kind(f), source.frames.line(f));
        }
        ValueTable v = source.values;
        for (int s = 0; s < v.size(); s++) {
            int[] path = source.tree.path(v.node(s));
            for (int i = 0; i < path.length; i++) {
                path[i] = frameMap[path[i]];
            }
            int leaf = out.tree.insert(instanceRoot[v.instance(s)], path, path.length);
            out.addValue(leaf, v.instance(s), v.event(s), v.count(s), v.weight(s));
        }
        for (var e : source.events()) {
            out.declareEvent(e);
        }
        out.coverTime(source.startTimeNs(), source.endTimeNs());
        out.addDropped(source.dropped());
        out.metadata().putAll(source.metadata());
    }
}
