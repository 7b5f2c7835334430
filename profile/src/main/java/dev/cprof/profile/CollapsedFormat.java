package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Brendan Gregg's collapsed stacks: one line per stack, frames root first joined by ';',
 * a space, and the value. A ';' inside a frame name cannot be represented and is written as
 * ':'; line breaks become spaces. Kinds other than Java and pseudo get async-profiler-style
 * suffixes ({@code _[k]} kernel, {@code _[n]} native, {@code _[py]} python), which the reader
 * strips again (it also accepts async-profiler's {@code _[j]}, {@code _[i]}, {@code _[0]}, {@code _[1]}).
 * Java lines, when present, are written as {@code name:line}.
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
        return switch (profile.frames.kind(frame)) {
            case KERNEL -> name + "_[k]";
            case NATIVE -> name + "_[n]";
            case PYTHON -> name + "_[py]";
            default -> name;
        };
    }

    @Override
    public Profile read(InputStream in, String sourceName) throws IOException {
        Profile profile = new Profile();
        int instance = profile.addInstance(InstanceInfo.newBuilder().setService(sourceName).build());
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        List<Integer> stack = new ArrayList<>();
        int[] frames = new int[64];
        String text;
        int lineNo = 0;
        while ((text = r.readLine()) != null) {
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

    private static final String[][] SUFFIXES = {
        {"_[k]", "KERNEL"}, {"_[n]", "NATIVE"}, {"_[py]", "PYTHON"},
        {"_[j]", "JAVA"}, {"_[i]", "JAVA"}, {"_[0]", "JAVA"}, {"_[1]", "JAVA"},
    };

    private static int frameOf(Profile profile, String name) {
        for (String[] s : SUFFIXES) {
            if (name.endsWith(s[0]) && name.length() > s[0].length()) {
                return profile.frame(name.substring(0, name.length() - s[0].length()), FrameKind.valueOf(s[1]), 0);
            }
        }
        boolean pseudo = name.startsWith("[") && name.endsWith("]");
        return profile.frame(name, pseudo ? FrameKind.PSEUDO : FrameKind.JAVA, 0);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
