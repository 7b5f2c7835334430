package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * speedscope's JSON file format (https://www.speedscope.app/file-format-schema.json): shared
 * frames and one "sampled" profile per event, or per (event, instance) when the profile has
 * several instances and no single instance was chosen. Each stack with a self value is one
 * sample (frame indexes root first) whose weight is the event's measure ({@link Events#measure});
 * units are "none" for sample counts, "bytes" for alloc, "nanoseconds" for lock.
 */
final class SpeedscopeWriter implements ProfileWriter {
    static final String SCHEMA = "https://www.speedscope.app/file-format-schema.json";

    @Override
    public void write(Profile profile, OutputStream out, WriteOptions options) throws IOException {
        List<EventType> events = profile.events();
        if (events.isEmpty()) {
            events = List.of(options.eventOf(profile));
        }
        List<Integer> instances = new ArrayList<>();
        boolean perInstance = options.instance() < 0 && profile.instances().size() > 1;
        if (perInstance) {
            for (int i = 0; i < profile.instances().size(); i++) {
                instances.add(i);
            }
        } else {
            instances.add(options.instance());
        }

        int[] sharedIndex = new int[profile.frames.size()];
        java.util.Arrays.fill(sharedIndex, -1);
        List<Integer> sharedFrames = new ArrayList<>();
        // speedscope has no place for a frame's type: frames that differ only in type share an
        // entry, so its sandwich and left-heavy views keep one row per method.
        LongIntMap sharedOf = new LongIntMap(Math.max(16, profile.frames.size()));
        StringBuilder profiles = new StringBuilder(1 << 16);
        int profileCount = 0;
        int active = -1;
        EventType mainEvent = options.eventOf(profile);
        for (EventType event : events) {
            for (int instance : instances) {
                FlameView view = FlameView.of(profile, event, instance);
                if (perInstance && view.total(StackTree.ROOT) == 0) {
                    continue;
                }
                StringBuilder samples = new StringBuilder();
                StringBuilder weights = new StringBuilder();
                view.forEachStack((frames, depth, node, value) -> {
                    samples.append(samples.length() == 0 ? "[" : ",[");
                    for (int i = 0; i < depth; i++) {
                        int f = frames[i];
                        if (sharedIndex[f] < 0) {
                            long key = ((long) profile.frames.name(f) << 32) | ((long) profile.frames.kind(f).getNumber() << 28)
                                    | (profile.frames.line(f) & 0x0fffffffL);
                            int shared = sharedOf.get(key);
                            if (shared < 0) {
                                shared = sharedFrames.size();
                                sharedFrames.add(f);
                                sharedOf.putNew(key, shared);
                            }
                            sharedIndex[f] = shared;
                        }
                        if (i > 0) {
                            samples.append(',');
                        }
                        samples.append(sharedIndex[f]);
                    }
                    samples.append(']');
                    weights.append(weights.length() == 0 ? "" : ",").append(value);
                });
                String name = Events.name(event);
                if (instance >= 0 && instance < profile.instances().size()) {
                    name = name + " \u2014 " + Profile.instanceLabel(profile.instances().get(instance));
                }
                profiles.append(profileCount == 0 ? "\n  " : ",\n  ");
                profiles.append("{\"type\":\"sampled\",\"name\":");
                Json.string(profiles, name);
                profiles.append(",\"unit\":\"").append(unit(event)).append('"');
                profiles.append(",\"startValue\":0,\"endValue\":").append(view.total(StackTree.ROOT));
                profiles.append(",\"samples\":[").append(samples).append("]");
                profiles.append(",\"weights\":[").append(weights).append("]}");
                if (event == mainEvent && active < 0) {
                    active = profileCount;
                }
                profileCount++;
            }
        }
        if (profileCount == 0) {
            profiles.append("\n  {\"type\":\"sampled\",\"name\":\"").append(Events.name(mainEvent))
                    .append("\",\"unit\":\"").append(unit(mainEvent))
                    .append("\",\"startValue\":0,\"endValue\":0,\"samples\":[],\"weights\":[]}");
        }

        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        StringBuilder head = new StringBuilder(1 << 12);
        head.append("{\"$schema\":\"").append(SCHEMA).append("\",\n\"shared\":{\"frames\":[");
        for (int i = 0; i < sharedFrames.size(); i++) {
            int f = sharedFrames.get(i);
            head.append(i == 0 ? "\n  " : ",\n  ").append("{\"name\":");
            Json.string(head, profile.frameName(f));
            if (profile.frames.line(f) > 0) {
                head.append(",\"line\":").append(profile.frames.line(f));
            }
            head.append('}');
            if (head.length() > 1 << 15) {
                w.append(head);
                head.setLength(0);
            }
        }
        head.append("]},\n\"profiles\":[");
        w.append(head);
        w.append(profiles);
        StringBuilder tail = new StringBuilder();
        tail.append("],\n\"name\":");
        String title = options.title() == null || options.title().isEmpty() ? "cprof" : options.title();
        Json.string(tail, title);
        tail.append(",\"activeProfileIndex\":").append(Math.max(0, active)).append(",\"exporter\":\"cprof\"}\n");
        w.append(tail);
        w.flush();
    }

    /** speedscope's unit of the event's measure. */
    static String unit(EventType e) {
        return switch (e) {
            case ALLOC -> "bytes";
            case LOCK, JDBC -> "nanoseconds";
            default -> "none";
        };
    }
}
