package dev.cprof.bench;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last line a workload JVM of {@link ThirdPartyBench} prints: {@code RESULT key=value ...}
 * with its own metric plus its memory (VmHWM, VmRSS) and its process CPU time, read inside the
 * JVM just before it exits (with System.exit, so the profilers' exit hooks write their files).
 */
final class ResultLine {
    private ResultLine() {}

    static void printAndExit(Map<String, Object> metrics) throws IOException {
        Map<String, Object> all = new LinkedHashMap<>(metrics);
        Map<String, String> status = AgentWorkload.procStatus();
        all.put("vmHwmKb", status.getOrDefault("VmHWM", "0"));
        all.put("vmRssKb", status.getOrDefault("VmRSS", "0"));
        all.put("cpuSeconds", String.format(java.util.Locale.ROOT, "%.2f", AgentWorkload.cpuSeconds()));
        StringBuilder sb = new StringBuilder("RESULT");
        all.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        System.out.println(sb);
        System.out.flush();
        System.exit(0);
    }

    private static final java.util.concurrent.CountDownLatch STOP = new java.util.concurrent.CountDownLatch(1);

    static {
        // The harness ends a pair run's workload with a line "stop" on stdin once both profilers
        // have written their output: a timer alone could end the JVM while they still need it.
        Thread reader = new Thread(() -> {
            try {
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.trim().equals("stop")) {
                        STOP.countDown();
                        return;
                    }
                }
            } catch (IOException e) {
                // no stdin: the timers alone end the workload
            }
        }, "stop-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Waits MILLIS, or less when the harness said "stop". */
    static void sleepUnlessStopped(long millis) throws InterruptedException {
        STOP.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    static boolean stopped() {
        return STOP.getCount() == 0;
    }

    /** Tells the harness the workload is up (it attaches profilers or starts the load then). */
    static void ready(String extra) {
        System.out.println("READY " + extra);
        System.out.flush();
    }
}
