package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.InstanceInfo;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.profiles.v1development.Function;
import io.opentelemetry.proto.profiles.v1development.KeyValueAndUnit;
import io.opentelemetry.proto.profiles.v1development.Location;
import io.opentelemetry.proto.profiles.v1development.ProfilesDictionary;
import io.opentelemetry.proto.profiles.v1development.ResourceProfiles;
import io.opentelemetry.proto.profiles.v1development.Sample;
import io.opentelemetry.proto.profiles.v1development.ScopeProfiles;
import io.opentelemetry.proto.profiles.v1development.Stack;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A decoded OTLP profiles request (any sender's, read with the official classes), summarised the
 * way cprof compares profiles: totals per instance and event, resources, function names, stacks.
 * For the tests and benchmarks that check what {@link OtlpWriter} or a Collector wrote; the keys of
 * {@link #totals()} are those of {@link #totals(Profile)}, "{@link Profile#instanceLabel label} event".
 */
public final class OtlpProfiles {
    private final ExportProfilesServiceRequest request;
    private final ProfilesDictionary dict;

    private OtlpProfiles(ExportProfilesServiceRequest request) {
        this.request = request;
        this.dict = request.getDictionary();
    }

    public static OtlpProfiles of(ExportProfilesServiceRequest request) {
        return new OtlpProfiles(request);
    }

    public ExportProfilesServiceRequest request() {
        return request;
    }

    /** Totals of a cprof profile per "instance event", zero totals left out. */
    public static Map<String, Long> totals(Profile p) {
        Map<String, Long> out = new TreeMap<>();
        List<InstanceInfo> infos = p.instances();
        ValueTable v = p.values;
        for (int s = 0; s < v.size(); s++) {
            if (!Events.known(v.eventNumber(s))) {
                continue;
            }
            EventType e = v.event(s);
            InstanceInfo info = v.instance(s) < infos.size() ? infos.get(v.instance(s)) : InstanceInfo.getDefaultInstance();
            long m = Events.measure(e, v.count(s), v.weight(s));
            if (m != 0) {
                out.merge(Profile.instanceLabel(info) + " " + Events.name(e), m, Long::sum);
            }
        }
        return out;
    }

    /** Totals per "instance event" (the sample type's name), zero totals left out. */
    public Map<String, Long> totals() {
        Map<String, Long> out = new TreeMap<>();
        for (int r = 0; r < request.getResourceProfilesCount(); r++) {
            ResourceProfiles rp = request.getResourceProfiles(r);
            String label = Profile.instanceLabel(instanceOf(resource(r)));
            for (ScopeProfiles sp : rp.getScopeProfilesList()) {
                for (var p : sp.getProfilesList()) {
                    long t = 0;
                    for (Sample s : p.getSamplesList()) {
                        for (long v : s.getValuesList()) {
                            t += v;
                        }
                    }
                    if (t != 0) {
                        out.merge(label + " " + dict.getStringTable(p.getSampleType().getTypeStrindex()), t, Long::sum);
                    }
                }
            }
        }
        return out;
    }

    /** An instance info with the host, pid and service of resource attributes. */
    static InstanceInfo instanceOf(Map<String, Object> attrs) {
        InstanceInfo.Builder b = InstanceInfo.newBuilder();
        if (attrs.get("host.name") instanceof String h) {
            b.setHost(h);
        }
        if (attrs.get("process.pid") instanceof Long pid) {
            b.setPid(pid.intValue());
        }
        if (attrs.get("service.name") instanceof String s) {
            b.setService(s);
        }
        if (attrs.get("cprof.instance.id") instanceof Long id) {
            b.setInstanceId(id.intValue());
        }
        return b.build();
    }

    /** Resource attributes of resource profiles r: strings, longs, doubles, booleans. */
    public Map<String, Object> resource(int r) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (KeyValue kv : request.getResourceProfiles(r).getResource().getAttributesList()) {
            // a key and a string value may be references into the dictionary's strings (a Collector
            // sends them so) instead of the text (as cprof writes them)
            String key = kv.getKey().isEmpty() && kv.getKeyStrindex() != 0 ? dict.getStringTable(kv.getKeyStrindex()) : kv.getKey();
            out.put(key, value(kv.getValue()));
        }
        return out;
    }

    private Object value(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case STRING_VALUE_STRINDEX -> dict.getStringTable(v.getStringValueStrindex());
            case INT_VALUE -> v.getIntValue();
            case DOUBLE_VALUE -> v.getDoubleValue();
            case BOOL_VALUE -> v.getBoolValue();
            default -> v.toString();
        };
    }

    /** The sample type names of the profiles of resource profiles r, in order. */
    public List<String> sampleTypes(int r) {
        List<String> out = new ArrayList<>();
        for (ScopeProfiles sp : request.getResourceProfiles(r).getScopeProfilesList()) {
            for (var p : sp.getProfilesList()) {
                out.add(dict.getStringTable(p.getSampleType().getTypeStrindex()));
            }
        }
        return out;
    }

    /** The unit of profile p of resource profiles r (first scope). */
    public String unit(int r, int p) {
        return dict.getStringTable(request.getResourceProfiles(r).getScopeProfiles(0).getProfiles(p).getSampleType().getUnitStrindex());
    }

    /** Names of the functions in the dictionary (the zero entry left out). */
    public Set<String> functionNames() {
        Set<String> out = new TreeSet<>();
        for (int f = 1; f < dict.getFunctionTableCount(); f++) {
            out.add(dict.getStringTable(dict.getFunctionTable(f).getNameStrindex()));
        }
        return out;
    }

    /** Every stack of the dictionary as function names, leaf first. */
    public Set<List<String>> stacks() {
        Set<List<String>> out = new LinkedHashSet<>();
        for (Stack s : dict.getStackTableList()) {
            List<String> names = new ArrayList<>();
            for (int l : s.getLocationIndicesList()) {
                Location loc = dict.getLocationTable(l);
                names.add(dict.getStringTable(dict.getFunctionTable(loc.getLines(0).getFunctionIndex()).getNameStrindex()));
            }
            out.add(names);
        }
        return out;
    }

    /** Function name → its locations' {@code profile.frame.type} (or {@code cprof.frame.kind}). */
    public Map<String, String> frameKinds() {
        Map<String, String> out = new TreeMap<>();
        for (Location loc : dict.getLocationTableList()) {
            if (loc.getLinesCount() == 0) {
                continue;
            }
            String name = dict.getStringTable(dict.getFunctionTable(loc.getLines(0).getFunctionIndex()).getNameStrindex());
            for (int a : loc.getAttributeIndicesList()) {
                KeyValueAndUnit kv = dict.getAttributeTable(a);
                String key = dict.getStringTable(kv.getKeyStrindex());
                if (key.equals(OtlpWriter.FRAME_TYPE) || key.equals(OtlpWriter.FRAME_KIND)) {
                    out.put(name, (String) value(kv.getValue()));
                }
            }
        }
        return out;
    }

    /** The line of the first location of a function of that name, or -1. */
    public long lineOf(String function) {
        for (Location loc : dict.getLocationTableList()) {
            if (loc.getLinesCount() > 0 && function.equals(nameOf(loc.getLines(0).getFunctionIndex()))) {
                return loc.getLines(0).getLine();
            }
        }
        return -1;
    }

    /** The system name of the first function of that name, or null. */
    public String systemNameOf(String function) {
        for (Function f : dict.getFunctionTableList()) {
            if (function.equals(dict.getStringTable(f.getNameStrindex()))) {
                return dict.getStringTable(f.getSystemNameStrindex());
            }
        }
        return null;
    }

    private String nameOf(int functionIndex) {
        return dict.getStringTable(dict.getFunctionTable(functionIndex).getNameStrindex());
    }
}
