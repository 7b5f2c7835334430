package dev.cprof.python;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;

/**
 * Benchmark helper (not a test): samples the given Python pids at INTERVAL_MS for SECONDS with a
 * {@link PythonSampler}, flushing once a second as the peer does, and prints one line:
 * {@code samples=N sampler_cpu_ms=M us_per_sample=U dropped=D}, after a warm-up of -Dwarmup=3 seconds. scripts/bench-python.py drives it.
 * Usage: SamplerCost INTERVAL_MS SECONDS PID...
 */
public final class SamplerCost {
    private SamplerCost() {}

    public static void main(String[] args) throws Exception {
        long intervalMs = Long.parseLong(args[0]);
        double seconds = Double.parseDouble(args[1]);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (PythonSampler sampler = new PythonSampler(Duration.ofMillis(intervalMs), true, true)) {
            for (int i = 2; i < args.length; i++) {
                sampler.add(Integer.parseInt(args[i]));
            }
            sampler.start();
            Thread samplerThread = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("cprof-python-sampler")).findFirst().orElseThrow();
            // Warm up (JIT) for WARMUP_S as a long-running peer would be, then measure deltas.
            double warmup = Double.parseDouble(System.getProperty("warmup", "3"));
            Thread.sleep((long) (warmup * 1000));
            long samples0 = 0;
            for (int pid : sampler.pids()) {
                sampler.flush(pid);
                samples0 += sampler.samples(pid);
            }
            long cpu0 = mx.getThreadCpuTime(samplerThread.getId());
            long end = System.nanoTime() + (long) (seconds * 1e9);
            long flushCpu = 0;
            while (System.nanoTime() < end) {
                Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                long t0 = mx.getCurrentThreadCpuTime();
                for (int pid : sampler.pids()) {
                    sampler.flush(pid);
                }
                flushCpu += mx.getCurrentThreadCpuTime() - t0;
            }
            long cpu = mx.getThreadCpuTime(samplerThread.getId()) - cpu0 + flushCpu;
            long samples = -samples0;
            long dropped = 0;
            for (int pid : sampler.pids()) {
                samples += sampler.samples(pid);
                dropped += sampler.dropped(pid);
            }
            System.out.printf("samples=%d sampler_cpu_ms=%.1f us_per_sample=%.1f dropped=%d%n", samples, cpu / 1e6,
                    samples == 0 ? 0 : cpu / 1e3 / samples, dropped);
        }
    }
}
