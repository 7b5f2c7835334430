package dev.cprof.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The target JVM of {@link AgentOverhead}: a workload that runs for a fixed time in a few threads
 * and prints its own throughput for the measured window, its memory and its CPU time.
 *
 * <pre>
 * java dev.cprof.bench.AgentWorkload cpu|alloc WARMUP_S MEASURE_S THREADS
 * </pre>
 *
 * <ul>
 *   <li>{@code cpu}: a service-like request: build a query string, parse it, sort its numbers,
 *       SHA-256 it, hex-format the digest, and once per request touch a shared synchronized
 *       cache. A refresher thread takes that cache's monitor every 200 ms for 15 ms (a
 *       "configuration reload"), so the workers wait on a contended monitor now and then: that
 *       is what the lock event of both profilers sees.</li>
 *   <li>{@code alloc}: short-lived objects: small records, a boxed-key HashMap, a list, a
 *       byte array of random size and a few strings per operation, about 5 KB.</li>
 * </ul>
 *
 * The throughput is counted over the measured window only; so is windowCpuSeconds (the whole
 * process's CPU time in the window: workers, GC, JIT and any profiler thread). cpuSeconds is
 * the process's CPU time from its start to the end of the window.
 *
 * At the end it prints one line {@code RESULT key=value ...} and exits with System.exit, so an
 * agent's VMDeath hook (final batch, JFR dump) runs.
 */
public final class AgentWorkload {
    private static final Object SHARED = new Object();
    private static long sharedCache;
    private static volatile boolean running = true;

    private AgentWorkload() {}

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        int warmup = Integer.parseInt(args[1]);
        int measure = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);

        Worker[] workers = new Worker[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new Worker(kind, 1234 + i);
            workers[i].setName("worker-" + i);
            workers[i].start();
        }
        Thread refresher = null;
        if (kind.equals("cpu")) {
            refresher = new Thread(AgentWorkload::refreshLoop, "refresher");
            refresher.setDaemon(true);
            refresher.start();
        }

        Thread.sleep(warmup * 1000L);
        long ops0 = total(workers);
        long t0 = System.nanoTime();
        double cpu0 = cpuSeconds();
        Thread.sleep(measure * 1000L);
        long ops1 = total(workers);
        long t1 = System.nanoTime();
        double cpu1 = cpuSeconds();
        running = false;

        double seconds = (t1 - t0) / 1e9;
        Map<String, String> status = procStatus();
        long sink = 0;
        for (Worker w : workers) {
            w.join(5000);
            sink ^= w.sink;
        }
        System.out.printf("RESULT kind=%s ops=%d seconds=%.3f opsPerSec=%.1f vmHwmKb=%s vmRssKb=%s cpuSeconds=%.2f windowCpuSeconds=%.2f sink=%d%n",
                kind, ops1 - ops0, seconds, (ops1 - ops0) / seconds, status.getOrDefault("VmHWM", "0"),
                status.getOrDefault("VmRSS", "0"), cpu1, cpu1 - cpu0, sink & 0xff);
        System.out.flush();
        System.exit(0);
    }

    private static long total(Worker[] workers) {
        long sum = 0;
        for (Worker w : workers) {
            sum += w.published;
        }
        return sum;
    }

    private static void refreshLoop() {
        while (running) {
            try {
                Thread.sleep(200);
                synchronized (SHARED) {
                    Thread.sleep(15);
                    sharedCache++;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** VmHWM and VmRSS in kB. */
    static Map<String, String> procStatus() throws IOException {
        Map<String, String> m = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:") || line.startsWith("VmRSS:")) {
                String[] p = line.split("\\s+");
                m.put(p[0].substring(0, p[0].length() - 1), p[1]);
            }
        }
        return m;
    }

    /** utime + stime of the whole process. */
    static double cpuSeconds() throws IOException {
        return ProcStats.cpuSeconds("self");
    }

    static final class Worker extends Thread {
        private final String kind;
        private final SplittableRandom random;
        private final MessageDigest sha;
        volatile long published;
        long sink;

        Worker(String kind, long seed) throws NoSuchAlgorithmException {
            this.kind = kind;
            this.random = new SplittableRandom(seed);
            this.sha = MessageDigest.getInstance("SHA-256");
        }

        @Override
        public void run() {
            long ops = 0;
            boolean cpu = kind.equals("cpu");
            while (running) {
                sink += cpu ? request() : allocate();
                if ((++ops & 15) == 0) {
                    published = ops;
                }
            }
            published = ops;
        }

        // ---- cpu: one request ----

        private long request() {
            String query = buildQuery();
            int[] numbers = parse(query);
            int[] sorted = sort(numbers);
            byte[] digest = hash(query, sorted);
            String hex = hex(digest);
            long v = hex.hashCode() + sorted[sorted.length / 2];
            synchronized (SHARED) {
                sharedCache += v & 1;
            }
            return v;
        }

        private String buildQuery() {
            StringBuilder sb = new StringBuilder(512);
            sb.append("id=").append(random.nextInt(1_000_000)).append("&user=u").append(random.nextInt(5000)).append("&items=");
            int n = 48 + random.nextInt(32);
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(random.nextInt(100_000));
            }
            return sb.toString();
        }

        private static int[] parse(String query) {
            int[] out = new int[128];
            int n = 0;
            for (String part : query.split("&")) {
                int eq = part.indexOf('=');
                String value = part.substring(eq + 1);
                if (part.startsWith("items")) {
                    for (String item : value.split(",")) {
                        out[n++] = Integer.parseInt(item);
                    }
                } else if (Character.isDigit(value.charAt(0))) {
                    out[n++] = Integer.parseInt(value);
                }
            }
            return Arrays.copyOf(out, n);
        }

        private static int[] sort(int[] numbers) {
            int[] copy = numbers.clone();
            Arrays.sort(copy);
            return copy;
        }

        private byte[] hash(String query, int[] sorted) {
            sha.reset();
            sha.update(query.getBytes(StandardCharsets.UTF_8));
            for (int x : sorted) {
                sha.update((byte) x);
                sha.update((byte) (x >>> 8));
            }
            return sha.digest();
        }

        private static String hex(byte[] digest) {
            StringBuilder sb = new StringBuilder(digest.length * 2);
            for (byte b : digest) {
                sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
            return sb.toString();
        }

        // ---- alloc: short-lived objects ----

        record Item(int id, long price, String name) {}

        private long allocate() {
            long v = 0;
            v += items();
            v += map();
            v += bytes();
            v += strings();
            return v;
        }

        private long items() {
            List<Item> list = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                list.add(new Item(i, random.nextLong(), null));
            }
            return list.get(random.nextInt(list.size())).price();
        }

        private long map() {
            Map<Integer, Long> m = new HashMap<>();
            for (int i = 0; i < 24; i++) {
                m.put(random.nextInt(1 << 20), (long) i);
            }
            return m.size();
        }

        private long bytes() {
            byte[] b = new byte[64 + random.nextInt(2048)];
            b[random.nextInt(b.length)] = 1;
            return b.length;
        }

        private long strings() {
            String s = "order-" + random.nextInt(100_000) + "/" + random.nextLong();
            return s.toUpperCase().length();
        }
    }
}
