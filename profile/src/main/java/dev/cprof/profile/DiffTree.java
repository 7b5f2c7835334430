package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Two profiles of one event projected onto one tree of <em>name paths</em>: a node is a
 * root-first sequence of frame names, so frames that differ only in line or kind, and profiles
 * read from different formats, line up. Every name-path node has a self and a total (sum)
 * value in BASE and in NEW, in the event's measure ({@link Events#measure}); the differential
 * flame graph draws this tree with NEW's widths. Node 0 is the root; parents come before their
 * children, and children are ordered by name.
 */
final class DiffTree {
    final EventType event;
    private final Profile newProfile;
    private final long baseTotal;
    private final long newTotal;

    private final List<String> names = new ArrayList<>();
    private final Map<String, Integer> nameIds = new HashMap<>();
    private final LongIntMap children = new LongIntMap(4096);
    private int size = 1;
    private int[] parent = new int[4096];
    private int[] name = new int[4096];
    private long[] baseSelf = new long[4096];
    private long[] newSelf = new long[4096];
    private final long[] baseSum;
    private final long[] newSum;
    private int[] childStart;
    private int[] childList;
    /** NEW profile node → name-path node. */
    private final int[] newNodePath;

    DiffTree(Profile base, Profile next, EventType event) {
        this.event = event;
        this.newProfile = next;
        parent[0] = -1;
        name[0] = -1;
        project(base, event, true);
        newNodePath = project(next, event, false);
        baseSum = Arrays.copyOf(baseSelf, size);
        newSum = Arrays.copyOf(newSelf, size);
        for (int node = size - 1; node > 0; node--) {
            baseSum[parent[node]] += baseSum[node];
            newSum[parent[node]] += newSum[node];
        }
        baseTotal = baseSum[0];
        newTotal = newSum[0];
        buildChildren();
    }

    private int nameId(String s) {
        Integer id = nameIds.get(s);
        if (id == null) {
            id = names.size();
            names.add(s);
            nameIds.put(s, id);
        }
        return id;
    }

    private int childOrNew(int p, int nameId) {
        long key = ((long) p << 32) | (nameId & 0xffffffffL);
        int node = children.get(key);
        if (node < 0) {
            node = size++;
            if (node == parent.length) {
                int cap = node * 2;
                parent = Arrays.copyOf(parent, cap);
                name = Arrays.copyOf(name, cap);
                baseSelf = Arrays.copyOf(baseSelf, cap);
                newSelf = Arrays.copyOf(newSelf, cap);
            }
            parent[node] = p;
            name[node] = nameId;
            children.putNew(key, node);
        }
        return node;
    }

    /** Adds the profile's stacks with a value of the event; returns profile node → path node (-1 for none). */
    private int[] project(Profile p, EventType event, boolean isBase) {
        StackTree tree = p.tree;
        int n = tree.size();
        // Only nodes on a path to a value of this event: other events' stacks stay out of the tree.
        boolean[] keep = new boolean[n];
        ValueTable v = p.values;
        for (int s = 0; s < v.size(); s++) {
            if (v.eventNumber(s) == event.getNumber() && Events.measure(event, v.count(s), v.weight(s)) != 0) {
                keep[v.node(s)] = true;
            }
        }
        for (int node = n - 1; node > 0; node--) {
            if (keep[node]) {
                keep[tree.parent(node)] = true;
            }
        }
        int[] frameName = new int[p.frames.size()];
        Arrays.fill(frameName, -1);
        int[] path = new int[n];
        Arrays.fill(path, -1);
        path[StackTree.ROOT] = 0;
        for (int node = 1; node < n; node++) {
            if (!keep[node]) {
                continue;
            }
            int f = tree.frame(node);
            if (frameName[f] < 0) {
                frameName[f] = nameId(p.frameName(f));
            }
            path[node] = childOrNew(path[tree.parent(node)], frameName[f]);
        }
        for (int s = 0; s < v.size(); s++) {
            if (v.eventNumber(s) == event.getNumber()) {
                long m = Events.measure(event, v.count(s), v.weight(s));
                if (m != 0) {
                    int pn = path[v.node(s)];
                    (isBase ? baseSelf : newSelf)[pn] += m;
                }
            }
        }
        return path;
    }

    private void buildChildren() {
        int[] count = new int[size + 1];
        for (int node = 1; node < size; node++) {
            count[parent[node] + 1]++;
        }
        childStart = new int[size + 1];
        for (int i = 0; i < size; i++) {
            childStart[i + 1] = childStart[i] + count[i + 1];
        }
        int[] fill = Arrays.copyOf(childStart, size);
        childList = new int[size - 1];
        for (int node = 1; node < size; node++) {
            childList[fill[parent[node]]++] = node;
        }
        Comparator<Integer> byName = Comparator.comparing(c -> names.get(name[c]));
        FlameView.sortGroups(childList, childStart, size, byName);
    }

    /** The NEW profile, whose tree the flame graphs draw. */
    Profile newProfile() {
        return newProfile;
    }

    /** Total of the event in BASE (samples or weight). */
    long baseTotal() {
        return baseTotal;
    }

    /** Total of the event in NEW (samples or weight). */
    long newTotal() {
        return newTotal;
    }

    /** Number of name-path nodes, including the root (0). */
    int nodeCount() {
        return size;
    }

    int childCount(int node) {
        return childStart[node + 1] - childStart[node];
    }

    /** Children in name order. */
    int child(int node, int i) {
        return childList[childStart[node] + i];
    }

    int parentOf(int node) {
        return parent[node];
    }

    /** Number of distinct frame names (methods); name ids are 0 .. nameCount() - 1. */
    int nameCount() {
        return names.size();
    }

    /** The name id of a node other than the root. */
    int nameIdOf(int node) {
        return name[node];
    }

    String name(int nameId) {
        return names.get(nameId);
    }

    String nameOf(int node) {
        return node == 0 ? "all" : names.get(name[node]);
    }

    long baseSelf(int node) {
        return baseSelf[node];
    }

    long newSelf(int node) {
        return newSelf[node];
    }

    long baseSum(int node) {
        return baseSum[node];
    }

    long newSum(int node) {
        return newSum[node];
    }

    /** The name-path node of a node of NEW's {@link StackTree}; -1 (or out of range) for none, 0 for its root. */
    int pathOfNewNode(int newNode) {
        return newNode < newNodePath.length ? newNodePath[newNode] : -1;
    }

    /** Change of the node's self share, in percentage points. */
    double deltaSelfPp(int node) {
        return Diff.pct(newSelf[node], newTotal) - Diff.pct(baseSelf[node], baseTotal);
    }

    /** Change of the node's total share, in percentage points. */
    double deltaTotalPp(int node) {
        return Diff.pct(newSum[node], newTotal) - Diff.pct(baseSum[node], baseTotal);
    }

    /** A stack that BASE never had: no BASE value at or below this name path. */
    boolean isNewPath(int node) {
        return node != 0 && baseSum[node] == 0 && newSum[node] > 0;
    }
}
