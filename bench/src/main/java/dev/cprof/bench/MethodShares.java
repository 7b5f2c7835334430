package dev.cprof.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * What a CPU profile in collapsed form (cprof's own collapsed output or async-profiler's) says
 * per sample: the self share of every leaf, the share of samples whose stack holds an error
 * frame (a stack the profiler could not walk), and Java frames per sample; and the weighted
 * overlap of two profiles' self shares: the sum over leaves of min(share_a, share_b), 1.0 for
 * identical profiles.
 *
 * <p>Leaves compare by name, normalised the same way on both sides: async-profiler writes
 * {@code java/lang/String.hashCode}, cprof {@code java.lang.String.hashCode}; type suffixes
 * ({@code _[j]}, {@code _[i]}, {@code _[0]}, {@code _[1]}, {@code _[k]}, written by both; older
 * cprof files also {@code _[n]} for native frames)
 * and hidden-class addresses ({@code $$Lambda.0x7f…}) are removed. Native, stub and kernel leaves
 * compare as themselves: a profiler that names a stub or a libjvm function where the other
 * names the Java caller does not match it.
 *
 * <p>A leaf that is an error frame counts in one bucket, {@link #ERROR}, on each side: so a
 * profile that fails on 30 % of its samples can overlap at most 0.70 with one that fails on
 * none. (Until 2026-11 native, stub and error leaves were all lumped into one bucket, so cprof's
 * {@code [unknown_Java]} "matched" async-profiler's native and stub leaves: that overlap,
 * reported as 0.90–0.94, was flattering.) A sample whose walk broke below a correct leaf (an
 * error frame at the root end) keeps its leaf for the self share, and counts in {@link #errorShare}.
 */
final class MethodShares {
    static final String ERROR = "[error]";
    private static final Pattern SUFFIX = Pattern.compile("_\\[[a-z0-9]\\]$");
    private static final Pattern NATIVE_SUFFIX = Pattern.compile("_\\[[nk]\\]$");
    /** GCC's clone suffixes (.isra.0, .part.1, .constprop.0, .cold) mark a C function, not a Java method. */
    private static final Pattern C_CLONE = Pattern.compile("\\.(isra|part|constprop|cold|lto_priv)\\b");
    private static final Pattern HIDDEN_CLASS = Pattern.compile("[./]0x[0-9a-fA-F]+(?=\\.)");

    /**
     * Error pseudo-frames. cprof: AsyncGetCallTrace's failures as the agent names them
     * (resolve.c, agct_error_name) and methods it could not name. async-profiler 4.6: its stack
     * walker's breaks (stackWalker.cpp, "[break_*]" below), AsyncGetCallTrace's failures
     * (profiler.cpp, asgctError), a native frame in no known library or a NULL method ("[unknown]",
     * frameName.cpp), methods it could not name.
     */
    private static final Set<String> ERRORS = Set.of(
            "[no_class_load]", "[gc]", "[unknown_not_Java]", "[not_walkable_not_Java]", "[unknown_Java]", "[not_walkable_Java]",
            "[unknown_state]", "[deopt]", "[safepoint]", "[unknown_error]", "[unknown_method]", "[unloaded_method]",
            "[unknown]", "[unknown_nmethod]", "[GC_active]", "[deoptimization]", "[skipped]", "[unexpected_state]",
            "[stale_jmethodID]", "[storage_overflow]");
    private static final List<String> ERROR_PREFIXES = List.of("[break_", "[jvmtiError");
    /**
     * "No Java frame" / "thread exiting" are no failure when a native stack follows (a JIT compiler
     * thread in cprof: {@code [no_Java_frame];C2Compiler::compile_method_[n]}); as the leaf,
     * with nothing attributed at all (async-profiler writes it only then), they are one.
     */
    private static final Set<String> ERRORS_AS_LEAF = Set.of("[no_Java_frame]", "[thread_exit]");

    final Map<String, Double> self = new HashMap<>();
    /**
     * The same with kernel frames ({@code _[k]}, async-profiler's with perf events) folded into
     * their user-space caller: a sample in a system call counts for the function that made it
     * (cprof records no kernel frames). What a stack walker can be judged on alone.
     */
    final Map<String, Double> selfUser = new HashMap<>();
    /** Error samples by their (root-most) error frame, e.g. "[unknown_Java]" → 1,234. */
    final Map<String, Long> errorFrames = new HashMap<>();
    long samples;
    long errorSamples;
    long javaFrames;

    private MethodShares() {}

    static MethodShares ofCollapsed(String collapsed) throws IOException {
        MethodShares m = new MethodShares();
        Map<String, Long> counts = new HashMap<>();
        Map<String, Long> countsUser = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new StringReader(collapsed))) {
            String line;
            while ((line = r.readLine()) != null) {
                int space = line.lastIndexOf(' '); // async-profiler's stub names hold spaces ("itable stub")
                if (space <= 0) {
                    continue;
                }
                long n = Long.parseLong(line.substring(space + 1).trim());
                String[] frames = line.substring(0, space).split(";");
                String error = null;
                int java = 0;
                for (int i = 0; i < frames.length; i++) {
                    if (isError(frames[i], i == frames.length - 1)) {
                        error = error == null ? frames[i] : error;
                    } else if (isJava(frames[i])) {
                        java++;
                    }
                }
                String leaf = frames[frames.length - 1];
                counts.merge(isError(leaf, true) ? ERROR : normalise(leaf), n, Long::sum);
                int user = frames.length - 1;
                while (user > 0 && frames[user].endsWith("_[k]")) {
                    user--;
                }
                countsUser.merge(isError(frames[user], true) ? ERROR : normalise(frames[user]), n, Long::sum);
                m.samples += n;
                if (error != null) {
                    m.errorSamples += n;
                    m.errorFrames.merge(error, n, Long::sum);
                }
                m.javaFrames += java * n;
            }
        }
        counts.forEach((k, v) -> m.self.put(k, (double) v / m.samples));
        countsUser.forEach((k, v) -> m.selfUser.put(k, (double) v / m.samples));
        return m;
    }

    static boolean isError(String frame, boolean leaf) {
        return ERRORS.contains(frame) || (leaf && ERRORS_AS_LEAF.contains(frame)) || ERROR_PREFIXES.stream().anyMatch(frame::startsWith);
    }

    static String normalise(String frame) {
        String f = SUFFIX.matcher(frame).replaceFirst("");
        return isJava(frame) ? HIDDEN_CLASS.matcher(f).replaceAll("").replace('/', '.') : f;
    }

    /**
     * A Java method's frame: "pkg.Class.method" or "pkg/Class.method"; not C++ ("::"), a pseudo
     * frame ("[...]"), a stub ("itable stub"), a C clone ("f.isra.0"), a kernel frame (_[k]) or
     * native in an older cprof file (_[n]). C functions have no '.'. As profile's CollapsedFormat reads them.
     */
    static boolean isJava(String frame) {
        return frame.indexOf('.') > 0 && !frame.startsWith("[") && !frame.contains("::") && frame.indexOf(' ') < 0
                && !NATIVE_SUFFIX.matcher(frame).find() && !C_CLONE.matcher(frame).find();
    }

    /** Share of the samples whose stack holds an error frame. */
    double errorShare() {
        return samples > 0 ? (double) errorSamples / samples : Double.NaN;
    }

    /** Java frames per sample (error samples included, with the Java frames they kept). */
    double meanJavaDepth() {
        return samples > 0 ? (double) javaFrames / samples : Double.NaN;
    }

    /** Share of the samples whose leaf is a method whose name ends with SUFFIX. */
    double share(String suffix) {
        return self.entrySet().stream().filter(e -> e.getKey().endsWith(suffix)).mapToDouble(Map.Entry::getValue).sum();
    }

    static double overlap(MethodShares a, MethodShares b) {
        return overlap(a.self, b.self);
    }

    /** The overlap of {@link #selfUser}: kernel frames folded into their callers on both sides. */
    static double overlapUser(MethodShares a, MethodShares b) {
        return overlap(a.selfUser, b.selfUser);
    }

    private static double overlap(Map<String, Double> a, Map<String, Double> b) {
        Set<String> keys = new HashSet<>(a.keySet());
        keys.retainAll(b.keySet());
        double sum = 0;
        for (String k : keys) {
            sum += Math.min(a.get(k), b.get(k));
        }
        return sum;
    }

    /**
     * The overlap two profiles with these sample counts would have if both were exact samplings
     * of REFERENCE's shares ({@link #self} or {@link #selfUser}): what chance alone costs (mean of ROUNDS multinomial draws). An
     * overlap near it cannot be told from a perfect one with so few samples.
     */
    static double ceiling(Map<String, Double> reference, long samplesA, long samplesB, int rounds) {
        List<String> keys = new ArrayList<>(reference.keySet());
        double[] cumulative = new double[keys.size()];
        double c = 0;
        for (int i = 0; i < keys.size(); i++) {
            c += reference.get(keys.get(i));
            cumulative[i] = c;
        }
        SplittableRandom random = new SplittableRandom(42);
        double sum = 0;
        for (int r = 0; r < rounds; r++) {
            sum += overlap(draw(keys, cumulative, samplesA, random), draw(keys, cumulative, samplesB, random));
        }
        return rounds > 0 && !keys.isEmpty() ? sum / rounds : Double.NaN;
    }

    private static MethodShares draw(List<String> keys, double[] cumulative, long n, SplittableRandom random) {
        MethodShares m = new MethodShares();
        long[] counts = new long[keys.size()];
        for (long i = 0; i < n; i++) {
            int at = java.util.Arrays.binarySearch(cumulative, random.nextDouble() * cumulative[cumulative.length - 1]);
            counts[Math.min(at < 0 ? -at - 1 : at, counts.length - 1)]++;
        }
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] > 0) {
                m.self.put(keys.get(i), (double) counts[i] / n);
            }
        }
        m.samples = n;
        return m;
    }

    /** The N leaves whose self shares differ most between A and B: "name  a %  b %" lines. */
    static List<String> differences(MethodShares a, MethodShares b, int n) {
        Set<String> keys = new HashSet<>(a.self.keySet());
        keys.addAll(b.self.keySet());
        return keys.stream()
                .sorted(Comparator.comparingDouble((String k) -> -Math.abs(a.self.getOrDefault(k, 0.0) - b.self.getOrDefault(k, 0.0))))
                .limit(n)
                .map(k -> String.format(Locale.ROOT, "%6.2f %% %6.2f %%  %s", 100 * a.self.getOrDefault(k, 0.0),
                        100 * b.self.getOrDefault(k, 0.0), k))
                .toList();
    }
}
