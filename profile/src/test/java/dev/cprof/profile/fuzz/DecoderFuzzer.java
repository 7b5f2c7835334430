package dev.cprof.profile.fuzz;

import dev.cprof.profile.Format;
import dev.cprof.profile.MergeException;
import dev.cprof.profile.Profile;
import dev.cprof.profile.ProfileFormatException;
import dev.cprof.profile.StreamMerger;
import dev.cprof.profile.WriteOptions;
import dev.cprof.wire.Compression;
import dev.cprof.wire.FrameReader;
import dev.cprof.wire.RelayedBatch;
import dev.cprof.wire.WireException;
import dev.cprof.wire.proto.Envelope;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * The fuzz targets: everything cprof decodes from outside. Each accepts any input and may only
 * end normally or with the typed error of its decoder ({@link WireException}, {@link MergeException},
 * {@link ProfileFormatException}); anything else escaping, an OutOfMemoryError or a hang is a finding.
 * Whatever decodes is written back out, so a decoded profile must also be a consistent one.
 *
 * <p>Jazzer's driver calls {@link #fuzzerTestOneInput} with the target named by the system property
 * {@code cprof.fuzz.target}; {@link FuzzCorpusTest} replays the committed corpus through {@link #run}.
 */
public final class DecoderFuzzer {
    /**
     * The targets, named like their corpus directories under src/test/fuzz. CPROF_MESSAGE is the
     * .cprof reader past its zstd layer (the input is the protobuf message, compressed here), since
     * mutated compressed bytes rarely get past the decompressor; pprof reads plain or gzipped input.
     */
    public enum Target { WIRE, CPROF, CPROF_MESSAGE, COLLAPSED, PPROF }

    private static final Target TARGET = Target.valueOf(
            System.getProperty("cprof.fuzz.target", "wire").toUpperCase(Locale.ROOT));

    private DecoderFuzzer() {
    }

    /**
     * Called by Jazzer once before the first input: loads (and so instruments) the decoders' classes
     * and the protobuf runtime's descriptors, whose first use alone can take longer than the
     * per-input timeout on a loaded machine. What an input then costs is the decoder's own time.
     */
    public static void fuzzerInitialize() {
        dev.cprof.profile.Format.values();
        dev.cprof.wire.proto.Envelope.getDescriptor();
        dev.cprof.wire.proto.Profile.getDescriptor();
        run(TARGET, new byte[0]);
        run(TARGET, dev.cprof.wire.proto.Envelope.newBuilder()
                .setHello(dev.cprof.wire.proto.Hello.getDefaultInstance()).build().toByteArray());
    }

    public static void fuzzerTestOneInput(byte[] data) {
        run(TARGET, data);
    }

    public static void run(Target target, byte[] data) {
        try {
            switch (target) {
                case WIRE -> wireStream(data);
                case CPROF -> file(Format.CPROF, data);
                case CPROF_MESSAGE -> file(Format.CPROF, Compression.compress(data));
                case COLLAPSED -> file(Format.COLLAPSED, data);
                case PPROF -> file(Format.PPROF, data);
            }
        } catch (WireException | ProfileFormatException expected) {
            // the decoder said the input is malformed: that is the contract
        } catch (IOException e) {
            throw new UncheckedIOException("untyped I/O error from an in-memory input", e);
        }
    }

    /**
     * A stream as a peer or agent sends it, read as a client reads a peer ({@link RelayedBatch#decode}).
     * The first byte picks plain (Unix socket) or zstd (TCP) framing and a plain or rotatable merger;
     * a refused batch must leave the merger usable. Every frame a peer would relay unparsed
     * ({@link RelayedBatch#isBatch}) is also relayed as the peer does, with an instance id appended:
     * the client must read that as a batch or an error of that instance, never as a broken connection.
     */
    private static void wireStream(byte[] data) throws IOException {
        if (data.length == 0) {
            return;
        }
        boolean compressed = (data[0] & 1) != 0;
        boolean rotatable = (data[0] & 2) != 0;
        Profile profile = new Profile();
        int instance = profile.addInstance(dev.cprof.wire.proto.InstanceInfo.getDefaultInstance());
        StreamMerger merger = rotatable ? StreamMerger.rotatable(profile, instance) : new StreamMerger(profile, instance);
        FrameReader reader = new FrameReader(new ByteArrayInputStream(data, 1, data.length - 1), compressed);
        try {
            for (byte[] raw = reader.readRaw(); raw != null; raw = reader.readRaw()) {
                if (RelayedBatch.isBatch(raw)) {
                    relayedAsAPeerDoes(reader, raw);
                }
                Envelope e = RelayedBatch.decode(reader, raw);
                if (e.hasBatch()) {
                    try {
                        merger.merge(e.getBatch());
                    } catch (MergeException refused) {
                        // refused as a whole; the next batch is judged on its own
                    }
                }
            }
        } finally {
            writeAll(profile);
        }
    }

    private static void relayedAsAPeerDoes(FrameReader reader, byte[] agentFrame) {
        int id = 1 + (agentFrame.length & 0xffff);
        byte[] idField = RelayedBatch.idField(id);
        byte[] relayed = java.util.Arrays.copyOf(agentFrame, agentFrame.length + idField.length); // what FrameWriter.writeRaw frames
        System.arraycopy(idField, 0, relayed, agentFrame.length, idField.length);
        Envelope e;
        try {
            e = RelayedBatch.decode(reader, relayed);
        } catch (WireException e1) {
            throw new IllegalStateException("a relayed batch broke the client's connection instead of its instance", e1);
        }
        boolean ok = e.hasBatch() ? e.getRelayInstanceId() == id : e.hasError() && e.getError().getInstanceId() == id;
        if (!ok) {
            throw new IllegalStateException("a relayed batch was not charged to its instance " + id + ": " + e.getMsgCase());
        }
    }

    private static void file(Format format, byte[] data) throws IOException {
        writeAll(format.read(new ByteArrayInputStream(data), "fuzz-input"));
    }

    /** Writes the profile in the formats that walk all of it; they must not fail on what was accepted. */
    private static void writeAll(Profile profile) throws IOException {
        for (Format f : new Format[] {Format.COLLAPSED, Format.CPROF, Format.PPROF}) {
            f.write(profile, OutputStream.nullOutputStream(), WriteOptions.defaults());
        }
    }
}
