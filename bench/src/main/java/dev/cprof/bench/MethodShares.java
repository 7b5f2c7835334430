package dev.cprof.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Per-method self shares of a CPU profile in collapsed form (cprof's own collapsed output or
 * async-profiler's), and the weighted overlap of two of them: sum over methods of
 * min(share_a, share_b), 1.0 for identical profiles.
 *
 * <p>Frame names are normalised so both profilers' names of one method line up:
 * async-profiler writes {@code java/lang/String.hashCode} and suffixes such as {@code _[j]},
 * cprof writes {@code java.lang.String.hashCode} with the same suffixes (older files: {@code _[n]}
 * for native frames). Native
 * and kernel frames are named differently by the two (async-profiler symbolises libjvm's C++
 * functions, cprof names only the library, e.g. {@code [libjvm.so]}), so with {@code lumpNative}
 * every leaf that is not a Java method (native, kernel, JVM-internal, cprof's
 * {@code [unknown_Java]}) counts as one bucket, {@link #NATIVE}: the overlap then compares the
 * Java methods and the share of everything else. Without it, names are compared as they are.
 */
final class MethodShares {
    private static final Pattern SUFFIX = Pattern.compile("_\\[[a-z0-9]\\]$");
    private static final Pattern NATIVE_SUFFIX = Pattern.compile("_\\[[nk]\\]$");
    static final String NATIVE = "[native, kernel or JVM-internal]";

    final Map<String, Double> self = new HashMap<>();
    long samples;

    private MethodShares() {}

    static MethodShares ofCollapsed(String collapsed, boolean lumpNative) throws IOException {
        MethodShares m = new MethodShares();
        Map<String, Long> counts = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new StringReader(collapsed))) {
            String line;
            while ((line = r.readLine()) != null) {
                int space = line.lastIndexOf(' ');
                if (space <= 0) {
                    continue;
                }
                long n = Long.parseLong(line.substring(space + 1).trim());
                String stack = line.substring(0, space);
                String frame = stack.substring(stack.lastIndexOf(';') + 1);
                String leaf = lumpNative && !isJava(frame) ? NATIVE : normalise(frame);
                counts.merge(leaf, n, Long::sum);
                m.samples += n;
            }
        }
        counts.forEach((k, v) -> m.self.put(k, (double) v / m.samples));
        return m;
    }

    static String normalise(String frame) {
        String f = SUFFIX.matcher(frame).replaceFirst("");
        return f.indexOf('/') >= 0 && !f.startsWith("[") && !f.startsWith("/") ? f.replace('/', '.') : f;
    }

    /** A Java method's frame: "pkg.Class.method" or "pkg/Class.method", not C++ ("::"), a library ("[...]") or native/kernel (_[n], _[k]). */
    static boolean isJava(String frame) {
        return frame.indexOf('.') > 0 && !frame.contains("::") && !frame.startsWith("[") && !NATIVE_SUFFIX.matcher(frame).find();
    }

    /** Share of the samples whose leaf is a method whose name ends with SUFFIX. */
    double share(String suffix) {
        return self.entrySet().stream().filter(e -> e.getKey().endsWith(suffix)).mapToDouble(Map.Entry::getValue).sum();
    }

    static double overlap(MethodShares a, MethodShares b) {
        Set<String> keys = new HashSet<>(a.self.keySet());
        keys.retainAll(b.self.keySet());
        double sum = 0;
        for (String k : keys) {
            sum += Math.min(a.self.get(k), b.self.get(k));
        }
        return sum;
    }
}
