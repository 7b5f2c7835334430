package dev.cprof.profile;

import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Derived profiles: the same samples arranged differently. */
public final class Views {
    private Views() {}

    /**
     * A copy whose every stack starts with a pseudo frame naming its instance ("host:pid service").
     * A child instance (parent_instance_id naming another instance's instance_id: a Python worker
     * of a JVM) has no root of its own: its stacks go under its parent's, so the worker's
     * "[python pid N]" sits beside the JVM's threads.
     */
    public static Profile perInstance(Profile source) {
        Profile out = new Profile();
        List<InstanceInfo> infos = source.instances();
        Map<Integer, Integer> byId = new HashMap<>();
        for (int i = 0; i < infos.size(); i++) {
            out.addInstance(infos.get(i));
            if (infos.get(i).getInstanceId() != 0) {
                byId.putIfAbsent(infos.get(i).getInstanceId(), i);
            }
        }
        int[] instanceRoot = new int[infos.size()];
        for (int i = 0; i < instanceRoot.length; i++) {
            instanceRoot[i] = rootOf(out, infos, byId, i, 0);
        }
        copyInto(source, out, instanceRoot);
        return out;
    }

    /** The node of instance {@code i}'s label, or its parent's (followed up to 8 levels). */
    private static int rootOf(Profile out, List<InstanceInfo> infos, Map<Integer, Integer> byId, int i, int depth) {
        InstanceInfo info = infos.get(i);
        Integer parent = info.getParentInstanceId() == 0 ? null : byId.get(info.getParentInstanceId());
        if (parent != null && parent != i && depth < 8) {
            return rootOf(out, infos, byId, parent, depth + 1);
        }
        int frame = out.frame(Profile.instanceLabel(info), FrameKind.PSEUDO, 0);
        return out.tree.child(StackTree.ROOT, frame);
    }

    /**
     * Spark's Python runner frames: the JVM code that feeds a PySpark worker and reads its results
     * ({@code BasePythonRunner$ReaderIterator.hasNext}, {@code PythonRunner$$anon$N.read},
     * {@code BasePythonRunner$WriterThread.run}, {@code PythonUDFRunner...}, ...).
     */
    public static final Pattern SPARK_PYTHON_RUNNER =
            Pattern.compile("^org\\.apache\\.spark\\.api\\.python\\..*(Runner|Worker).*");

    /**
     * A copy in which each Python child instance's stacks are "stitched" beneath a JVM stack of
     * its parent, so that a flame graph reads JVM task → Python function.
     *
     * <p>What it does, exactly: for each instance whose runtime is {@code PYTHON} and whose
     * parent_instance_id names an instance of this profile (followed up through Python parents,
     * at most 8 levels, to the nearest non-Python ancestor, "the JVM"), it looks at the JVM's own
     * samples (every event type, by count) for nodes of the stack tree whose frame name matches
     * {@code runnerFrame} ({@code find()}, so anchor it with {@code ^} as
     * {@link #SPARK_PYTHON_RUNNER} does). It picks the hottest such node — the largest inclusive
     * sample count; among equally hot ones the deepest, then the first in tree order — and takes
     * the path from the root down to and including that frame as the prefix. Every stack of the
     * Python instance is then rooted under prefix + {@code [python pid N]} (the stacks from the
     * Python sampler already start with that pseudo frame, which is kept; one is added when not).
     * All Python children of one JVM get the same prefix. Where the JVM has no matching frame (or
     * the parent is not in the profile), the Python stacks are left exactly as they are. Values
     * keep their instance, event, count and weight: per instance and overall totals are unchanged
     * (the JVM prefix frames appear in the Python instance's stacks, but no JVM sample moves).
     *
     * <p>This is a heuristic by frame name, not by thread identity: cprof does not know which JVM
     * thread writes to which worker's socket (that would need the socket's inode on both sides,
     * or Spark's own task ids), so it does not claim that this JVM stack fed this very worker.
     * With several tasks running Python at once they all share the one hottest runner path, and
     * a JVM whose runner threads were never sampled (e.g. only blocked in a CPU profile) gets no
     * stitching. Apply it before {@link #perInstance}, which then puts the stitched stacks under
     * the JVM's instance root like any other.
     *
     * @return {@code source} itself when there is nothing to stitch
     */
    public static Profile stitchPython(Profile source, Pattern runnerFrame) {
        List<InstanceInfo> infos = source.instances();
        Map<Integer, Integer> byId = new HashMap<>();
        for (int i = 0; i < infos.size(); i++) {
            if (infos.get(i).getInstanceId() != 0) {
                byId.putIfAbsent(infos.get(i).getInstanceId(), i);
            }
        }
        // The JVM (nearest non-Python ancestor) of each Python child, or -1.
        int[] jvmOf = new int[infos.size()];
        boolean any = false;
        for (int i = 0; i < infos.size(); i++) {
            jvmOf[i] = -1;
            if (infos.get(i).getRuntime() != FrameKind.PYTHON) {
                continue;
            }
            int at = i;
            for (int depth = 0; depth < 8; depth++) {
                int parentId = infos.get(at).getParentInstanceId();
                Integer parent = parentId == 0 ? null : byId.get(parentId);
                if (parent == null || parent == at) {
                    break;
                }
                at = parent;
                if (infos.get(at).getRuntime() != FrameKind.PYTHON) {
                    jvmOf[i] = at;
                    any = true;
                    break;
                }
            }
        }
        if (!any) {
            return source;
        }
        // The prefix (root-first frames of source) of each JVM that has Python children.
        Map<Integer, int[]> prefixOf = new HashMap<>();
        for (int i = 0; i < infos.size(); i++) {
            if (jvmOf[i] >= 0 && !prefixOf.containsKey(jvmOf[i])) {
                prefixOf.put(jvmOf[i], runnerPrefix(source, jvmOf[i], runnerFrame));
            }
        }
        Profile out = new Profile();
        for (InstanceInfo info : infos) {
            out.addInstance(info);
        }
        int[] frameMap = new int[source.frames.size()];
        for (int f = 0; f < frameMap.length; f++) {
            frameMap[f] = out.copyFrame(source, f);
        }
        // Per instance: the out node its stacks go under (the prefix, then "[python pid N]" when
        // its stacks do not start with it themselves), or ROOT.
        int[] under = new int[infos.size()];
        for (int i = 0; i < infos.size(); i++) {
            int[] prefix = jvmOf[i] < 0 ? null : prefixOf.get(jvmOf[i]);
            if (prefix == null) {
                continue;
            }
            int node = StackTree.ROOT;
            for (int f : prefix) {
                node = out.tree.child(node, frameMap[f]);
            }
            under[i] = node;
        }
        ValueTable v = source.values;
        int[] leafOfSlot = new int[v.size()];
        for (int s = 0; s < v.size(); s++) {
            int instance = v.instance(s);
            int[] path = source.tree.path(v.node(s));
            int from = StackTree.ROOT;
            if (under[instance] != StackTree.ROOT) {
                from = under[instance];
                if (path.length == 0 || !source.frameName(path[0]).startsWith("[python pid ")) {
                    int pseudo = out.frame("[python pid " + infos.get(instance).getPid() + "]", FrameKind.PSEUDO, 0);
                    from = out.tree.child(from, pseudo);
                }
            }
            for (int i = 0; i < path.length; i++) {
                path[i] = frameMap[path[i]];
            }
            leafOfSlot[s] = out.tree.insert(from, path, path.length);
        }
        TimeSlices.copyValues(source, out, leafOfSlot);
        for (var e : source.events()) {
            out.declareEvent(e);
        }
        out.coverTime(source.startTimeNs(), source.endTimeNs());
        out.addDropped(source.dropped());
        out.metadata().putAll(source.metadata());
        return out;
    }

    /** Root-first frames down to the hottest node of {@code jvm}'s stacks matching the pattern, or null. */
    private static int[] runnerPrefix(Profile source, int jvm, Pattern runnerFrame) {
        int n = source.tree.size();
        long[] inclusive = new long[n];
        ValueTable v = source.values;
        for (int s = 0; s < v.size(); s++) {
            if (v.instance(s) == jvm) {
                inclusive[v.node(s)] += v.count(s);
            }
        }
        // Children have larger node numbers than their parents: sum up from the last node.
        for (int node = n - 1; node > StackTree.ROOT; node--) {
            inclusive[source.tree.parent(node)] += inclusive[node];
        }
        Boolean[] matches = new Boolean[source.frames.size()];
        int best = -1;
        for (int node = 1; node < n; node++) {
            if (inclusive[node] == 0) {
                continue;
            }
            int frame = source.tree.frame(node);
            if (matches[frame] == null) {
                matches[frame] = runnerFrame.matcher(source.frameName(frame)).find();
            }
            if (matches[frame] && (best < 0 || inclusive[node] > inclusive[best]
                    || inclusive[node] == inclusive[best] && source.tree.depth(node) > source.tree.depth(best))) {
                best = node;
            }
        }
        return best < 0 ? null : source.tree.path(best);
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
            frameMap[f] = out.copyFrame(source, f);
        }
        ValueTable v = source.values;
        int[] leafOfSlot = new int[v.size()];
        for (int s = 0; s < v.size(); s++) {
            leafOfSlot[s] = -1;
            if (!keepNode.test(v.node(s))) {
                continue;
            }
            int[] path = source.tree.path(v.node(s));
            for (int i = 0; i < path.length; i++) {
                path[i] = frameMap[path[i]];
            }
            leafOfSlot[s] = out.tree.insert(instanceRoot[v.instance(s)], path, path.length);
        }
        TimeSlices.copyValues(source, out, leafOfSlot);
        for (var e : source.events()) {
            out.declareEvent(e);
        }
        out.coverTime(source.startTimeNs(), source.endTimeNs());
        out.addDropped(source.dropped());
        out.metadata().putAll(source.metadata());
    }
}
