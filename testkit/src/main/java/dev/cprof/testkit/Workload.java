package dev.cprof.testkit;

import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * A tiny target JVM for tests: burns some CPU in a recognisable method, optionally listens on a
 * TCP port, prints "ready <port>" and runs until its stdin closes (so it dies with the test).
 */
public final class Workload {
    public static volatile long sink;

    public static void main(String[] args) throws Exception {
        ServerSocket server = null;
        if (args.length > 0 && args[0].equals("--listen")) {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        }
        Thread burner = new Thread(Workload::burn, "burner");
        burner.setDaemon(true);
        burner.start();
        System.out.println("ready " + (server == null ? 0 : server.getLocalPort()));
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the test to close our stdin
        }
        System.exit(0);
    }

    public static void burn() {
        while (true) {
            sink += checkoutHotMethod();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    public static long checkoutHotMethod() {
        long x = 0;
        for (int i = 0; i < 200_000; i++) {
            x += i * 31L ^ (x >>> 3);
        }
        return x;
    }
}
