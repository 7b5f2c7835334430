package dev.cprof.agent.workload;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ordinary JDK library code through megamorphic call sites: regex, String.format, sorting with
 * lambdas, BigInteger, hashing, collections of several implementations behind one interface.
 * This is where AsyncGetCallTrace alone loses most stacks: the PC sits in itable/vtable stubs,
 * arraycopy stubs, C1 runtime stubs or a compiled method's prologue/epilogue. Run with
 * {@code -XX:TieredStopAtLevel=1} it is C1 code only, the worst case.
 * Args: [run millis] (default 120 s) [threads] (default 2).
 */
public final class JdkLibrary {
    private static final Pattern WORDS = Pattern.compile("([a-z]+)(\\d*)|\\s+");
    private static final String TEXT = "alpha12 beta gamma345 delta epsilon6 zeta eta theta789 iota kappa";

    public static void main(String[] args) throws Exception {
        long run = args.length > 0 ? Long.parseLong(args[0]) : 120_000;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        long[] ops = new long[threads];
        for (int t = 0; t < threads; t++) {
            int index = t;
            Thread worker = new Thread(() -> loop(index, ops), "library-" + t);
            worker.setDaemon(true);
            worker.start();
        }
        Workload.progress(() -> {
            long sum = 0;
            for (long o : ops) {
                sum += o;
            }
            return "ops=" + sum;
        });
        Workload.ready(run);
        Thread.sleep(run);
    }

    private static void loop(int index, long[] ops) {
        Random random = new Random(index);
        // Several implementations behind one interface make the call sites below megamorphic.
        List<Function<String, Object>> steps = List.of(
                JdkLibrary::regex, JdkLibrary::format, s -> sortRecords(random), s -> bigInteger(random),
                JdkLibrary::hash, s -> collections(random, s));
        long sinkHash = 0;
        while (true) {
            for (Function<String, Object> step : steps) {
                sinkHash += step.apply(TEXT + random.nextInt(1000)).hashCode();
            }
            ops[index]++;
            if (sinkHash == 42) {
                System.out.println("unlikely");
            }
        }
    }

    private static Object regex(String text) {
        Matcher m = WORDS.matcher(text);
        int n = 0;
        while (m.find()) {
            n += m.group().length();
        }
        return text.replaceAll("[aeiou]", "_").split(" ").length + n;
    }

    private static Object format(String text) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            sb.append(String.format("%s-%05d-%.3f|", text.substring(0, 5), i, i / 7.0));
        }
        return sb.toString();
    }

    record Item(String name, int rank, double price) {}

    private static Object sortRecords(Random random) {
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            items.add(new Item("item" + random.nextInt(100), random.nextInt(50), random.nextDouble()));
        }
        items.sort(Comparator.comparing(Item::name).thenComparingInt(Item::rank).thenComparing(Item::price, Comparator.reverseOrder()));
        return items.get(0);
    }

    private static Object bigInteger(Random random) {
        BigInteger a = new BigInteger(512, random);
        BigInteger b = new BigInteger(256, random).add(BigInteger.ONE);
        return a.multiply(a).mod(b).add(a.gcd(b)).toString(16);
    }

    private static Object hash(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance(text.length() % 2 == 0 ? "SHA-256" : "MD5");
            byte[] data = text.repeat(8).getBytes(StandardCharsets.UTF_8);
            return new BigInteger(1, md.digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object collections(Random random, String text) {
        Map<String, Integer> counts = new HashMap<>();
        for (String word : text.split(" ")) {
            counts.merge(word, 1, Integer::sum);
        }
        Object[] copy = counts.keySet().toArray();
        System.arraycopy(copy, 0, new Object[copy.length + 8], 4, copy.length);
        return counts.entrySet().stream().filter(e -> e.getValue() > random.nextInt(2)).map(Map.Entry::getKey).sorted().toList();
    }
}
