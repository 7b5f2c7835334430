package dev.cprof.bench;

import com.google.protobuf.CodedOutputStream;
import dev.cprof.wire.Compression;
import dev.cprof.wire.FrameReader;
import dev.cprof.wire.FrameWriter;
import dev.cprof.wire.SampleGroups;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.Frame;
import dev.cprof.wire.proto.SampleGroup;
import dev.cprof.wire.proto.Stack;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the bytes of an agent batch file go: per batch, its size plain, as a zstd frame of its
 * own, and in one zstd stream over the whole file (what the TCP hop sends), and the serialized
 * bytes of its new strings, frames, stacks and of its sample groups.
 *
 * <pre>
 * java -cp 'bench/target/classes:bench/target/lib/*' dev.cprof.bench.AgentFileStats FILE
 * </pre>
 */
public final class AgentFileStats {
    private AgentFileStats() {}

    public static void main(String[] args) throws Exception {
        long[] total = new long[8];
        System.out.println("seq plain zstd-frame zstd-stream | strings:n/bytes frames:n/bytes stacks:n/bytes sample-entries:n/bytes"
                + " | dropped full/unwalkable/other");
        ProfilerOutput.CountingStream stream = new ProfilerOutput.CountingStream();
        FrameWriter tcp = new FrameWriter(stream, true); // as the peer relays: one zstd stream per connection
        try (InputStream in = new BufferedInputStream(Files.newInputStream(Path.of(args[0])))) {
            FrameReader r = new FrameReader(in, false);
            byte[] plain;
            while ((plain = r.readRaw()) != null) {
                Envelope e = Envelope.parseFrom(plain);
                int zstd = Compression.compress(plain).length;
                if (!e.hasBatch()) {
                    long before = stream.count;
                    tcp.writeRaw(plain);
                    System.out.printf("(%s) %d %d %d%n", e.getMsgCase(), plain.length, zstd, stream.count - before);
                    continue;
                }
                Batch b = e.getBatch();
                long sBytes = 0;
                for (String s : b.getNewStringsList()) {
                    sBytes += CodedOutputStream.computeStringSize(4, s);
                }
                long fBytes = 0;
                for (Frame f : b.getNewFramesList()) {
                    fBytes += CodedOutputStream.computeMessageSize(6, f);
                }
                long kBytes = 0;
                for (Stack k : b.getNewStacksList()) {
                    kBytes += CodedOutputStream.computeMessageSize(8, k);
                }
                long pBytes = 0;
                for (SampleGroup g : b.getSampleGroupsList()) {
                    pBytes += CodedOutputStream.computeMessageSize(13, g);
                }
                long before = stream.count;
                tcp.writeRaw(plain);
                long streamed = stream.count - before;
                System.out.printf("%d %d %d %d | %d/%d %d/%d %d/%d %d/%d | %d/%d/%d%n", b.getSequence(), plain.length, zstd,
                        streamed, b.getNewStringsCount(), sBytes, b.getNewFramesCount(), fBytes, b.getNewStacksCount(), kBytes,
                        SampleGroups.entries(b), pBytes, b.getDropped().getBufferFull(), b.getDropped().getUnwalkable(),
                        b.getDropped().getOther());
                total[0] += plain.length;
                total[1] += zstd;
                total[2] += sBytes;
                total[3] += fBytes;
                total[4] += kBytes;
                total[5] += pBytes;
                total[6] += streamed;
            }
        }
        System.out.printf("total plain %d zstd-frame %d zstd-stream %d | strings %d frames %d stacks %d samples %d%n",
                total[0], total[1], stream.count, total[2], total[3], total[4], total[5]);
    }
}
