package dev.cprof.cli.workload;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in for a PySpark executor: a JVM that starts COUNT Python workers
 * ({@code PYTHON SCRIPT ARGS...}), waits until each printed "ready", prints "ready" itself and
 * keeps one thread busy in {@link #jvmSide} until killed.
 * Usage: PythonParent COUNT PYTHON SCRIPT ARGS...
 */
public final class PythonParent {
    private static volatile long sink;

    public static void main(String[] args) throws Exception {
        int count = Integer.parseInt(args[0]);
        List<String> cmd = List.of(args).subList(1, args.length);
        List<Process> workers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            if (!"ready".equals(line)) {
                System.out.println("worker did not start: " + line);
            }
            workers.add(p);
        }
        System.out.println("ready");
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> workers.forEach(Process::destroyForcibly)));
        while (true) {
            jvmSide();
            Thread.sleep(1); // leave most of a core to the Python side on a small machine
        }
    }

    static void jvmSide() {
        for (int i = 0; i < 200_000; i++) {
            sink += i * 31L ^ (sink >>> 3);
        }
    }
}
