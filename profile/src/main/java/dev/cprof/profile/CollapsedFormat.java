package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Brendan Gregg's collapsed stacks: one line per stack, frames root first joined by ';',
 * a space, and the value. A ';' inside a frame name cannot be represented and is written as
 * ':'; line breaks become spaces. Java lines, when present, are written as {@code name:line}.
 *
 * <p>Frame types are written as async-profiler writes them, so its converter and FlameGraph.pl
 * read our files: {@code _[0]} interpreted, {@code _[1]} C1-compiled, {@code _[j]} JIT-compiled,
 * {@code _[i]} inlined, {@code _[k]} kernel; Python frames get cprof's own {@code _[py]}. Native
 * frames (JVM stubs included), pseudo frames and Java frames of unknown type get no suffix.
 * The reader takes the suffixes back to kind and type (and cprof's old {@code _[n]} for native);
 * a frame without one is told by its name, as async-profiler's converter does: {@code [...]} is
 * a pseudo frame ({@code [libfoo.so]} native), C++ ({@code ::}) and C names (no {@code .} or
 * {@code /}, or a compiler clone such as {@code memcpy.part.0}) are native, the rest (and
 * array classes such as {@code byte[]}) Java. A stub's type has no suffix and reads back as a
 * plain native frame.
 */
final class CollapsedFormat implements ProfileWriter, ProfileReader {

    @Override
    public void write(Profile profile, OutputStream out, WriteOptions options) throws IOException {
        EventType event = options.eventOf(profile);
        FlameView view = FlameView.of(profile, event, options.instance());
        String[] names = new String[profile.frames.size()];
        for (int f = 0; f < names.length; f++) {
            names[f] = frameText(profile, f);
        }
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        StringBuilder line = new StringBuilder(256);
        IOException[] failure = new IOException[1];
        view.forEachStack((frames, depth, node, value) -> {
            line.setLength(0);
            for (int i = 0; i < depth; i++) {
                if (i > 0) {
                    line.append(';');
                }
                line.append(names[frames[i]]);
            }
            line.append(' ').append(value).append('\n');
            try {
                w.append(line);
            } catch (IOException e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        w.flush();
    }

    private static String frameText(Profile profile, int frame) {
        String name = profile.frameName(frame).replace(';', ':').replace('\n', ' ').replace('\r', ' ');
        int line = profile.frames.line(frame);
        if (line > 0) {
            name = name + ":" + line;
        }
        return name + suffix(profile.frames.kind(frame), profile.frames.type(frame));
    }

    /** async-profiler's suffix for a frame of this kind and type, or "". */
    static String suffix(FrameKind kind, FrameType type) {
        return switch (kind) {
            case JAVA -> switch (type) {
                case INTERPRETED -> "_[0]";
                case C1_COMPILED -> "_[1]";
                case JIT_COMPILED -> "_[j]";
                case INLINED -> "_[i]";
                default -> "";
            };
            case KERNEL -> "_[k]";
            case PYTHON -> "_[py]";
            default -> "";
        };
    }

    @Override
    public Profile read(InputStream in, String sourceName) throws IOException {
        Profile profile = new Profile();
        int instance = profile.addInstance(InstanceInfo.newBuilder().setService(sourceName).build());
        Lines r = new Lines(new InputStreamReader(in, StandardCharsets.UTF_8));
        List<Integer> stack = new ArrayList<>();
        int[] frames = new int[64];
        String text;
        int lineNo = 0;
        while ((text = r.next(sourceName, lineNo + 1)) != null) {
            lineNo++;
            if (text.isBlank()) {
                continue;
            }
            int space = text.lastIndexOf(' ');
            if (space <= 0 || space == text.length() - 1) {
                throw new ProfileFormatException(sourceName + ":" + lineNo + ": expected 'frame;frame;... COUNT', got: " + abbreviate(text));
            }
            long value;
            try {
                value = Long.parseLong(text.substring(space + 1));
            } catch (NumberFormatException e) {
                throw new ProfileFormatException(sourceName + ":" + lineNo + ": the count '" + abbreviate(text.substring(space + 1)) + "' is not a whole number");
            }
            if (value < 0) {
                throw new ProfileFormatException(sourceName + ":" + lineNo + ": negative count " + value);
            }
            stack.clear();
            int start = 0;
            String frameList = text.substring(0, space);
            while (start <= frameList.length()) {
                int end = frameList.indexOf(';', start);
                if (end < 0) {
                    end = frameList.length();
                }
                String name = frameList.substring(start, end);
                if (name.isEmpty()) {
                    throw new ProfileFormatException(sourceName + ":" + lineNo + ": empty frame name");
                }
                stack.add(frameOf(profile, name));
                start = end + 1;
            }
            if (frames.length < stack.size()) {
                frames = new int[stack.size() * 2];
            }
            for (int i = 0; i < stack.size(); i++) {
                frames[i] = stack.get(i);
            }
            int leaf = profile.tree.insert(StackTree.ROOT, frames, stack.size());
            profile.addValue(leaf, instance, EventType.CPU, value, 0);
        }
        profile.declareEvent(EventType.CPU);
        return profile;
    }

    /**
     * BufferedReader.readLine, but a line longer than {@link InputLimits#MAX_LINE_CHARS} is refused
     * as it grows: a file of one endless line must not be buffered whole.
     */
    private static final class Lines {
        private final Reader in;
        private final char[] buf = new char[1 << 16];
        private final StringBuilder line = new StringBuilder();
        private int pos;
        private int end;
        private boolean skipLf;

        Lines(Reader in) {
            this.in = in;
        }

        String next(String sourceName, int lineNo) throws IOException {
            line.setLength(0);
            while (true) {
                if (pos == end) {
                    end = in.read(buf, 0, buf.length);
                    pos = 0;
                    if (end <= 0) {
                        end = 0;
                        return line.length() > 0 ? line.toString() : null;
                    }
                }
                if (skipLf) {
                    skipLf = false;
                    if (buf[pos] == '\n') {
                        pos++;
                        continue;
                    }
                }
                int start = pos;
                while (pos < end && buf[pos] != '\n' && buf[pos] != '\r') {
                    pos++;
                }
                if (line.length() + (pos - start) > InputLimits.MAX_LINE_CHARS) {
                    throw new ProfileFormatException(sourceName + ":" + lineNo + ": a line longer than "
                            + (InputLimits.MAX_LINE_CHARS >> 20) + "M characters (not a collapsed stack file?)");
                }
                line.append(buf, start, pos - start);
                if (pos < end) {
                    skipLf = buf[pos] == '\r';
                    pos++;
                    return line.toString();
                }
            }
        }
    }

    private static final String[] SUFFIXES = {"_[0]", "_[1]", "_[j]", "_[i]", "_[k]", "_[n]", "_[py]"};
    private static final FrameKind[] SUFFIX_KINDS = {
        FrameKind.JAVA, FrameKind.JAVA, FrameKind.JAVA, FrameKind.JAVA, FrameKind.KERNEL, FrameKind.NATIVE, FrameKind.PYTHON,
    };
    private static final FrameType[] SUFFIX_TYPES = {
        FrameType.INTERPRETED, FrameType.C1_COMPILED, FrameType.JIT_COMPILED, FrameType.INLINED,
        FrameType.FRAME_TYPE_UNSPECIFIED, FrameType.FRAME_TYPE_UNSPECIFIED, FrameType.FRAME_TYPE_UNSPECIFIED,
    };
    /** A C function's name with GCC's clone suffixes: memcpy.part.0, f.cold, f.constprop.0.isra.0. */
    private static final Pattern C_CLONE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.(cold|part|isra|constprop|lto_priv|localalias)(\\.[0-9]+)?)+");

    private static int frameOf(Profile profile, String name) {
        for (int i = 0; i < SUFFIXES.length; i++) {
            if (name.endsWith(SUFFIXES[i]) && name.length() > SUFFIXES[i].length()) {
                return profile.frame(name.substring(0, name.length() - SUFFIXES[i].length()), SUFFIX_KINDS[i], SUFFIX_TYPES[i], 0);
            }
        }
        return profile.frame(name, kindOf(name), 0);
    }

    /** The kind of a frame without a suffix, by its name (see the class comment). */
    static FrameKind kindOf(String name) {
        if (name.startsWith("[") && name.endsWith("]")) {
            return name.contains(".so") ? FrameKind.NATIVE : FrameKind.PSEUDO; // [libjvm.so]: a library without symbols
        }
        if (name.contains("::") || name.startsWith("-[") || name.startsWith("+[") || name.indexOf('@') > 0) {
            return FrameKind.NATIVE; // C++, Objective-C, a versioned symbol (memcpy@@GLIBC_2.14)
        }
        if (name.endsWith("[]")) {
            return FrameKind.JAVA; // an allocated array class: byte[]
        }
        if (name.indexOf('.') < 0 && name.indexOf('/') < 0 || C_CLONE.matcher(name).matches()) {
            return FrameKind.NATIVE; // a C function: Java methods are Class.method
        }
        return FrameKind.JAVA;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
