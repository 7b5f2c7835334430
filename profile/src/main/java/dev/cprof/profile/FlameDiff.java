package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;

/**
 * A differential flame graph as the HTML page draws it ({@link FlameJson}'s per-event
 * {@code "delta"}): NEW's tree with, per node of NEW's {@link StackTree}, the signed change of
 * its self share in NEW's units ({@link DiffColours#newNodeDelta}) and whether BASE never had its
 * stack. The page sums the changes over subtrees and colours by {@link DiffColours}' rule.
 *
 * @param event the compared event; the page shows only this one
 * @param selfDelta per NEW node: change of self share × NEW total / 100
 * @param fresh per NEW node: true when BASE has no sample at or below its name path
 * @param newTotal NEW's total of the event, the denominator of the shares
 * @param fullPp the change in percentage points drawn at full colour ({@link DiffColours#scalePp})
 */
record FlameDiff(EventType event, double[] selfDelta, boolean[] fresh, long newTotal, double fullPp) {}
