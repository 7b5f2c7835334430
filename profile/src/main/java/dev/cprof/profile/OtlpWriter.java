package dev.cprof.profile;

import com.google.protobuf.ByteString;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.profiles.v1development.Function;
import io.opentelemetry.proto.profiles.v1development.KeyValueAndUnit;
import io.opentelemetry.proto.profiles.v1development.Line;
import io.opentelemetry.proto.profiles.v1development.Link;
import io.opentelemetry.proto.profiles.v1development.Location;
import io.opentelemetry.proto.profiles.v1development.Mapping;
import io.opentelemetry.proto.profiles.v1development.ProfilesDictionary;
import io.opentelemetry.proto.profiles.v1development.ResourceProfiles;
import io.opentelemetry.proto.profiles.v1development.Sample;
import io.opentelemetry.proto.profiles.v1development.ScopeProfiles;
import io.opentelemetry.proto.profiles.v1development.Stack;
import io.opentelemetry.proto.profiles.v1development.ValueType;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * OpenTelemetry profiles ({@code opentelemetry.proto.profiles.v1development}, the layout of
 * opentelemetry-proto 1.11, which the Collector v0.165 reads): one binary
 * {@code ExportProfilesServiceRequest}, the body of an OTLP/HTTP POST to {@code /v1/profiles}.
 * Built with the official generated classes.
 *
 * <ul>
 *   <li>One {@code ResourceProfiles} per instance, with semantic-convention resource attributes
 *       ({@code service.name}, {@code host.name}, {@code process.pid}, {@code process.runtime.*},
 *       {@code process.parent_pid} for a Python child) and cprof's own ({@code cprof.instance.id},
 *       {@code cprof.main_class}, one {@code cprof.label.KEY} per label).</li>
 *   <li>One {@code Profile} per event of that instance; its sample type is the measure cprof's flame
 *       graphs show ({@link Events#measure}): cpu and wall in samples ({@code cpu}/{@code count}),
 *       alloc in bytes, lock in nanoseconds. Time and duration are the session's.</li>
 *   <li>One sample per stack with a value in that profile; stacks are shared in the dictionary,
 *       leaf first. Every frame is one location with one line; its function has the frame's name and,
 *       as system name, the name with the JIT-type suffix that pprof output carries ({@code _[j]}).
 *       The frame kind is the location attribute {@code profile.frame.type} ({@code jvm},
 *       {@code native}, {@code kernel}, {@code cpython}); cprof's pseudo frames ({@code [gc]},
 *       thread names) have {@code cprof.frame.kind=pseudo} instead.</li>
 * </ul>
 * The dictionary's tables start with their zero entry, as the format requires. With
 * {@link WriteOptions#instance()} ≥ 0 only that instance is written.
 */
public final class OtlpWriter implements ProfileWriter {
    /** The instrumentation scope of every profile. */
    public static final String SCOPE = "dev.cprof";
    public static final String FRAME_TYPE = "profile.frame.type";
    public static final String FRAME_KIND = "cprof.frame.kind";
    public static final String LABEL_PREFIX = "cprof.label.";

    /** The OTLP sample type {type, unit} of an event: the measure that cprof shows for it. */
    public static String[] sampleType(EventType e) {
        return switch (e) {
            case CPU -> new String[] {"cpu", "count"};
            case WALL -> new String[] {"wall", "count"};
            case ALLOC -> new String[] {"alloc", "bytes"};
            case LOCK -> new String[] {"lock", "nanoseconds"};
            case JDBC -> new String[] {"jdbc", "nanoseconds"};
            default -> throw new IllegalArgumentException("no OTLP sample type for " + e);
        };
    }

    /** The semantic-convention {@code profile.frame.type} of a frame kind, or null (pseudo, unknown). */
    public static String frameType(FrameKind kind) {
        return switch (kind) {
            case JAVA -> "jvm";
            case NATIVE -> "native";
            case KERNEL -> "kernel";
            case PYTHON -> "cpython";
            default -> null;
        };
    }

    @Override
    public void write(Profile profile, OutputStream out, WriteOptions options) throws IOException {
        build(profile, options).writeTo(out);
        out.flush();
    }

    /** The request for a profile (all instances, or the one of {@code options}). */
    public static ExportProfilesServiceRequest build(Profile profile, WriteOptions options) {
        return new Builder(profile).build(options.instance());
    }

    private static final class Builder {
        private final Profile profile;
        private final ProfilesDictionary.Builder dict = ProfilesDictionary.newBuilder();
        private final Map<String, Integer> strings = new HashMap<>();
        private final Map<KeyValueAndUnit, Integer> attributes = new HashMap<>();
        private final Map<String, Integer> functions = new HashMap<>();
        private final int[] locationOfFrame;
        private final Map<Integer, Integer> stackOfNode = new HashMap<>();

        Builder(Profile profile) {
            this.profile = profile;
            this.locationOfFrame = new int[profile.frames.size()];
            // Index 0 of every table is the zero value ("unset"), as the format requires.
            str("");
            dict.addMappingTable(Mapping.getDefaultInstance());
            dict.addLocationTable(Location.getDefaultInstance());
            dict.addFunctionTable(Function.getDefaultInstance());
            dict.addLinkTable(Link.getDefaultInstance());
            dict.addAttributeTable(KeyValueAndUnit.getDefaultInstance());
            dict.addStackTable(Stack.getDefaultInstance());
        }

        int str(String s) {
            Integer id = strings.get(s);
            if (id == null) {
                id = strings.size();
                strings.put(s, id);
                dict.addStringTable(s);
            }
            return id;
        }

        int attribute(String key, String value) {
            KeyValueAndUnit kv = KeyValueAndUnit.newBuilder().setKeyStrindex(str(key))
                    .setValue(AnyValue.newBuilder().setStringValue(value)).build();
            return attributes.computeIfAbsent(kv, k -> {
                dict.addAttributeTable(k);
                return dict.getAttributeTableCount() - 1;
            });
        }

        int location(int frame) {
            if (locationOfFrame[frame] != 0) {
                return locationOfFrame[frame];
            }
            FrameTable ft = profile.frames;
            FrameKind kind = ft.kind(frame);
            String name = profile.frameName(frame);
            String systemName = name + PprofWriter.typeSuffix(kind, ft.type(frame));
            String fkey = kind.getNumber() + "\u0000" + systemName;
            int function = functions.computeIfAbsent(fkey, k -> {
                dict.addFunctionTable(Function.newBuilder().setNameStrindex(str(name)).setSystemNameStrindex(str(systemName)));
                return dict.getFunctionTableCount() - 1;
            });
            Location.Builder loc = Location.newBuilder()
                    .addLines(Line.newBuilder().setFunctionIndex(function).setLine(Math.max(0, ft.line(frame))));
            String type = frameType(kind);
            if (type != null) {
                loc.addAttributeIndices(attribute(FRAME_TYPE, type));
            } else if (kind == FrameKind.PSEUDO) {
                loc.addAttributeIndices(attribute(FRAME_KIND, "pseudo"));
            }
            dict.addLocationTable(loc);
            int index = dict.getLocationTableCount() - 1;
            locationOfFrame[frame] = index;
            return index;
        }

        int stack(int node) {
            Integer id = stackOfNode.get(node);
            if (id != null) {
                return id;
            }
            Stack.Builder s = Stack.newBuilder();
            for (int n = node; n != StackTree.ROOT; n = profile.tree.parent(n)) {
                s.addLocationIndices(location(profile.tree.frame(n))); // leaf first
            }
            dict.addStackTable(s);
            int index = dict.getStackTableCount() - 1;
            stackOfNode.put(node, index);
            return index;
        }

        ExportProfilesServiceRequest build(int onlyInstance) {
            // value slots grouped by instance, then event (in enum order)
            Map<Integer, Map<Integer, List<Integer>>> slots = new TreeMap<>();
            ValueTable v = profile.values;
            for (int s = 0; s < v.size(); s++) {
                if ((onlyInstance >= 0 && v.instance(s) != onlyInstance) || !Events.known(v.eventNumber(s))) {
                    continue;
                }
                slots.computeIfAbsent(v.instance(s), i -> new TreeMap<>())
                        .computeIfAbsent(v.eventNumber(s), e -> new ArrayList<>()).add(s);
            }
            // instances without samples still appear (an instance that was attached and idle)
            List<InstanceInfo> infos = profile.instances();
            for (int i = 0; i < infos.size(); i++) {
                if (onlyInstance < 0 || i == onlyInstance) {
                    slots.computeIfAbsent(i, x -> new TreeMap<>());
                }
            }
            long start = profile.startTimeNs();
            long duration = Math.max(0, profile.endTimeNs() - start);
            ExportProfilesServiceRequest.Builder request = ExportProfilesServiceRequest.newBuilder();
            for (Map.Entry<Integer, Map<Integer, List<Integer>>> inst : slots.entrySet()) {
                int instance = inst.getKey();
                ScopeProfiles.Builder scope = ScopeProfiles.newBuilder()
                        .setScope(InstrumentationScope.newBuilder().setName(SCOPE));
                for (Map.Entry<Integer, List<Integer>> ev : inst.getValue().entrySet()) {
                    EventType event = EventType.forNumber(ev.getKey());
                    String[] st = sampleType(event);
                    io.opentelemetry.proto.profiles.v1development.Profile.Builder p =
                            io.opentelemetry.proto.profiles.v1development.Profile.newBuilder()
                                    .setSampleType(ValueType.newBuilder().setTypeStrindex(str(st[0])).setUnitStrindex(str(st[1])))
                                    .setTimeUnixNano(start)
                                    .setDurationNano(duration)
                                    .setProfileId(profileId(instance, event, start));
                    for (int s : ev.getValue()) {
                        long value = Events.measure(event, v.count(s), v.weight(s));
                        if (value == 0) {
                            continue;
                        }
                        p.addSamples(Sample.newBuilder().setStackIndex(stack(v.node(s))).addValues(value));
                    }
                    scope.addProfiles(p);
                }
                request.addResourceProfiles(ResourceProfiles.newBuilder()
                        .setResource(resource(instance))
                        .addScopeProfiles(scope));
            }
            return request.setDictionary(dict).build();
        }

        /** A profile id (16 bytes, not all zero): instance, event and start, so a re-send is recognisable. */
        private static ByteString profileId(int instance, EventType event, long start) {
            ByteBuffer b = ByteBuffer.allocate(16);
            b.putLong(start).putInt(instance + 1).putInt(event.getNumber());
            return ByteString.copyFrom(b.array());
        }

        private Resource resource(int instance) {
            List<InstanceInfo> infos = profile.instances();
            Resource.Builder r = Resource.newBuilder();
            if (instance >= infos.size()) {
                r.addAttributes(kv("cprof.instance.index", instance));
                return r.build();
            }
            InstanceInfo i = infos.get(instance);
            if (!i.getService().isEmpty()) {
                r.addAttributes(kv("service.name", i.getService()));
            }
            if (!i.getHost().isEmpty()) {
                r.addAttributes(kv("host.name", i.getHost()));
            }
            if (i.getPid() != 0) {
                r.addAttributes(kv("process.pid", i.getPid()));
            }
            boolean python = i.getRuntime() == FrameKind.PYTHON;
            r.addAttributes(kv("process.runtime.name", python ? "CPython" : "java"));
            if (!i.getJdkVersion().isEmpty()) {
                r.addAttributes(kv("process.runtime.version", i.getJdkVersion()));
            }
            if (i.getParentInstanceId() != 0) {
                for (InstanceInfo parent : infos) {
                    if (parent.getInstanceId() == i.getParentInstanceId() && parent.getPid() != 0) {
                        r.addAttributes(kv("process.parent_pid", parent.getPid()));
                        break;
                    }
                }
            }
            r.addAttributes(kv("cprof.instance.id", i.getInstanceId()));
            if (!i.getMainClass().isEmpty()) {
                r.addAttributes(kv("cprof.main_class", i.getMainClass()));
            }
            if (i.getStartTimeMs() != 0) {
                r.addAttributes(kv("cprof.process.start_time_ms", i.getStartTimeMs()));
            }
            for (Map.Entry<String, String> label : new TreeMap<>(i.getLabelsMap()).entrySet()) {
                r.addAttributes(kv(LABEL_PREFIX + label.getKey(), label.getValue()));
            }
            return r.build();
        }
    }

    static KeyValue kv(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }

    static KeyValue kv(String key, long value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
    }
}
