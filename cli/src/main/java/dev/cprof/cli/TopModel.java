package dev.cprof.cli;

import dev.cprof.profile.Events;
import dev.cprof.profile.Profile;
import dev.cprof.profile.StackTree;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.InstanceInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The numbers of {@code cprof top}: methods (frames aggregated by name over the whole tree) with
 * their self and total share, like a "top" of methods.
 *
 * <p>{@link #copy} runs under the profile's lock and only copies: the tree, frames and strings
 * are append-only, so it copies what is new since the last call, plus the value table (the only
 * part whose numbers change). {@link #rows} then computes from the copy, outside the lock, so the
 * merge thread is held up for a copy, never for a computation.
 */
final class TopModel {
    /** One method: self and total in the event's measure, and their share of the event's total. */
    record Row(String method, long self, long total, double selfPct, double totalPct) {}

    /** The rows, the event total they are shares of, and the per-instance self share of the selected method. */
    record Result(List<Row> rows, long eventTotal, List<String> instances, double[] selectedPerInstance) {}

    // tree copy: per node its parent, its method (string id of the frame's name), whether it is the
    // method's first occurrence on its path (so recursion counts once in total)
    private int[] parent = new int[1024];
    private int[] method = new int[1024];
    private boolean[] first = new boolean[1024];
    private int nodes = 1;
    private int[] frameName = new int[1024];
    private int frames;
    private final List<String> strings = new ArrayList<>();
    // value table copy
    private int[] vNode = new int[1024];
    private int[] vInstance = new int[1024];
    private int[] vEvent = new int[1024];
    private long[] vCount = new long[1024];
    private long[] vWeight = new long[1024];
    private int values;
    private final List<String> instanceLabels = new ArrayList<>();
    private final List<EventType> events = new ArrayList<>();
    private long samples;
    private long lost;
    private long unwalked;

    TopModel() {
        parent[0] = -1;
        method[0] = -1;
    }

    /** Copies the profile's new parts and its values. Call with the profile's lock held. */
    void copy(Profile p) {
        for (int s = strings.size(); s < p.strings.size(); s++) {
            strings.add(p.strings.get(s));
        }
        int nf = p.frames.size();
        if (nf > frameName.length) {
            frameName = Arrays.copyOf(frameName, Math.max(nf, frameName.length * 2));
        }
        for (; frames < nf; frames++) {
            frameName[frames] = p.frames.name(frames);
        }
        int nn = p.tree.size();
        if (nn > parent.length) {
            int len = Math.max(nn, parent.length * 2);
            parent = Arrays.copyOf(parent, len);
            method = Arrays.copyOf(method, len);
            first = Arrays.copyOf(first, len);
        }
        int from = nodes;
        for (; nodes < nn; nodes++) {
            parent[nodes] = p.tree.parent(nodes);
            method[nodes] = frameName[p.tree.frame(nodes)];
        }
        int nv = p.values.size();
        if (nv > vNode.length) {
            int len = Math.max(nv, vNode.length * 2);
            vNode = Arrays.copyOf(vNode, len);
            vInstance = Arrays.copyOf(vInstance, len);
            vEvent = Arrays.copyOf(vEvent, len);
            vCount = Arrays.copyOf(vCount, len);
            vWeight = Arrays.copyOf(vWeight, len);
        }
        long n = 0;
        for (int s = 0; s < nv; s++) {
            vNode[s] = p.values.node(s);
            vInstance[s] = p.values.instance(s);
            vEvent[s] = p.values.eventNumber(s);
            vCount[s] = p.values.count(s);
            vWeight[s] = p.values.weight(s);
            n += vCount[s];
        }
        values = nv;
        samples = n;
        lost = p.lost();
        unwalked = p.unwalked();
        List<InstanceInfo> infos = p.instances();
        for (int i = instanceLabels.size(); i < infos.size(); i++) {
            instanceLabels.add(Profile.instanceLabel(infos.get(i)));
        }
        events.clear();
        events.addAll(p.events());
        markFirst(from);
    }

    /** For new nodes: is their method absent from their ancestors? (Outside the hot path: nodes are few.) */
    private void markFirst(int from) {
        for (int n = from; n < nodes; n++) {
            boolean f = true;
            for (int a = parent[n]; a > StackTree.ROOT; a = parent[a]) {
                if (method[a] == method[n]) {
                    f = false;
                    break;
                }
            }
            first[n] = f;
        }
    }

    /** Sample counts over all events and instances (for samples/s). */
    long samples() {
        return samples;
    }

    /** " · 12 lost, 340 unwalked" for the header line (samples lost, and kept unwalked), or "". */
    String losses() {
        String b = Losses.brief(lost, unwalked);
        return b.isEmpty() ? "" : " \u00b7 " + b;
    }

    List<EventType> events() {
        return events;
    }

    List<String> instances() {
        return instanceLabels;
    }

    /**
     * The methods of {@code event} on {@code instance} (all when < 0) matching {@code filter}
     * (null: all), hottest self first, and the per-instance self share of {@code selected}.
     */
    Result rows(EventType event, int instance, Pattern filter, String selected) {
        int ev = event.getNumber();
        boolean weight = Events.byWeight(event);
        long[] self = new long[nodes];
        int ni = instanceLabels.size();
        long[] instTotal = new long[ni];
        long[] instSelected = new long[ni];
        int selectedId = selected == null ? -2 : strings.indexOf(selected);
        for (int s = 0; s < values; s++) {
            if (vEvent[s] != ev) {
                continue;
            }
            long v = weight ? vWeight[s] : vCount[s];
            int inst = vInstance[s];
            if (inst < ni) {
                instTotal[inst] += v;
                if (method[vNode[s]] == selectedId) {
                    instSelected[inst] += v;
                }
            }
            if (instance < 0 || inst == instance) {
                self[vNode[s]] += v;
            }
        }
        long[] total = self.clone();
        for (int n = nodes - 1; n > 0; n--) {
            total[parent[n]] += total[n];
        }
        long[] mSelf = new long[strings.size()];
        long[] mTotal = new long[strings.size()];
        for (int n = 1; n < nodes; n++) {
            mSelf[method[n]] += self[n];
            if (first[n]) {
                mTotal[method[n]] += total[n];
            }
        }
        long all = total[StackTree.ROOT];
        List<Row> rows = new ArrayList<>();
        for (int m = 0; m < mTotal.length; m++) {
            if (mTotal[m] == 0 || (filter != null && !filter.matcher(strings.get(m)).find())) {
                continue;
            }
            rows.add(new Row(strings.get(m), mSelf[m], mTotal[m], pct(mSelf[m], all), pct(mTotal[m], all)));
        }
        rows.sort((a, b) -> a.self != b.self ? Long.compare(b.self, a.self)
                : a.total != b.total ? Long.compare(b.total, a.total) : a.method.compareTo(b.method));
        double[] perInstance = new double[ni];
        for (int i = 0; i < ni; i++) {
            perInstance[i] = pct(instSelected[i], instTotal[i]);
        }
        return new Result(rows, all, List.copyOf(instanceLabels), perInstance);
    }

    static double pct(long part, long whole) {
        return whole == 0 ? 0 : 100.0 * part / whole;
    }
}
