package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import java.util.Arrays;
import java.util.Comparator;

/**
 * One event of a profile, summed over all instances or restricted to one, as the writers
 * need it: self and total value per tree node and each node's children sorted by name.
 * Nodes whose total is zero are left out of the children lists.
 */
public final class FlameView implements SvgWriter.Tree {
    public final Profile profile;
    public final EventType event;
    public final int instance;
    private final long[] self;
    private final long[] total;
    private final int[] childStart;
    private final int[] childList;

    private FlameView(Profile profile, EventType event, int instance) {
        this.profile = profile;
        this.event = event;
        this.instance = instance;
        StackTree tree = profile.tree;
        int n = tree.size();
        self = new long[n];
        total = new long[n];
        ValueTable v = profile.values;
        for (int s = 0; s < v.size(); s++) {
            if (v.eventNumber(s) == event.getNumber() && (instance < 0 || v.instance(s) == instance)) {
                self[v.node(s)] += Events.measure(event, v.count(s), v.weight(s));
            }
        }
        System.arraycopy(self, 0, total, 0, n);
        // Node ids are in creation order, parents before children: one backward pass sums totals.
        for (int node = n - 1; node > 0; node--) {
            total[tree.parent(node)] += total[node];
        }
        int[] childCount = new int[n + 1];
        for (int node = 1; node < n; node++) {
            if (total[node] != 0) {
                childCount[tree.parent(node) + 1]++;
            }
        }
        childStart = new int[n + 1];
        for (int i = 0; i < n; i++) {
            childStart[i + 1] = childStart[i] + childCount[i + 1];
        }
        int[] fill = Arrays.copyOf(childStart, n);
        childList = new int[childStart[n]];
        for (int node = 1; node < n; node++) {
            if (total[node] != 0) {
                childList[fill[tree.parent(node)]++] = node;
            }
        }
        // Name, then kind, then line, then type: the order FlameJson uses too, so all writers agree.
        Comparator<Integer> byName = Comparator.<Integer, String>comparing(c -> profile.frameName(tree.frame(c)))
                .thenComparing(c -> profile.frames.kind(tree.frame(c)))
                .thenComparingInt(c -> profile.frames.line(tree.frame(c)))
                .thenComparingInt(c -> profile.frames.type(tree.frame(c)).getNumber());
        sortGroups(childList, childStart, n, byName);
    }

    /**
     * Sorts each group of list, list[start[g]] to list[start[g + 1]] (exclusive), for g below
     * groups: children lists in the layout that every tree here uses.
     */
    static void sortGroups(int[] list, int[] start, int groups, Comparator<Integer> order) {
        for (int g = 0; g < groups; g++) {
            int from = start[g];
            int to = start[g + 1];
            if (to - from > 1) {
                Integer[] boxed = new Integer[to - from];
                for (int i = from; i < to; i++) {
                    boxed[i - from] = list[i];
                }
                Arrays.sort(boxed, order);
                for (int i = from; i < to; i++) {
                    list[i] = boxed[i - from];
                }
            }
        }
    }

    /** The view of one event; instance < 0 sums all instances. */
    public static FlameView of(Profile profile, EventType event, int instance) {
        return new FlameView(profile, event, instance);
    }

    public long self(int node) {
        return self[node];
    }

    @Override
    public long total(int node) {
        return total[node];
    }

    @Override
    public int childCount(int node) {
        return childStart[node + 1] - childStart[node];
    }

    @Override
    public int child(int node, int i) {
        return childList[childStart[node] + i];
    }

    /** Visits every node with a non-zero self value, depth first in name order. */
    public void forEachStack(StackVisitor visitor) {
        int[] path = new int[64];
        visit(StackTree.ROOT, path, 0, visitor);
    }

    private void visit(int node, int[] path, int depth, StackVisitor visitor) {
        if (node != StackTree.ROOT) {
            if (self[node] != 0) {
                visitor.stack(path, depth, node, self[node]);
            }
        }
        for (int i = 0, n = childCount(node); i < n; i++) {
            int c = child(node, i);
            if (depth == path.length) {
                path = Arrays.copyOf(path, depth * 2);
            }
            path[depth] = profile.tree.frame(c);
            visit(c, path, depth + 1, visitor);
        }
    }

    /** Receives a root-first stack of frame ids (valid for {@code depth} entries) and its self value. */
    @FunctionalInterface
    public interface StackVisitor {
        void stack(int[] frames, int depth, int node, long value);
    }
}
