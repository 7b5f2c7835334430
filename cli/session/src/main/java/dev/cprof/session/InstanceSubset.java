package dev.cprof.session;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which instances of a service a session with {@code --instances} profiles. Pure logic (no I/O),
 * thread-safe; a source offers every instance it sees and attaches the ones it is given back.
 *
 * <p><b>At the start</b> the source offers the instances already there, then calls {@link #ready}:
 * the subset is chosen among them in one go. Each instance gets a random rank, a hash of the
 * session's seed and its key (so the same seed and instances give the same choice). Within a
 * host, instances are taken by rank; hosts take turns (round-robin, the order of each round by
 * rank), so no host has two more than another that still has instances to give. With
 * {@code --spread-by LABEL} the values of the label take turns the same way, and the hosts take
 * turns within each value. N instances, or floor(P % of those present), at least one.
 *
 * <p><b>Joiners</b> (instances seen after {@link #ready}) are admitted at the same rate: the
 * target share is P %, or N of the instances present at the start. (When N or fewer were there,
 * every instance is profiled until N are, then no more.) A joiner is refused when admitting it would put the profiled share
 * above the target. When the share would stay at or below it, the joiner is admitted if the
 * session is a whole instance or more behind its target, or if its host (or label value) is, or
 * else if its rank falls below the target share: random, so that a
 * regular pattern of arrivals (a rolling deploy host after host) is not sampled in step with it,
 * and still never above the target nor more than two instances behind it. Every decision is a
 * function of the seed, the instance's key and the instances seen before it: reproducible.
 */
public final class InstanceSubset {
    /** An instance as the subset sees it: its key (host:pid), its host, its value of the spread label ("" if none). */
    public record Candidate(String key, String host, String label) {}

    private final InstanceShare share;
    /** Instances offered before {@link #ready}, in order. */
    private Map<String, Candidate> pending = new LinkedHashMap<>();
    private final Map<String, Boolean> decided = new HashMap<>();
    private final Map<String, int[]> byHost = new HashMap<>(); // {seen, profiled}
    private final Map<String, int[]> byLabel = new HashMap<>();
    private int seen;
    private int profiled;
    /** The target share as a fraction num/den; den 0 for a count N when at most N were there at the start. */
    private long num;
    private long den;

    public InstanceSubset(InstanceShare share) {
        this.share = share;
        if (share.isPercent()) {
            num = share.ppm();
            den = InstanceShare.MILLION;
        }
    }

    public InstanceShare share() {
        return share;
    }

    /**
     * An instance the source sees. Before {@link #ready}: kept for the choice, returns false.
     * After: true when it is (or was, for a key seen before) admitted.
     */
    public synchronized boolean offer(Candidate c) {
        Boolean known = decided.get(c.key());
        if (known != null) {
            return known;
        }
        if (pending != null) {
            pending.putIfAbsent(c.key(), c);
            return false;
        }
        count(c);
        boolean admit = admitJoiner(c);
        decide(c, admit);
        return admit;
    }

    /** The instances present at the start have all been offered: the ones to profile, in choice order. */
    public synchronized List<Candidate> ready() {
        if (pending == null) {
            return List.of();
        }
        List<Candidate> present = new ArrayList<>(pending.values());
        pending = null;
        present.forEach(this::count);
        int n = present.size();
        int k = share.isPercent() ? (int) (n * share.ppm() / InstanceShare.MILLION) : Math.min(share.count(), n);
        if (n > 0) {
            k = Math.max(1, k);
        }
        List<Candidate> order = spreadOrder(present);
        if (!share.isPercent() && n > share.count()) {
            num = share.count(); // joiners at the rate of the start: N of those present
            den = n;
        }
        for (int i = 0; i < order.size(); i++) {
            decide(order.get(i), i < k);
        }
        return new ArrayList<>(order.subList(0, k));
    }

    /** Instances seen so far (each key once). */
    public synchronized int seen() {
        return seen;
    }

    /** Instances chosen or admitted so far. */
    public synchronized int profiled() {
        return profiled;
    }

    /** "profiled 50 of 1,000 instances". */
    public synchronized String summary() {
        return InstanceShare.profiledOf(profiled, seen);
    }

    private void count(Candidate c) {
        seen++;
        byHost.computeIfAbsent(c.host(), h -> new int[2])[0]++;
        byLabel.computeIfAbsent(c.label(), l -> new int[2])[0]++;
    }

    private void decide(Candidate c, boolean admit) {
        decided.put(c.key(), admit);
        if (admit) {
            profiled++;
            byHost.get(c.host())[1]++;
            byLabel.get(c.label())[1]++;
        }
    }

    /** The rule for an instance seen after the start (already counted in {@link #seen}). */
    private boolean admitJoiner(Candidate c) {
        if (den == 0) {
            return profiled < share.count(); // N were not there at the start: the first N are profiled
        }
        if (profiled == 0) {
            return true; // a session profiles at least one instance
        }
        // how far below the target the share would be after admitting: budget = target·seen − profiled, in 1/den
        long budget = num * seen - (long) profiled * den;
        if (budget < den) {
            return false; // admitting would put the share above the target
        }
        if (budget >= 2 * den) {
            return true; // a whole instance behind even after admitting it: catch up
        }
        if (behind(byHost.get(c.host())) || (share.spreadBy() != null && behind(byLabel.get(c.label())))) {
            return true;
        }
        return rank(c) * den < num;
    }

    /**
     * This host (label value) is a whole instance or more below the target share of its instances
     * seen. (Merely below would hold for almost every host right after its own joiner arrived.)
     */
    private boolean behind(int[] seenProfiled) {
        return num * seenProfiled[0] - (long) seenProfiled[1] * den >= den;
    }

    /** Round-robin over label values (with --spread-by), within each over hosts, within a host by rank. */
    private List<Candidate> spreadOrder(List<Candidate> present) {
        Map<String, List<Candidate>> byValue = new LinkedHashMap<>();
        for (Candidate c : present) {
            byValue.computeIfAbsent(share.spreadBy() == null ? "" : c.label(), v -> new ArrayList<>()).add(c);
        }
        List<List<Candidate>> values = new ArrayList<>();
        for (List<Candidate> ofValue : byValue.values()) {
            Map<String, List<Candidate>> hosts = new LinkedHashMap<>();
            for (Candidate c : ofValue) {
                hosts.computeIfAbsent(c.host(), h -> new ArrayList<>()).add(c);
            }
            List<List<Candidate>> lists = new ArrayList<>();
            for (List<Candidate> ofHost : hosts.values()) {
                ofHost.sort(Comparator.comparingDouble(this::rank).thenComparing(Candidate::key));
                lists.add(ofHost);
            }
            values.add(roundRobin(lists));
        }
        return roundRobin(values);
    }

    /** Round i takes the i-th of every list that has one, lowest rank first. */
    private List<Candidate> roundRobin(List<List<Candidate>> lists) {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; ; i++) {
            List<Candidate> round = new ArrayList<>();
            for (List<Candidate> l : lists) {
                if (i < l.size()) {
                    round.add(l.get(i));
                }
            }
            if (round.isEmpty()) {
                return out;
            }
            round.sort(Comparator.comparingDouble(this::rank).thenComparing(Candidate::key));
            out.addAll(round);
        }
    }

    /** The instance's random rank in [0, 1): a hash of the seed and its key. */
    double rank(Candidate c) {
        long h = share.seed() ^ 0xcbf29ce484222325L; // FNV-1a over the key's bytes, then SplitMix64's finalizer
        for (byte b : c.key().getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return (h >>> 11) * 0x1.0p-53;
    }
}
