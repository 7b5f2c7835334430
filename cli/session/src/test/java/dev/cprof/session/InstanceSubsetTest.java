package dev.cprof.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.session.InstanceSubset.Candidate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The choice of {@code --instances} on fleets of thousands of instances (no JVMs): the count, the
 * spread over hosts and label values, joiners at the rate, reproducibility, and the option's
 * usage errors.
 */
class InstanceSubsetTest {

    /** {@code hosts} hosts of uneven size (10..190 instances), {@code zones} zones by host. */
    private static List<Candidate> fleet(int hosts, int zones, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Candidate> out = new ArrayList<>();
        for (int h = 0; h < hosts; h++) {
            int n = 10 + r.nextInt(181);
            for (int i = 0; i < n; i++) {
                // zones mix within a host too (a label is per instance)
                String zone = "z" + ((h + i) % zones);
                out.add(new Candidate("host" + h + ":" + (1000 + i), "host" + h, zone));
            }
        }
        return out;
    }

    private static List<Candidate> chooseAll(InstanceSubset subset, List<Candidate> present) {
        for (Candidate c : present) {
            assertFalse(subset.offer(c), "nothing is admitted before the start's choice");
        }
        return subset.ready();
    }

    /** No group has two more chosen than another group that still had instances left over. */
    private static void assertSpread(List<Candidate> all, List<Candidate> chosen, Function<Candidate, String> group) {
        Map<String, int[]> g = new TreeMap<>(); // {present, chosen}
        all.forEach(c -> g.computeIfAbsent(group.apply(c), k -> new int[2])[0]++);
        chosen.forEach(c -> g.get(group.apply(c))[1]++);
        int max = g.values().stream().mapToInt(v -> v[1]).max().orElse(0);
        for (var e : g.entrySet()) {
            int[] v = e.getValue();
            if (v[1] < v[0]) { // not exhausted: it had instances to give
                assertTrue(v[1] >= max - 1, e.getKey() + " has " + v[1] + " chosen of " + v[0] + ", another has " + max);
            }
        }
    }

    @Test
    void aCountOfAThousandsStrongFleetIsChosenSpreadEvenlyOverHosts() {
        List<Candidate> all = fleet(100, 1, 1);
        assertTrue(all.size() > 5_000, "fleet of " + all.size());
        InstanceSubset subset = new InstanceSubset(InstanceShare.parse("500", null, 42));
        List<Candidate> chosen = chooseAll(subset, all);
        assertEquals(500, chosen.size());
        assertEquals(500, new HashSet<>(chosen).size());
        assertEquals(500, subset.profiled());
        assertEquals(all.size(), subset.seen());
        assertSpread(all, chosen, Candidate::host);
        assertEquals("profiled 500 of " + String.format(java.util.Locale.ROOT, "%,d", all.size()) + " instances", subset.summary());
        // every chosen instance is admitted again when seen again (a rejoin), none of the others
        for (Candidate c : all.subList(0, 300)) {
            assertEquals(chosen.contains(c), subset.offer(c));
        }
        assertEquals(all.size(), subset.seen());
    }

    @Test
    void aPercentageIsFloorOfThoseAtTheStartAndAtLeastOne() {
        List<Candidate> thousand = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            thousand.add(new Candidate("h" + (i % 7) + ":" + i, "h" + (i % 7), ""));
        }
        assertEquals(50, chooseAll(new InstanceSubset(InstanceShare.parse("5%", null, 1)), thousand).size());
        assertEquals(25, chooseAll(new InstanceSubset(InstanceShare.parse("2.5%", null, 1)), thousand).size());
        assertEquals(1_000, chooseAll(new InstanceSubset(InstanceShare.parse("100%", null, 1)), thousand).size());
        assertEquals(1, chooseAll(new InstanceSubset(InstanceShare.parse("5%", null, 1)), thousand.subList(0, 10)).size());
        assertEquals(10, chooseAll(new InstanceSubset(InstanceShare.parse("50", null, 1)), thousand.subList(0, 10)).size());
        assertEquals(0, chooseAll(new InstanceSubset(InstanceShare.parse("5%", null, 1)), List.of()).size());
    }

    @Test
    void spreadByALabelBalancesItsValuesThenTheHostsWithinEach() {
        List<Candidate> all = fleet(60, 3, 2);
        List<Candidate> chosen = chooseAll(new InstanceSubset(InstanceShare.parse("2%", "zone", 7)), all);
        assertEquals(all.size() * 2 / 100, chosen.size());
        assertSpread(all, chosen, Candidate::label);
        for (String zone : List.of("z0", "z1", "z2")) {
            List<Candidate> inZone = all.stream().filter(c -> c.label().equals(zone)).toList();
            assertSpread(inZone, chosen.stream().filter(c -> c.label().equals(zone)).toList(), Candidate::host);
        }
    }

    @Test
    void theSameSeedGivesTheSameChoiceAndAnotherSeedAnother() {
        List<Candidate> all = fleet(40, 1, 3);
        Set<Candidate> a = new HashSet<>(chooseAll(new InstanceSubset(InstanceShare.parse("3%", null, 11)), all));
        Set<Candidate> b = new HashSet<>(chooseAll(new InstanceSubset(InstanceShare.parse("3%", null, 11)), all));
        Set<Candidate> c = new HashSet<>(chooseAll(new InstanceSubset(InstanceShare.parse("3%", null, 12)), all));
        assertEquals(a, b);
        assertNotEquals(a, c);
        // the offer order does not matter either
        List<Candidate> reversed = new ArrayList<>(all);
        java.util.Collections.reverse(reversed);
        assertEquals(a, new HashSet<>(chooseAll(new InstanceSubset(InstanceShare.parse("3%", null, 11)), reversed)));
    }

    /**
     * 1,000 at the start, then 10,000 joiners arriving in a rolling-deploy pattern (one per host in
     * turn, 20 hosts): after every joiner the profiled share is at most the target and at most two
     * instances behind it, and the admitted joiners are spread over the hosts (a plain "every 20th
     * joiner" rule would put them all on one host).
     */
    @Test
    void joinersAreAdmittedAtTheRateNeverAboveItAndSpreadOverHosts() {
        for (String spec : List.of("5%", "50")) {
            InstanceSubset subset = new InstanceSubset(InstanceShare.parse(spec, null, 5));
            List<Candidate> start = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                start.add(new Candidate("h" + (i % 20) + ":" + i, "h" + (i % 20), ""));
            }
            assertEquals(50, chooseAll(subset, start).size());
            Map<String, Integer> admittedByHost = new HashMap<>();
            List<Boolean> decisions = new ArrayList<>();
            for (int j = 0; j < 10_000; j++) {
                String host = "h" + (j % 20);
                Candidate c = new Candidate(host + ":" + (100_000 + j), host, "");
                boolean admitted = subset.offer(c);
                decisions.add(admitted);
                if (admitted) {
                    admittedByHost.merge(host, 1, Integer::sum);
                }
                long seen = subset.seen();
                long profiled = subset.profiled();
                assertTrue(profiled * 20 <= seen, spec + ": " + profiled + " of " + seen + " is above 5%");
                assertTrue(profiled * 20 > seen - 40, spec + ": " + profiled + " of " + seen + " is 2 instances behind 5%");
            }
            assertEquals(11_000, subset.seen());
            assertTrue(subset.profiled() >= 549 && subset.profiled() <= 550, spec + ": " + subset.profiled());
            assertEquals(20, admittedByHost.size(), spec + ": " + admittedByHost);
            for (var e : admittedByHost.entrySet()) {
                assertTrue(e.getValue() >= 10 && e.getValue() <= 40, spec + ": " + admittedByHost);
            }
            // reproducible: the same seed and arrivals decide the same way
            InstanceSubset again = new InstanceSubset(InstanceShare.parse(spec, null, 5));
            chooseAll(again, start);
            for (int j = 0; j < 10_000; j++) {
                String host = "h" + (j % 20);
                assertEquals(decisions.get(j), again.offer(new Candidate(host + ":" + (100_000 + j), host, "")), spec + " joiner " + j);
            }
        }
    }

    @Test
    void aCountLargerThanTheFleetAtTheStartTakesJoinersUntilItIsReached() {
        InstanceSubset subset = new InstanceSubset(InstanceShare.parse("5", null, 1));
        assertEquals(2, chooseAll(subset, List.of(new Candidate("a:1", "a", ""), new Candidate("a:2", "a", ""))).size());
        int admitted = 0;
        for (int j = 0; j < 100; j++) {
            admitted += subset.offer(new Candidate("b:" + j, "b", "")) ? 1 : 0;
        }
        assertEquals(3, admitted);
        assertEquals(5, subset.profiled());
        assertEquals(102, subset.seen());
    }

    @Test
    void badValuesAreUsageErrors() {
        for (String bad : List.of("0", "-3", "0%", "150%", "100.5%", "abc", "", "5.5", "%", "1.00001%", "99999999999")) {
            SessionException e = assertThrows(SessionException.class, () -> InstanceShare.parse(bad, null, 1), bad);
            assertEquals(ExitCodes.USAGE, e.exitCode(), bad);
            assertTrue(e.getMessage().startsWith("--instances: "), e.getMessage());
        }
        SessionException e = assertThrows(SessionException.class, () -> InstanceShare.parse("5", "zone=eu", 1));
        assertEquals(ExitCodes.USAGE, e.exitCode());
        assertEquals("5%", InstanceShare.parse(" 5% ", null, 1).describe());
        assertEquals("2.5% --spread-by zone", InstanceShare.parse("2.5%", "zone", 1).describe());
        assertEquals(25_000, InstanceShare.parse("2.5%", null, 1).ppm());
    }
}
