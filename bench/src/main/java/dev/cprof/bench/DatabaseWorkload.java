package dev.cprof.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The database workload of {@link ThirdPartyBench}: H2 embedded (in memory, MVStore) under a
 * multi-threaded JDBC read/write load. Every thread has its own connection and runs
 * transactions: 70 % read an account and aggregate its ledger (an indexed range scan), 30 %
 * transfer between two accounts (two updates and two ledger inserts, one commit). A transaction
 * that hits a lock conflict is rolled back and counted as a retry, not as a transaction.
 *
 * <pre>
 * java dev.cprof.bench.DatabaseWorkload WARMUP_S MEASURE_S THREADS
 * </pre>
 * Prints "READY" once loaded, and at the end {@code RESULT txPerSec=... retries=...}.
 */
public final class DatabaseWorkload {
    private static final String URL = "jdbc:h2:mem:bench;DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=2000";
    private static final int ACCOUNTS = 20_000;
    private static volatile boolean running = true;

    private DatabaseWorkload() {}

    public static void main(String[] args) throws Exception {
        int warmup = Integer.parseInt(args[0]);
        int measure = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        try (Connection c = DriverManager.getConnection(URL); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE account(id INT PRIMARY KEY, owner VARCHAR(64), balance BIGINT)");
            s.execute("CREATE TABLE ledger(id BIGINT AUTO_INCREMENT PRIMARY KEY, account INT, amount BIGINT, note VARCHAR(64))");
            s.execute("CREATE INDEX ledger_account ON ledger(account)");
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO account VALUES (?, ?, ?)")) {
                for (int i = 0; i < ACCOUNTS; i++) {
                    p.setInt(1, i);
                    p.setString(2, "owner-" + i);
                    p.setLong(3, 1_000_000);
                    p.addBatch();
                }
                p.executeBatch();
            }
            c.commit();
        }
        AtomicLong done = new AtomicLong();
        AtomicLong retries = new AtomicLong();
        Thread[] workers = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            long seed = 77 + i;
            workers[i] = new Thread(() -> work(seed, done, retries), "jdbc-" + i);
            workers[i].start();
        }
        ResultLine.ready("threads=" + threads);
        Thread.sleep(warmup * 1000L);
        long n0 = done.get();
        long t0 = System.nanoTime();
        ResultLine.sleepUnlessStopped(measure * 1000L);
        long n1 = done.get();
        double seconds = (System.nanoTime() - t0) / 1e9;
        running = false;
        for (Thread w : workers) {
            w.join(5000);
        }
        ResultLine.printAndExit(Map.of("kind", "db", "txPerSec", String.format(Locale.ROOT, "%.1f", (n1 - n0) / seconds),
                "retries", retries.get()));
    }

    private static void work(long seed, AtomicLong done, AtomicLong retries) {
        SplittableRandom random = new SplittableRandom(seed);
        try (Connection c = DriverManager.getConnection(URL);
             PreparedStatement read = c.prepareStatement("SELECT owner, balance FROM account WHERE id = ?");
             PreparedStatement sum = c.prepareStatement("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM ledger WHERE account = ?");
             PreparedStatement update = c.prepareStatement("UPDATE account SET balance = balance + ? WHERE id = ?");
             PreparedStatement insert = c.prepareStatement("INSERT INTO ledger(account, amount, note) VALUES (?, ?, ?)")) {
            c.setAutoCommit(false);
            while (running) {
                int a = random.nextInt(ACCOUNTS);
                try {
                    if (random.nextInt(10) < 7) {
                        read.setInt(1, a);
                        try (ResultSet rs = read.executeQuery()) {
                            rs.next();
                        }
                        sum.setInt(1, a);
                        try (ResultSet rs = sum.executeQuery()) {
                            rs.next();
                        }
                    } else {
                        int b = random.nextInt(ACCOUNTS);
                        long amount = 1 + random.nextInt(500);
                        for (int[] leg : new int[][] {{a, -1}, {b, 1}}) {
                            update.setLong(1, leg[1] * amount);
                            update.setInt(2, leg[0]);
                            update.executeUpdate();
                            insert.setInt(1, leg[0]);
                            insert.setLong(2, leg[1] * amount);
                            insert.setString(3, "transfer " + a + "->" + b);
                            insert.executeUpdate();
                        }
                    }
                    c.commit();
                    done.incrementAndGet();
                } catch (SQLException e) {
                    c.rollback();
                    retries.incrementAndGet();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
