package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The instance of one profile that differs most from the rest of its fleet ({@code cprof diff
 * --per-instance}). Each instance with samples of the event is a vector of self shares over
 * methods (frame names), which sums to 1; the fleet's profile is the element-wise median of
 * those vectors, which one odd instance cannot move. An instance's distance is the total
 * variation distance to the median, ½ Σ |share − median|: 0 = the same mix of methods, 0.3 ≈
 * 30 % of its samples sit elsewhere than the fleet's. Needs one profile only (NEW, usually):
 * the fleet is compared with itself, not with BASE.
 */
public final class DiffOutlier {
    /** Fewer instances have no meaningful median (with two, both are equally far from it). */
    public static final int MIN_INSTANCES = 3;

    /** An instance and its distance to the fleet's median (0..1). */
    public record Instance(int index, String label, long total, double distance) {}

    /** A method's self share (percent) in the outlier and in the fleet's median. */
    public record Method(String method, double share, double median) {
        public double delta() {
            return share - median;
        }
    }

    private final List<Instance> instances;
    private final List<Method> methods;

    private DiffOutlier(List<Instance> instances, List<Method> methods) {
        this.instances = instances;
        this.methods = methods;
    }

    /** Instances with samples of the event, farthest from the median first. */
    public List<Instance> instances() {
        return instances;
    }

    public Instance outlier() {
        return instances.get(0);
    }

    /** The outlier's methods, largest difference from the median first. */
    public List<Method> methods() {
        return methods;
    }

    /** The farthest distance of the other instances, for scale. */
    public double nextDistance() {
        return instances.size() > 1 ? instances.get(1).distance() : 0;
    }

    /**
     * Finds the outlier among the instances of {@code profile} that have samples of {@code event};
     * empty with fewer than {@link #MIN_INSTANCES} of them. {@code top} bounds the method list
     * (all when ≤ 0).
     */
    public static Optional<DiffOutlier> of(Profile profile, EventType event, int top) {
        int instanceCount = profile.instances().size();
        ValueTable v = profile.values;
        for (int s = 0; s < v.size(); s++) {
            instanceCount = Math.max(instanceCount, v.instance(s) + 1);
        }
        Map<String, Integer> nameIds = new HashMap<>();
        List<String> names = new ArrayList<>();
        int[] frameName = new int[profile.frames.size()];
        Arrays.fill(frameName, -1);
        // Self value per (instance, method); the leaf frame of a node names its method.
        List<Map<Integer, Long>> self = new ArrayList<>();
        for (int i = 0; i < instanceCount; i++) {
            self.add(new HashMap<>());
        }
        long[] totals = new long[instanceCount];
        for (int s = 0; s < v.size(); s++) {
            if (v.eventNumber(s) != event.getNumber() || v.node(s) == StackTree.ROOT) {
                continue;
            }
            long m = Events.measure(event, v.count(s), v.weight(s));
            if (m == 0) {
                continue;
            }
            int f = profile.tree.frame(v.node(s));
            if (frameName[f] < 0) {
                String n = profile.frameName(f);
                Integer id = nameIds.get(n);
                if (id == null) {
                    id = names.size();
                    names.add(n);
                    nameIds.put(n, id);
                }
                frameName[f] = id;
            }
            self.get(v.instance(s)).merge(frameName[f], m, Long::sum);
            totals[v.instance(s)] += m;
        }
        List<Integer> live = new ArrayList<>();
        for (int i = 0; i < instanceCount; i++) {
            if (totals[i] > 0) {
                live.add(i);
            }
        }
        if (live.size() < MIN_INSTANCES) {
            return Optional.empty();
        }
        int k = live.size();
        int methodCount = names.size();
        double[][] share = new double[k][methodCount];
        for (int j = 0; j < k; j++) {
            int i = live.get(j);
            for (Map.Entry<Integer, Long> e : self.get(i).entrySet()) {
                share[j][e.getKey()] = (double) e.getValue() / totals[i];
            }
        }
        double[] median = new double[methodCount];
        double[] column = new double[k];
        for (int m = 0; m < methodCount; m++) {
            for (int j = 0; j < k; j++) {
                column[j] = share[j][m];
            }
            Arrays.sort(column);
            median[m] = k % 2 == 1 ? column[k / 2] : (column[k / 2 - 1] + column[k / 2]) / 2;
        }
        List<Instance> result = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
            double d = 0;
            for (int m = 0; m < methodCount; m++) {
                d += Math.abs(share[j][m] - median[m]);
            }
            int i = live.get(j);
            String label = i < profile.instances().size() ? Profile.instanceLabel(profile.instances().get(i)) : "instance " + i;
            result.add(new Instance(i, label, totals[i], d / 2));
        }
        result.sort(Comparator.comparingDouble(Instance::distance).reversed().thenComparingInt(Instance::index));
        int o = live.indexOf(result.get(0).index());
        List<Method> methods = new ArrayList<>();
        for (int m = 0; m < methodCount; m++) {
            if (share[o][m] != median[m]) {
                methods.add(new Method(names.get(m), 100 * share[o][m], 100 * median[m]));
            }
        }
        methods.sort(Comparator.comparingDouble((Method x) -> Math.abs(x.delta())).reversed().thenComparing(Method::method));
        if (top > 0 && methods.size() > top) {
            methods = new ArrayList<>(methods.subList(0, top));
        }
        return Optional.of(new DiffOutlier(Collections.unmodifiableList(result), Collections.unmodifiableList(methods)));
    }
}
