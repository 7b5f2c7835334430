package dev.cprof.profile;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * The method table of a diff: one {@link Diff.Row} per frame name with a value in BASE or NEW,
 * aggregated over every name-path node with that name. Self share = the method's self value
 * over the profile's total; total share = the value of every stack that contains the method,
 * counted once even when the method recurses. Largest change first, then by name.
 */
final class DiffRows {
    private DiffRows() {}

    static List<Diff.Row> of(DiffTree tree) {
        int m = tree.nameCount();
        long[] bSelf = new long[m];
        long[] nSelf = new long[m];
        long[] bTotal = new long[m];
        long[] nTotal = new long[m];
        int[] onPath = new int[m];
        // Depth first with enter and exit events (~node = exit): a name's total counts the
        // outermost node of each path only, so recursion is not counted twice.
        int[] stack = new int[64];
        int sp = 0;
        stack[sp++] = 0;
        while (sp > 0) {
            int item = stack[--sp];
            if (item < 0) {
                onPath[tree.nameIdOf(~item)]--;
                continue;
            }
            int node = item;
            if (node != 0) {
                int id = tree.nameIdOf(node);
                bSelf[id] += tree.baseSelf(node);
                nSelf[id] += tree.newSelf(node);
                if (onPath[id] == 0) {
                    bTotal[id] += tree.baseSum(node);
                    nTotal[id] += tree.newSum(node);
                }
                onPath[id]++;
            }
            int children = tree.childCount(node);
            if (sp + children + 1 > stack.length) {
                stack = Arrays.copyOf(stack, Math.max(stack.length * 2, sp + children + 1));
            }
            if (node != 0) {
                stack[sp++] = ~node;
            }
            for (int i = children - 1; i >= 0; i--) {
                stack[sp++] = tree.child(node, i);
            }
        }
        long baseTotal = tree.baseTotal();
        long newTotal = tree.newTotal();
        List<Diff.Row> out = new ArrayList<>(m);
        for (int id = 0; id < m; id++) {
            if (bTotal[id] == 0 && nTotal[id] == 0) {
                continue;
            }
            out.add(new Diff.Row(tree.name(id), Diff.pct(bSelf[id], baseTotal), Diff.pct(nSelf[id], newTotal),
                    Diff.pct(bTotal[id], baseTotal), Diff.pct(nTotal[id], newTotal)));
        }
        out.sort(Comparator.comparingDouble(Diff.Row::magnitude).reversed().thenComparing(Diff.Row::method));
        return Collections.unmodifiableList(out);
    }
}
