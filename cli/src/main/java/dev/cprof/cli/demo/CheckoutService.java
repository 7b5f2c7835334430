package dev.cprof.cli.demo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The demo's {@code checkout} service (started by {@code cprof demo}): a request loop at a fixed
 * rate that does what a checkout endpoint does: parse an order sent as JSON text, price it
 * (sorting the lines, applying discounts), write a receipt and sign it with SHA-256. With
 * {@code --hot} every request also runs a fraud check that stretches a SHA-256 over the receipt,
 * which doubles the CPU per request: that instance is the demo's outlier.
 *
 * <p>Prints "ready" when it serves, and exits when its standard input closes, so it never
 * outlives the demo that started it.
 */
public final class CheckoutService {
    /** Requests per second; at about 0.2 ms of CPU each, a plain instance uses ~15 % of a core. */
    static final int DEFAULT_RATE = 700;
    /** Requests at full speed before "ready", so the JIT has compiled the request path when profiling starts. */
    static final long DEFAULT_WARMUP_MS = 500;
    /**
     * The JVM options the demo starts it with (the fidelity benchmark too). C1 only: it compiles in
     * a moment, so the profile shows the service rather than the JIT.
     */
    public static final List<String> JVM_OPTIONS = List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    static volatile long sink;

    private CheckoutService() {}

    public static void main(String[] args) throws Exception {
        boolean hot = false;
        int rate = DEFAULT_RATE;
        long warmupMs = DEFAULT_WARMUP_MS;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--hot")) {
                hot = true;
            } else if (args[i].equals("--rate") && i + 1 < args.length) {
                rate = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--warmup-ms") && i + 1 < args.length) {
                warmupMs = Long.parseLong(args[++i]);
            }
        }
        warmUp(warmupMs, hot);
        Thread watchdog = new Thread(CheckoutService::exitWhenStdinCloses, "stdin-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Thread worker = new Thread(new Worker(hot, rate), "http-worker-1");
        worker.setDaemon(true);
        worker.start();
        System.out.println("ready");
        System.out.flush();
        worker.join();
    }

    private static void warmUp(long ms, boolean hot) {
        SplittableRandom random = new SplittableRandom(7);
        long end = System.nanoTime() + ms * 1_000_000;
        while (System.nanoTime() < end) {
            sink += handleRequest(OrderGenerator.order(random), hot);
        }
    }

    private static void exitWhenStdinCloses() {
        try {
            while (System.in.read() >= 0) {
                // the demo never writes; EOF means it is gone
            }
        } catch (java.io.IOException e) {
            // same as EOF
        }
        Runtime.getRuntime().halt(0);
    }

    /** Serves requests at a fixed rate: more CPU per request shows as more samples. */
    static final class Worker implements Runnable {
        private final boolean hot;
        private final long periodNanos;
        private final SplittableRandom random = new SplittableRandom(42);

        Worker(boolean hot, int rate) {
            this.hot = hot;
            this.periodNanos = 1_000_000_000L / Math.max(1, rate);
        }

        @Override
        public void run() {
            long next = System.nanoTime();
            while (true) {
                sink += handleRequest(OrderGenerator.order(random), hot);
                next += periodNanos;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                } else if (wait < -1_000_000_000L) {
                    next = System.nanoTime(); // far behind (a slow machine): do not try to catch up
                }
            }
        }
    }

    /** One POST /checkout. */
    static long handleRequest(String body, boolean hot) {
        Map<String, Object> order = OrderParser.parse(body);
        List<Line> lines = Pricing.lines(order);
        long total = Pricing.total(lines);
        String receipt = Receipt.render(order, lines, total);
        byte[] signature = Receipt.sign(receipt);
        if (hot) {
            signature = FraudCheck.score(receipt, signature);
        }
        return total + signature[0];
    }

    record Line(String sku, String name, int quantity, long unitCents) {
        long cents() {
            return unitCents * quantity;
        }
    }

    /** Builds the JSON text a shop front end would send. */
    static final class OrderGenerator {
        private static final String[] NAMES = {"espresso beans", "oat milk", "paper filters", "grinder burr", "mug",
            "descaler", "tamper", "milk jug", "scale", "kettle", "cleaning tabs", "travel cup"};

        static String order(SplittableRandom r) {
            StringBuilder sb = new StringBuilder(4096);
            sb.append("{\"customer\":{\"id\":\"c-").append(r.nextInt(1_000_000)).append("\",\"country\":\"")
                    .append(r.nextBoolean() ? "DE" : "FR").append("\",\"tier\":\"").append(r.nextInt(4) == 0 ? "gold" : "basic")
                    .append("\"},\"coupon\":").append(r.nextInt(3) == 0 ? "\"SPRING10\"" : "null").append(",\"lines\":[");
            int n = 30 + r.nextInt(20);
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append("{\"sku\":\"SKU-").append(1000 + r.nextInt(9000)).append("\",\"name\":\"")
                        .append(NAMES[r.nextInt(NAMES.length)]).append("\",\"qty\":").append(1 + r.nextInt(5))
                        .append(",\"price\":").append(99 + r.nextInt(20_000)).append('}');
            }
            return sb.append("]}").toString();
        }
    }

    /** A small recursive-descent parser for the JSON the front end sends. */
    static final class OrderParser {
        private final String s;
        private int i;

        private OrderParser(String s) {
            this.s = s;
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> parse(String text) {
            return (Map<String, Object>) new OrderParser(text).value();
        }

        private Object value() {
            char c = s.charAt(i);
            if (c == '{') {
                return object();
            }
            if (c == '[') {
                return array();
            }
            if (c == '"') {
                return string();
            }
            if (s.startsWith("null", i)) {
                i += 4;
                return null;
            }
            return number();
        }

        private Map<String, Object> object() {
            Map<String, Object> m = new HashMap<>();
            i++;
            while (s.charAt(i) != '}') {
                String k = string();
                i++; // ':'
                m.put(k, value());
                if (s.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
            return m;
        }

        private List<Object> array() {
            List<Object> l = new ArrayList<>();
            i++;
            while (s.charAt(i) != ']') {
                l.add(value());
                if (s.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
            return l;
        }

        private String string() {
            int start = ++i;
            while (s.charAt(i) != '"') {
                i++;
            }
            return s.substring(start, i++);
        }

        private Long number() {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '-')) {
                i++;
            }
            return Long.parseLong(s, start, i, 10);
        }
    }

    /** Order lines, sorted the way the receipt shows them, and the total with discounts. */
    static final class Pricing {
        @SuppressWarnings("unchecked")
        static List<Line> lines(Map<String, Object> order) {
            List<Line> lines = new ArrayList<>();
            for (Object o : (List<Object>) order.get("lines")) {
                Map<String, Object> m = (Map<String, Object>) o;
                lines.add(new Line((String) m.get("sku"), (String) m.get("name"), ((Long) m.get("qty")).intValue(), (Long) m.get("price")));
            }
            lines.sort(Comparator.comparingLong(Line::cents).reversed().thenComparing(Line::sku));
            return lines;
        }

        static long total(List<Line> lines) {
            long total = 0;
            for (Line l : lines) {
                long c = l.cents();
                if (l.quantity() >= 4) {
                    c -= c / 10; // bulk discount
                }
                total += c;
            }
            return total;
        }
    }

    /** The receipt text and its signature. */
    static final class Receipt {
        static String render(Map<String, Object> order, List<Line> lines, long total) {
            StringBuilder sb = new StringBuilder(4096);
            @SuppressWarnings("unchecked")
            Map<String, Object> customer = (Map<String, Object>) order.get("customer");
            sb.append("customer ").append(customer.get("id")).append(" (").append(customer.get("country")).append(")\n");
            for (Line l : lines) {
                sb.append(String.format(java.util.Locale.ROOT, "%-10s %-14s %2d x %8.2f = %9.2f%n",
                        l.sku(), l.name(), l.quantity(), l.unitCents() / 100.0, l.cents() / 100.0));
            }
            return sb.append("total ").append(total).append('\n').toString();
        }

        static byte[] sign(String receipt) {
            MessageDigest d = sha256();
            return d.digest(receipt.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The outlier's extra path: a risk score over a stretched hash of the receipt. */
    static final class FraudCheck {
        static final int ROUNDS = 450;

        static byte[] score(String receipt, byte[] signature) {
            MessageDigest d = sha256();
            byte[] h = receipt.getBytes(StandardCharsets.UTF_8);
            byte[] state = signature;
            for (int r = 0; r < ROUNDS; r++) {
                d.update(state);
                if (r % 64 == 0) {
                    d.update(h);
                }
                state = d.digest();
            }
            return state;
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
