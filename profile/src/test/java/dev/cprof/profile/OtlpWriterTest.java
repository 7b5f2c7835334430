package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import dev.cprof.wire.proto.InstanceInfo;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Writes {@code .otlp.pb} and decodes it with the official OpenTelemetry classes
 * ({@link OtlpProfiles}): totals per instance and event, function names, frame kinds and resources
 * must be those of the {@code .cprof} the same profile is written to.
 */
class OtlpWriterTest {
    static final InstanceInfo I1 = InstanceInfo.newBuilder().setInstanceId(1).setHost("host-a").setPid(1234)
            .setService("checkout").setJdkVersion("17.0.15").setMainClass("com.example.Main")
            .putLabels("zone", "eu1").setRuntime(FrameKind.JAVA).build();
    static final InstanceInfo I2 = InstanceInfo.newBuilder().setInstanceId(2).setHost("host-b").setPid(99)
            .setService("checkout").setJdkVersion("21.0.5").setRuntime(FrameKind.JAVA).build();
    static final InstanceInfo PY = InstanceInfo.newBuilder().setInstanceId(3).setHost("host-a").setPid(4321)
            .setService("checkout").setRuntime(FrameKind.PYTHON).setParentInstanceId(1).build();

    static Profile profile() {
        Profile p = new Profile();
        int i1 = p.addInstance(I1);
        int i2 = p.addInstance(I2);
        int py = p.addInstance(PY);
        int thread = p.frame("[main tid=1]", FrameKind.PSEUDO, 0);
        int run = p.frame("java.lang.Thread.run", FrameKind.JAVA, FrameType.INTERPRETED, 0);
        int a = p.frame("com.example.Ünïcödé$Inner.<init>", FrameKind.JAVA, FrameType.JIT_COMPILED, 42);
        int b = p.frame("com.example.Checkout.lambda$run$0", FrameKind.JAVA, FrameType.INLINED, 7);
        int k = p.frame("do_syscall_64", FrameKind.KERNEL, 0);
        int n = p.frame("libc.so.6`write", FrameKind.NATIVE, 0);
        int f = p.frame("worker.py:compute", FrameKind.PYTHON, 12);
        p.addSample(new int[] {thread, run, a}, i1, EventType.CPU, 500, 500_000_000L);
        p.addSample(new int[] {thread, run, a}, i2, EventType.CPU, 250, 250_000_000L);
        p.addSample(new int[] {thread, run, b}, i1, EventType.CPU, 200, 200_000_000L);
        p.addSample(new int[] {thread, run, b, n, k}, i1, EventType.CPU, 50, 50_000_000L);
        p.addSample(new int[] {thread, run, a}, i1, EventType.ALLOC, 2, 4096);
        p.addSample(new int[] {thread, run, b}, i2, EventType.ALLOC, 1, 1024);
        p.addSample(new int[] {thread, run, b}, i2, EventType.LOCK, 3, 7_000_000L);
        p.addSample(new int[] {f}, py, EventType.CPU, 40, 40_000_000L);
        p.addSample(new int[] {run}, i1, EventType.WALL, 9, 0);
        p.coverTime(1_700_000_000_000_000_000L, 1_700_000_030_000_000_000L);
        return p;
    }

    static ExportProfilesServiceRequest decode(byte[] bytes) throws IOException {
        return ExportProfilesServiceRequest.parseFrom(bytes);
    }

    static byte[] write(Profile p, WriteOptions o) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Format.byFileName("x.otlp.pb").write(p, out, o);
        return out.toByteArray();
    }

    /** The same profile through a .cprof file, as convert reads it. */
    static Profile throughCprof(Profile p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Format.CPROF.write(p, out, WriteOptions.defaults());
        return Format.CPROF.read(new ByteArrayInputStream(out.toByteArray()), "in.cprof");
    }

    @Test
    void formatByNameAndExtension() {
        assertEquals(Format.OTLP, Format.byName("otlp"));
        assertEquals(Format.OTLP, Format.byFileName("fleet.otlp.pb"));
        assertEquals(Format.PPROF, Format.byFileName("fleet.pb.gz"));
    }

    @Test
    void totalsPerInstanceAndEventEqualTheCprof() throws IOException {
        Profile cprof = throughCprof(profile());
        OtlpProfiles otlp = OtlpProfiles.of(decode(write(cprof, WriteOptions.defaults())));
        assertEquals(OtlpProfiles.totals(cprof), otlp.totals());
        // each instance once, with its events in order
        assertEquals(3, otlp.request().getResourceProfilesCount());
        assertEquals(List.of("cpu", "wall", "alloc"), otlp.sampleTypes(0));
        assertEquals(List.of("cpu", "alloc", "lock"), otlp.sampleTypes(1));
        assertEquals(List.of("cpu"), otlp.sampleTypes(2));
        assertEquals("bytes", otlp.unit(1, 1));
        assertEquals("nanoseconds", otlp.unit(1, 2));
        assertEquals("count", otlp.unit(0, 0));
    }

    @Test
    void resourcesHoldTheInstanceInfo() throws IOException {
        OtlpProfiles otlp = OtlpProfiles.of(decode(write(throughCprof(profile()), WriteOptions.defaults())));
        Map<String, Object> r1 = otlp.resource(0);
        assertEquals("checkout", r1.get("service.name"));
        assertEquals("host-a", r1.get("host.name"));
        assertEquals(1234L, r1.get("process.pid"));
        assertEquals("java", r1.get("process.runtime.name"));
        assertEquals("17.0.15", r1.get("process.runtime.version"));
        assertEquals("eu1", r1.get("cprof.label.zone"));
        assertEquals("com.example.Main", r1.get("cprof.main_class"));
        assertEquals(1L, r1.get("cprof.instance.id"));
        assertEquals("host-b", otlp.resource(1).get("host.name"));
        assertEquals("21.0.5", otlp.resource(1).get("process.runtime.version"));
        Map<String, Object> py = otlp.resource(2);
        assertEquals("CPython", py.get("process.runtime.name"));
        assertEquals(1234L, py.get("process.parent_pid"));
        assertEquals(4321L, py.get("process.pid"));
    }

    @Test
    void functionsFramesKindsAndTime() throws IOException {
        Profile cprof = throughCprof(profile());
        ExportProfilesServiceRequest req = decode(write(cprof, WriteOptions.defaults()));
        OtlpProfiles otlp = OtlpProfiles.of(req);
        Set<String> names = new TreeSet<>();
        for (int f = 0; f < cprof.frames.size(); f++) {
            names.add(cprof.frameName(f));
        }
        assertEquals(names, otlp.functionNames());
        // leaf-first stacks: the deepest cpu stack of instance 1 reads kernel, native, java, java, thread
        assertTrue(otlp.stacks().contains(List.of("do_syscall_64", "libc.so.6`write",
                "com.example.Checkout.lambda$run$0", "java.lang.Thread.run", "[main tid=1]")), otlp.stacks().toString());
        Map<String, String> kinds = otlp.frameKinds();
        assertEquals("jvm", kinds.get("java.lang.Thread.run"));
        assertEquals("kernel", kinds.get("do_syscall_64"));
        assertEquals("native", kinds.get("libc.so.6`write"));
        assertEquals("cpython", kinds.get("worker.py:compute"));
        assertEquals("pseudo", kinds.get("[main tid=1]"));
        assertEquals(42L, otlp.lineOf("com.example.Ünïcödé$Inner.<init>"));
        assertEquals("com.example.Ünïcödé$Inner.<init>_[j]", otlp.systemNameOf("com.example.Ünïcödé$Inner.<init>"));
        var p = req.getResourceProfiles(0).getScopeProfiles(0).getProfiles(0);
        assertEquals(1_700_000_000_000_000_000L, p.getTimeUnixNano());
        assertEquals(30_000_000_000L, p.getDurationNano());
        assertEquals(16, p.getProfileId().size());
        // the dictionary starts with the zero entries the format requires
        var d = req.getDictionary();
        assertEquals("", d.getStringTable(0));
        assertEquals(0, d.getStackTable(0).getLocationIndicesCount());
        assertEquals(0, d.getLocationTable(0).getLinesCount());
        assertEquals(0, d.getFunctionTable(0).getNameStrindex());
    }

    @Test
    void oneInstanceOnly() throws IOException {
        Profile cprof = throughCprof(profile());
        OtlpProfiles otlp = OtlpProfiles.of(decode(write(cprof, WriteOptions.defaults().withInstance(1))));
        assertEquals(1, otlp.request().getResourceProfilesCount());
        Map<String, Long> want = new TreeMap<>();
        OtlpProfiles.totals(cprof).forEach((k, v) -> {
            if (k.startsWith("host-b:99 ")) {
                want.put(k, v);
            }
        });
        assertEquals(want, otlp.totals());
    }

    @Test
    void emptyProfileIsAValidRequest() throws IOException {
        OtlpProfiles otlp = OtlpProfiles.of(decode(write(new Profile(), WriteOptions.defaults())));
        assertEquals(0, otlp.request().getResourceProfilesCount());
        assertEquals(Map.of(), otlp.totals());
    }
}
