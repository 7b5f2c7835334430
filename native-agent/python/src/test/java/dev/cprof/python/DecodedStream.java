package dev.cprof.python;

import dev.cprof.wire.SampleGroups;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Frame;
import dev.cprof.wire.proto.Stack;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A receiver of one batch stream, as the merge engine would see it: stacks as frame texts. */
final class DecodedStream {
    final List<String> strings = new ArrayList<>();
    final List<Frame> frames = new ArrayList<>();
    final List<Stack> stacks = new ArrayList<>();
    /** "root;...;leaf" (frame name, ":line" when set) → sample count. */
    final Map<String, Long> counts = new LinkedHashMap<>();
    long dropped;
    long batches;

    void accept(Batch b) {
        if (b.getStringBase() != strings.size() || b.getFrameBase() != frames.size()
                || b.getStackBase() != stacks.size()) {
            throw new AssertionError("dictionary gap in batch " + b.getSequence());
        }
        strings.addAll(b.getNewStringsList());
        frames.addAll(b.getNewFramesList());
        stacks.addAll(b.getNewStacksList());
        SampleGroups.forEach(b, (stack, event, count, weight) -> counts.merge(text(stacks.get(stack)), count, Long::sum));
        dropped += b.getDropped().getOther();
        batches++;
    }

    private String text(Stack s) {
        StringBuilder sb = new StringBuilder();
        for (int id : s.getFramesList()) {
            Frame f = frames.get(id);
            if (sb.length() > 0) {
                sb.append(';');
            }
            sb.append(strings.get(f.getName()));
            if (f.getLine() > 0) {
                sb.append(':').append(f.getLine());
            }
        }
        return sb.toString();
    }

    long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Samples whose stack contains {@code fragment}. */
    long containing(String fragment) {
        return counts.entrySet().stream().filter(e -> e.getKey().contains(fragment))
                .mapToLong(Map.Entry::getValue).sum();
    }
}
