package dev.cprof.cli.workload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * An application on embedded H2 through plain JDBC, with a known split of database time:
 * {@code report} (a prepared statement waiting 6 ms) and {@code lookup} (2 ms), so 75 % / 25 %;
 * a statement with literals (a password among them) run through a plain Statement, and one that
 * fails. Every 10 loops it writes "loops hookCalls reportNs lookupNs metaspaceBytes threads" to the file named by its
 * argument (the time its own clock saw in each prepared statement's executeQuery, and whether the
 * hooks still run), so a test compares a profile with what the application measured.
 * {@code -Dreport.ms=N} makes report wait N ms instead of 6 (an instance that got slower).
 */
public final class JdbcApp {
    public static final String SECRET = "s3cr3t-literal";
    private static final long REPORT_MS = Long.getLong("report.ms", 6);
    private static long reportNs;
    private static long lookupNs;

    public static void main(String[] args) throws Exception {
        Path state = Path.of(args[0]);
        try (Connection c = DriverManager.getConnection("jdbc:h2:mem:app;DB_CLOSE_DELAY=-1")) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE ALIAS WAIT_MS FOR 'java.lang.Thread.sleep(long)'");
                s.execute("CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(64), password VARCHAR(64))");
                for (int i = 0; i < 100; i++) {
                    s.executeUpdate("INSERT INTO users VALUES (" + i + ", 'user" + i + "', 'pw" + i + "')");
                }
            }
            for (int i = 0; i < 20; i++) { // warm up: the driver's classes are loaded before any attach
                loop(c);
            }
            System.out.println("ready");
            System.out.flush();
            for (long loops = 1; ; loops++) {
                loop(c);
                if (loops % 10 == 0) {
                    Path tmp = state.resolveSibling(state.getFileName() + ".tmp");
                    Files.writeString(tmp, loops + " " + hookCalls() + " " + reportNs + " " + lookupNs + " " + metaspaceUsed()
                            + " " + java.lang.management.ManagementFactory.getThreadMXBean().getThreadCount());
                    Files.move(tmp, state, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        }
    }

    private static void loop(Connection c) throws SQLException {
        try (PreparedStatement report = c.prepareStatement("SELECT WAIT_MS(?) AS report FROM DUAL")) {
            report.setLong(1, REPORT_MS);
            long t0 = System.nanoTime();
            ResultSet rs = report.executeQuery();
            reportNs += System.nanoTime() - t0;
            consume(rs);
        }
        try (PreparedStatement lookup = c.prepareStatement("SELECT WAIT_MS(?) AS lookup FROM DUAL")) {
            lookup.setLong(1, 2);
            long t0 = System.nanoTime();
            ResultSet rs = lookup.executeQuery();
            lookupNs += System.nanoTime() - t0;
            consume(rs);
        }
        try (Statement s = c.createStatement()) {
            consume(s.executeQuery("SELECT name FROM users WHERE id = 42 AND password <> '" + SECRET + "'"));
            try {
                s.executeQuery("SELECT * FROM no_such_table WHERE id = 7");
            } catch (SQLException expected) {
                // the failing statement of the profile
            }
        }
    }

    private static void consume(ResultSet rs) throws SQLException {
        try (rs) {
            while (rs.next()) {
                rs.getObject(1);
            }
        }
    }

    private static long metaspaceUsed() {
        long used = 0;
        for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getName().equals("Metaspace")) {
                used += pool.getUsage().getUsed();
            }
        }
        return used;
    }

    /** CprofHooks' call counter when the hooks jar is on the boot class path, else -1. */
    private static long hookCalls() {
        try {
            Class<?> i = Class.forName("dev.cprof.hook.Instrumenter", false, null);
            return (Long) i.getMethod("hookCalls").invoke(null);
        } catch (ReflectiveOperationException e) {
            return -1;
        }
    }
}
