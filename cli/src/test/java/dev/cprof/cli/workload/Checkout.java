package dev.cprof.cli.workload;

/**
 * A checkout request loop burning CPU in {@code parse}, {@code price} and {@code render} (a third
 * each). With {@code -Dslow=true} every request also runs {@code validateSlowly}, about 30 % of
 * the request: the injected slowdown a diff gate must catch.
 */
public final class Checkout {
    private static final boolean SLOW = Boolean.getBoolean("slow");
    private static final int UNIT = 40_000;
    private static volatile long sink;

    public static void main(String[] args) {
        for (int i = 0; i < 300; i++) { // warm up, so the profile sees compiled code
            request();
        }
        System.out.println("ready");
        System.out.flush();
        while (true) {
            request();
        }
    }

    static void request() {
        parse();
        price();
        render();
        if (SLOW) {
            validateSlowly(); // 1.3 units of 4.3: 30 % of a request
        }
    }

    static void parse() {
        sink += burn(UNIT, 17);
    }

    static void price() {
        sink += burn(UNIT, 31);
    }

    static void render() {
        sink += burn(UNIT, 43);
    }

    static void validateSlowly() {
        sink += burn(UNIT * 13 / 10, 59);
    }

    private static long burn(int n, long k) {
        long s = sink;
        for (int i = 0; i < n; i++) {
            s += i * k ^ (s >>> 3);
        }
        return s;
    }
}
