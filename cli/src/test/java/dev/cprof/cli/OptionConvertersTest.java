package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.session.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.TypeConversionException;

/** TIME and SIZE options are converted while picocli parses: a bad value is a usage error before any I/O. */
class OptionConvertersTest {
    /** Nothing listens on port 1 of this host: a ZooKeeper client would retry for the whole connect timeout. */
    static final String UNREACHABLE_ZK = "127.0.0.1:1";

    @TempDir
    Path dir;

    private static void assertUsageLine(Cli.Result r, String... contains) {
        assertEquals(ExitCodes.USAGE, r.code(), r.err());
        assertEquals(1, r.errLines().length, "one line on stderr, got: " + r.err());
        assertTrue(r.err().startsWith("cprof: "), r.err());
        for (String c : contains) {
            assertTrue(r.err().contains(c), "expected '" + c + "' in: " + r.err());
        }
        assertEquals("", r.out());
    }

    @Test
    void durationsTakeEveryUnitAndTheOptionsDefaultUnit() {
        DurationConverter seconds = new DurationConverter();
        DurationConverter millis = new DurationConverter.Millis();
        assertEquals(Duration.ofSeconds(30), seconds.convert("30"));
        assertEquals(Duration.ofMillis(10), millis.convert("10"));
        assertEquals(Duration.ofNanos(7), seconds.convert("7ns"));
        assertEquals(Duration.ofNanos(250_000), seconds.convert("250us"));
        assertEquals(Duration.ofMillis(10), seconds.convert("10ms"));
        assertEquals(Duration.ofSeconds(30), millis.convert("30s"));
        assertEquals(Duration.ofMinutes(2), seconds.convert("2m"));
        assertEquals(Duration.ofMinutes(2), seconds.convert("2min"));
        assertEquals(Duration.ofHours(1), seconds.convert("1h"));
        assertEquals(Duration.ofMillis(10), seconds.convert(" 10 MS "), "case and spaces as before");
        assertEquals(Duration.ZERO, seconds.convert("0"));
    }

    @Test
    void badDurationsSayWhy() {
        DurationConverter c = new DurationConverter();
        assertEquals("'fast' is not a duration (e.g. 10ms, 30s, 2m)",
                assertThrows(TypeConversionException.class, () -> c.convert("fast")).getMessage());
        assertEquals("'-5s' is not a duration (e.g. 10ms, 30s, 2m)",
                assertThrows(TypeConversionException.class, () -> c.convert("-5s")).getMessage());
        assertEquals("'3d': unknown time unit 'd' (use ns, us, ms, s, m or h)",
                assertThrows(TypeConversionException.class, () -> c.convert("3d")).getMessage());
        assertEquals("long overflow", assertThrows(TypeConversionException.class, () -> c.convert("9999999999h")).getMessage());
        assertThrows(TypeConversionException.class, () -> c.convert("99999999999999999999"));
    }

    @Test
    void boundsAreTheOnesTheCommandsHad() {
        DurationConverter interval = new DurationConverter.Interval();
        assertEquals(Duration.ofNanos(100_000), interval.convert("100us"));
        assertEquals(Duration.ofMillis(5), interval.convert("5"));
        assertEquals("99us is too short (at least 100us)",
                assertThrows(TypeConversionException.class, () -> interval.convert("99us")).getMessage());
        DurationConverter rotate = new DurationConverter.Rotate();
        assertEquals(Duration.ofSeconds(1), rotate.convert("1"));
        assertEquals("999ms is too short (at least 1s)",
                assertThrows(TypeConversionException.class, () -> rotate.convert("999ms")).getMessage());
    }

    @Test
    void sizesTakeBytesAndPowersOf1024() {
        ByteSizeConverter c = new ByteSizeConverter();
        assertEquals(100L, c.convert("100"));
        assertEquals(100L, c.convert("100b"));
        assertEquals(512L << 10, c.convert("512k"));
        assertEquals(512L << 10, c.convert("512KB"));
        assertEquals(512L << 10, c.convert("512kib"));
        assertEquals(2L << 20, c.convert("2m"));
        assertEquals(2L << 20, c.convert("2 MiB"));
        assertEquals(1L << 30, c.convert("1g"));
        assertEquals("'lots' is not a size (e.g. 512k, 2m)",
                assertThrows(TypeConversionException.class, () -> c.convert("lots")).getMessage());
        assertEquals("'2t': unknown size unit 't' (use k, m or g)",
                assertThrows(TypeConversionException.class, () -> c.convert("2t")).getMessage());
        assertEquals("long overflow", assertThrows(TypeConversionException.class, () -> c.convert("99999999999g")).getMessage());
    }

    @Test
    void aBadIntervalFailsBeforeZooKeeperIsContacted() {
        Path out = dir.resolve("x.html");
        long t0 = System.nanoTime();
        Cli.Result r = Cli.run("attach", "--service", "checkout", "--zk", UNREACHABLE_ZK, "-i", "garbage", "-d", "1s",
                "-o", out.toString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // before the converters this connected first and failed after ZkOptions.CONNECT_TIMEOUT_MS with exit 1
        System.out.printf("OPTIONS: attach -i garbage --zk %s: exit %d in %d ms (connect timeout %d ms)%n",
                UNREACHABLE_ZK, r.code(), ms, ZkOptions.CONNECT_TIMEOUT_MS);
        assertUsageLine(r, "'--interval'", "'garbage' is not a duration");
        assertFalse(Files.exists(out));

        t0 = System.nanoTime();
        Cli.Result top = Cli.run("top", "--service", "checkout", "--zk", UNREACHABLE_ZK, "-i", "garbage");
        System.out.printf("OPTIONS: top -i garbage --zk %s: exit %d in %d ms%n", UNREACHABLE_ZK, top.code(),
                (System.nanoTime() - t0) / 1_000_000);
        assertUsageLine(top, "'--interval'", "'garbage' is not a duration");
    }

    @Test
    void everyTimeAndSizeOptionIsAUsageErrorNamingIt() {
        String out = dir.resolve("x.html").toString();
        String zk = UNREACHABLE_ZK;
        assertUsageLine(Cli.run("attach", "-s", "a", "--zk", zk, "-i", "50us", "-o", out),
                "'--interval'", "50us is too short (at least 100us)");
        assertUsageLine(Cli.run("attach", "-s", "a", "--zk", zk, "--alloc", "lots", "-o", out),
                "'--alloc'", "'lots' is not a size (e.g. 512k, 2m)");
        assertUsageLine(Cli.run("attach", "-s", "a", "--zk", zk, "--lock", "3d", "-o", out),
                "'--lock'", "unknown time unit 'd'");
        assertUsageLine(Cli.run("attach", "-s", "a", "--zk", zk, "-d", "soon", "-o", out),
                "'--duration'", "'soon' is not a duration");
        assertUsageLine(Cli.run("attach", "-s", "a", "--zk", zk, "--continuous", "--rotate", "500ms", "-o", dir + "/"),
                "'--rotate'", "500ms is too short (at least 1s)");
        assertUsageLine(Cli.run("top", "-s", "a", "--zk", zk, "--every", "often"), "'--every'", "'often' is not a duration");
        assertUsageLine(Cli.run("top", "-s", "a", "--zk", zk, "--every", "50ms"), "--every must be at least 100ms and --top at least 1");
        assertUsageLine(Cli.run("demo", "-d", "later", "-o", out), "'--duration'", "'later' is not a duration");
        assertUsageLine(Cli.run("demo", "-d", "1500ms", "-o", out), "-d 1500ms is too short for the demo (at least 2s)");
        assertFalse(Files.exists(Path.of(out)));
    }

    /** --flush-interval is for tests: hidden from help and man pages, 1 s unless given, sent as the batch period. */
    @Test
    void theHiddenFlushIntervalIsTheBatchPeriodOfTheStartRequest() {
        ProfilingOptions defaults = new ProfilingOptions();
        new picocli.CommandLine(defaults).parseArgs();
        assertEquals(1000, defaults.startRequest("s").getFlushIntervalMs());
        ProfilingOptions fast = new ProfilingOptions();
        new picocli.CommandLine(fast).parseArgs("--flush-interval", "150ms");
        assertEquals(150, fast.startRequest("s").getFlushIntervalMs());
        for (String command : new String[] {"attach", "top"}) {
            Cli.Result help = Cli.run("help", command);
            assertEquals(0, help.code(), help.err());
            assertFalse(help.out().contains("flush"), help.out());
        }
    }
}
