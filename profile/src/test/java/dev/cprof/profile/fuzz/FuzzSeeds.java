package dev.cprof.profile.fuzz;

import dev.cprof.profile.Format;
import dev.cprof.profile.MergeException;
import dev.cprof.profile.Profile;
import dev.cprof.profile.StreamMerger;
import dev.cprof.profile.WriteOptions;
import dev.cprof.wire.BatchEncoder;
import dev.cprof.wire.Compression;
import dev.cprof.wire.FrameWriter;
import dev.cprof.wire.RelayedBatch;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.Hello;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Writes the valid inputs the fuzzer starts from (src/test/fuzz/&lt;target&gt;/seed-*): a small
 * stream of dictionary-delta batches, plain and zstd-framed, and the same profile in each file format.
 * Run once when a format changes: {@code java -cp <test classpath> dev.cprof.profile.fuzz.FuzzSeeds profile/src/test/fuzz}.
 */
public final class FuzzSeeds {
    private FuzzSeeds() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/fuzz");
        List<Batch> batches = batches();
        for (int mode = 0; mode < 4; mode++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(mode); // bit 0: zstd framing, bit 1: rotatable merger (see DecoderFuzzer)
            FrameWriter w = new FrameWriter(out, (mode & 1) != 0);
            w.write(Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(2).setClient("cprof-agent/0.1.0").setPid(42)).build());
            for (Batch b : batches) {
                w.write(Envelope.newBuilder().setBatch(b).build());
            }
            write(root.resolve("wire"), "seed-stream-" + mode, out.toByteArray());
        }
        for (int mode = 0; mode < 2; mode++) { // the same batches as a peer relays them (protocol 3)
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(mode);
            FrameWriter w = new FrameWriter(out, mode == 1);
            for (Batch b : batches) {
                w.writeRaw(Envelope.newBuilder().setBatch(b).build().toByteArray(), RelayedBatch.idField(1));
            }
            write(root.resolve("wire"), "seed-relayed-" + mode, out.toByteArray());
        }
        Profile profile = merged(batches);
        write(root.resolve("cprof"), "seed-profile.cprof", render(Format.CPROF, profile));
        write(root.resolve("collapsed"), "seed-profile.collapsed", render(Format.COLLAPSED, profile));
        write(root.resolve("pprof"), "seed-profile.pb.gz", render(Format.PPROF, profile));
        byte[] cprof = render(Format.CPROF, profile);
        write(root.resolve("cprof_message"), "seed-profile-message", Compression.decompress(cprof, cprof.length * 64));
        byte[] pprof = render(Format.PPROF, profile);
        write(root.resolve("pprof"), "seed-profile.pb", new GZIPInputStream(new ByteArrayInputStream(pprof)).readAllBytes());
    }

    /** Three batches of one stream: new strings, frames and stacks in each, cpu and alloc samples. */
    static List<Batch> batches() {
        BatchEncoder enc = new BatchEncoder();
        List<Batch> out = new ArrayList<>();
        String[][] stacks = {
            {"java.lang.Thread.run", "com.shop.Checkout.handle", "com.shop.Prices.total"},
            {"java.lang.Thread.run", "com.shop.Checkout.handle", "java.util.HashMap.get"},
            {"[thread] worker-1", "libc.so.6;read", "[unknown_Java]"},
        };
        for (int round = 0; round < 3; round++) {
            String[] names = stacks[round];
            int[] frames = new int[names.length];
            for (int i = 0; i < names.length; i++) {
                FrameKind kind = names[i].startsWith("[") ? FrameKind.PSEUDO : i == 1 && round == 2 ? FrameKind.NATIVE : FrameKind.JAVA;
                frames[i] = enc.frame(names[i], kind, round == 0 ? 17 + i : 0);
            }
            int stack = enc.stack(frames);
            enc.sample(stack, EventType.CPU, 10 + round, 0);
            enc.sample(stack, EventType.ALLOC, 1, 4096L * (round + 1));
            out.add(enc.flush());
        }
        return out;
    }

    private static Profile merged(List<Batch> batches) throws MergeException {
        Profile p = new Profile();
        int instance = p.addInstance(InstanceInfo.newBuilder().setHost("seed").setPid(42).setService("checkout").build());
        StreamMerger m = new StreamMerger(p, instance);
        for (Batch b : batches) {
            m.merge(b);
        }
        return p;
    }

    private static byte[] render(Format format, Profile p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        format.write(p, out, WriteOptions.defaults());
        return out.toByteArray();
    }

    private static void write(Path dir, String name, byte[] bytes) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve(name), bytes);
    }
}
