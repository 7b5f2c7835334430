package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cprof.wire.proto.EventType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The value table against a plain map: the same sums per (node, instance, event), slots in the
 * order cells were first added, across several growths of the table (the interleaved cells are
 * placed again on each).
 */
class ValueTableTest {

    private record Cell(int node, int instance, EventType event) {}

    @Test
    void sumsAndSlotOrderMatchAReferenceMapAcrossGrowth() {
        ValueTable table = new ValueTable();
        Map<Cell, long[]> expected = new HashMap<>();
        List<Cell> firstSeen = new ArrayList<>();
        EventType[] events = {EventType.CPU, EventType.WALL, EventType.ALLOC, EventType.LOCK};
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 300_000; i++) {
            // a hot set and a long tail, so cells are both revisited and created throughout
            int node = random.nextInt(10) < 7 ? random.nextInt(200) : random.nextInt(Integer.MAX_VALUE);
            int instance = random.nextInt(1 << 24);
            if (random.nextBoolean()) {
                instance &= 3;
            }
            Cell c = new Cell(node, instance, events[random.nextInt(events.length)]);
            long count = 1 + random.nextInt(5);
            long weight = random.nextLong(1L << 40);
            long[] sum = expected.computeIfAbsent(c, k -> {
                firstSeen.add(k);
                return new long[2];
            });
            sum[0] += count;
            sum[1] += weight;
            table.add(c.node(), c.instance(), c.event(), count, weight);
        }
        assertEquals(firstSeen.size(), table.size());
        for (int slot = 0; slot < table.size(); slot++) {
            Cell c = firstSeen.get(slot);
            assertEquals(c, new Cell(table.node(slot), table.instance(slot), table.event(slot)), "slot " + slot);
            assertEquals(c.event().getNumber(), table.eventNumber(slot));
            assertEquals(expected.get(c)[0], table.count(slot), "count of slot " + slot);
            assertEquals(expected.get(c)[1], table.weight(slot), "weight of slot " + slot);
        }
    }

    @Test
    void theZeroKeyIsACellLikeAnyOther() {
        ValueTable table = new ValueTable();
        // node 0, instance 0, event 0: key 0, which the table stores as 1 (0 marks an empty cell)
        EventType zero = EventType.forNumber(0);
        table.add(0, 0, zero, 2, 20);
        table.add(0, 0, zero, 3, 30);
        assertEquals(1, table.size());
        assertEquals(5, table.count(0));
        assertEquals(50, table.weight(0));
        assertEquals(0, table.node(0));
        assertEquals(0, table.instance(0));
        assertEquals(zero, table.event(0));
    }
}
