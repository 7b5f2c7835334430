package dev.cprof.profile;

import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import java.util.regex.Pattern;

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

    /**
     * A copy with only the stacks that have a frame matching {@code include} (when given) and
     * none matching {@code exclude} (when given), like async-profiler's --include/--exclude.
     */
    public static Profile filter(Profile source, Pattern include, Pattern exclude) {
        if (include == null && exclude == null) {
            return source;
        }
        boolean[] included = new boolean[source.frames.size()];
        boolean[] excluded = new boolean[source.frames.size()];
        for (int f = 0; f < included.length; f++) {
            String name = source.frameName(f);
            included[f] = include == null || include.matcher(name).find();
            excluded[f] = exclude != null && exclude.matcher(name).find();
        }
        // Per node: does its path contain an included / an excluded frame? Parents come first.
        int n = source.tree.size();
        boolean[] hasIncluded = new boolean[n];
        boolean[] hasExcluded = new boolean[n];
        hasIncluded[StackTree.ROOT] = include == null;
        for (int node = 1; node < n; node++) {
            int parent = source.tree.parent(node);
            int frame = source.tree.frame(node);
            hasIncluded[node] = hasIncluded[parent] || included[frame];
            hasExcluded[node] = hasExcluded[parent] || excluded[frame];
        }
        Profile out = new Profile();
        int[] roots = new int[source.instances().size()];
        for (InstanceInfo info : source.instances()) {
            out.addInstance(info);
        }
        copyInto(source, out, roots, node -> hasIncluded[node] && !hasExcluded[node]);
        return out;
    }

    /** Copies values of source into out, each instance's stacks under the given node. */
    static void copyInto(Profile source, Profile out, int[] instanceRoot) {
        copyInto(source, out, instanceRoot, node -> true);
    }

    private static void copyInto(Profile source, Profile out, int[] instanceRoot, java.util.function.IntPredicate keepNode) {
        int[] frameMap = new int[source.frames.size()];
        for (int f = 0; f < frameMap.length; f++) {
            frameMap[f] = out.frame(source.frameName(f), source.frames.kind(f), source.frames.line(f));
        }
        ValueTable v = source.values;
        for (int s = 0; s < v.size(); s++) {
            if (!keepNode.test(v.node(s))) {
                continue;
            }
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
