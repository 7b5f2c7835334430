package dev.cprof.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.SampleGroups;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.Frame;
import dev.cprof.wire.proto.SampleGroup;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Rebuilds one stream's stacks from its batches' dictionary deltas, checking as it goes that
 * the bases, sequence numbers and ids are consistent.
 */
final class DecodedProfile {
    final List<String> strings = new ArrayList<>();
    final List<Frame> frames = new ArrayList<>();
    final List<List<Integer>> stacks = new ArrayList<>();
    /** "frame;frame;..." root first -> {count, weight}, per event. */
    final Map<EventType, Map<List<String>, long[]>> samples = new HashMap<>();
    /** The same with each frame's kind and type: "name|KIND|TYPE". */
    final Map<EventType, Map<List<String>, long[]>> typedSamples = new HashMap<>();
    long batches;
    long droppedBufferFull;
    long unwalkable;
    long droppedOther;
    /** The agent's Status asked for just before Stop (see AgentSessions.collect), or null. */
    dev.cprof.wire.proto.Status status;

    void add(Batch b) {
        assertEquals(batches + 1, b.getSequence(), "batch sequence");
        batches++;
        assertEquals(strings.size(), b.getStringBase(), "string_base");
        assertEquals(frames.size(), b.getFrameBase(), "frame_base");
        assertEquals(stacks.size(), b.getStackBase(), "stack_base");
        strings.addAll(b.getNewStringsList());
        for (Frame f : b.getNewFramesList()) {
            assertTrue(f.getName() < strings.size(), "frame name id in range");
            frames.add(f);
        }
        for (var s : b.getNewStacksList()) {
            for (int id : s.getFramesList()) {
                assertTrue(id < frames.size(), "stack frame id in range");
            }
            stacks.add(s.getFramesList());
        }
        Set<EventType> events = new HashSet<>();
        for (SampleGroup g : b.getSampleGroupsList()) {
            assertNull(SampleGroups.check(g, stacks.size()), "well-formed sample group");
            assertTrue(events.add(g.getEvent()), "one sample group per event");
        }
        SampleGroups.forEach(b, (stack, event, count, weight) -> {
            List<String> names = new ArrayList<>();
            List<String> typed = new ArrayList<>();
            for (int id : stacks.get(stack)) {
                Frame f = frames.get(id);
                names.add(strings.get(f.getName()));
                typed.add(strings.get(f.getName()) + "|" + f.getKind() + "|" + f.getType());
            }
            long[] cw = samples.computeIfAbsent(event, k -> new HashMap<>()).computeIfAbsent(names, k -> new long[2]);
            cw[0] += count;
            cw[1] += weight;
            long[] tw = typedSamples.computeIfAbsent(event, k -> new HashMap<>()).computeIfAbsent(typed, k -> new long[2]);
            tw[0] += count;
            tw[1] += weight;
        });
        droppedBufferFull += b.getDropped().getBufferFull();
        unwalkable += b.getDropped().getUnwalkable();
        droppedOther += b.getDropped().getOther();
    }

    /** Sum of counts (weight=false) or weights of the event's stacks matching {@code p}. */
    long sum(EventType event, Predicate<List<String>> p, boolean weight) {
        long total = 0;
        for (var e : samples.getOrDefault(event, Map.of()).entrySet()) {
            if (p.test(e.getKey())) {
                total += e.getValue()[weight ? 1 : 0];
            }
        }
        return total;
    }

    /** Sum of counts of the event's typed stacks (frames "name|KIND|TYPE") matching {@code p}. */
    long typedCount(EventType event, Predicate<List<String>> p) {
        long total = 0;
        for (var e : typedSamples.getOrDefault(event, Map.of()).entrySet()) {
            if (p.test(e.getKey())) {
                total += e.getValue()[0];
            }
        }
        return total;
    }

    static Predicate<List<String>> leaf(String frameName) {
        return stack -> !stack.isEmpty() && stack.get(stack.size() - 1).equals(frameName);
    }

    static Predicate<List<String>> contains(String frameName) {
        return stack -> stack.contains(frameName);
    }

    String dump(EventType event, int max) {
        return dumpMatching(event, s -> true, max);
    }

    /** The most frequent stacks of the event that match {@code p}, one per line. */
    String dumpMatching(EventType event, Predicate<List<String>> p, int max) {
        StringBuilder sb = new StringBuilder();
        samples.getOrDefault(event, Map.of()).entrySet().stream()
                .filter(e -> p.test(e.getKey()))
                .sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                .limit(max)
                .forEach(e -> sb.append(e.getValue()[0]).append(' ').append(String.join(";", e.getKey())).append('\n'));
        return sb.toString();
    }
}
