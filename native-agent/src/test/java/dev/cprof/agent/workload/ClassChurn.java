package dev.cprof.agent.workload;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongUnaryOperator;

/**
 * Class-unloading churn: defines args[0] classes per second (default 1,000), each through a
 * throwaway class loader, runs its method once (so its frames are on stacks when samples are
 * taken) and drops it; a full GC every second unloads the dropped ones. Prints
 * "progress defined=N unloaded=N". Args: [classes/s] [run millis] (default 420 s).
 */
public final class ClassChurn {
    private static final String TEMPLATE = "Churn0000";
    private static volatile long defined;
    static volatile long sink;

    /** Defines exactly one class, the renamed copy it was made for. */
    private static final class OneClassLoader extends ClassLoader {
        private final String name;
        private final byte[] bytes;

        OneClassLoader(String name, byte[] bytes) {
            super(ClassChurn.class.getClassLoader());
            this.name = name;
            this.bytes = bytes;
        }

        @Override
        protected Class<?> findClass(String n) throws ClassNotFoundException {
            if (!n.equals(name)) {
                throw new ClassNotFoundException(n);
            }
            return defineClass(n, bytes, 0, bytes.length);
        }
    }

    public static void main(String[] args) throws Exception {
        int perSecond = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
        long run = args.length > 1 ? Long.parseLong(args[1]) : 420_000;
        byte[] template;
        try (InputStream in = ClassChurn.class.getResourceAsStream(TEMPLATE + ".class")) {
            template = in.readAllBytes();
        }
        ClassLoadingMXBean classes = ManagementFactory.getClassLoadingMXBean();
        long unloadedAtStart = classes.getUnloadedClassCount();
        Workload.ready(run);
        Workload.progress(() -> "defined=" + defined + " unloaded=" + (classes.getUnloadedClassCount() - unloadedAtStart));
        long start = System.nanoTime();
        long lastGc = start;
        for (long i = 0;; i++) {
            String simple = String.format("Churn%04d", i % 9_999 + 1); // never 0000, the template on the classpath
            String name = ClassChurn.class.getPackageName() + "." + simple;
            byte[] bytes = renamed(template, simple);
            Class<?> c = new OneClassLoader(name, bytes).loadClass(name);
            LongUnaryOperator op = (LongUnaryOperator) c.getDeclaredConstructor().newInstance();
            sink += op.applyAsLong(i);
            defined = i + 1;
            long now = System.nanoTime();
            if (now - lastGc >= 1_000_000_000L) {
                System.gc(); // serial collector: a full collection, which unloads the dropped classes
                lastGc = now;
            }
            long ahead = (i + 1) * 1_000_000_000L / perSecond - (now - start);
            if (ahead > 1_000_000L) {
                Thread.sleep(ahead / 1_000_000L);
            }
        }
    }

    /** The template's bytes with every "Churn0000" replaced: same length, so the class file stays valid. */
    static byte[] renamed(byte[] template, String simple) throws IOException {
        byte[] out = template.clone();
        byte[] from = TEMPLATE.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] to = simple.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i + from.length <= out.length; i++) {
            if (java.util.Arrays.equals(out, i, i + from.length, from, 0, from.length)) {
                System.arraycopy(to, 0, out, i, to.length);
            }
        }
        return out;
    }
}
