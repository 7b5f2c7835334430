package dev.cprof.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Rewrites a class with execute methods, loads it (the JVM verifies it) and runs it. */
class JdbcClassTransformerTest {
    /** Shaped like a driver's statement: branches, loops, locals, a long and a double, throws. */
    public static class Sample {
        public int executeUpdate(String sql) throws SQLException {
            if (sql.contains("fail")) {
                throw new SQLException("bad statement");
            }
            long sum = 0;
            for (int i = 0; i < sql.length(); i++) {
                sum += sql.charAt(i);
            }
            double d = sum / 2.0;
            return d > 0 ? (int) (sum % 7) : -1;
        }

        public boolean execute() {
            try {
                return Integer.parseInt("x") > 0;
            } catch (NumberFormatException e) {
                return false;
            }
        }

        public long executeLargeUpdate(String sql, int[] columns) {
            return columns.length + sql.length();
        }
    }

    @AfterEach
    void off() {
        Instrumenter.stop(null);
    }

    @Test
    void rewrittenMethodsRunAsBeforeAndCallTheHooks() throws Exception {
        byte[] original;
        try (InputStream in = Sample.class.getResourceAsStream("JdbcClassTransformerTest$Sample.class")) {
            original = in.readAllBytes();
        }
        byte[] rewritten = JdbcClassTransformer.transform(original, JdbcClassTransformer.STATEMENT);
        assertNotNull(rewritten);
        assertNull(JdbcClassTransformer.transform(original, JdbcClassTransformer.CONNECTION), "no prepare method: unchanged");
        Class<?> c = new ClassLoader(getClass().getClassLoader()) {
            Class<?> define() {
                return defineClass(Sample.class.getName(), rewritten, 0, rewritten.length);
            }
        }.define();
        Object o = c.getConstructor().newInstance();
        Method update = c.getMethod("executeUpdate", String.class);
        assertEquals(new Sample().executeUpdate("select 1"), update.invoke(o, "select 1"));

        Instrumenter.start(1);
        long before = CprofHooks.hookCalls;
        assertEquals(new Sample().executeUpdate("select 2"), update.invoke(o, "select 2"));
        assertEquals(false, c.getMethod("execute").invoke(o));
        assertEquals(13L, c.getMethod("executeLargeUpdate", String.class, int[].class).invoke(o, "0123456789", new int[3]));
        InvocationTargetException thrown = assertThrows(InvocationTargetException.class, () -> update.invoke(o, "fail"));
        assertSame(SQLException.class, thrown.getCause().getClass(), "the application's exception, unchanged");
        assertEquals(before + 4, CprofHooks.hookCalls);
        Instrumenter.stop(null);
        update.invoke(o, "select 3");
        assertEquals(before + 4, CprofHooks.hookCalls, "off: no call recorded");
    }

    @Test
    void choosesStatementsAndConnectionsOfAnyDriver() throws Exception {
        assertEquals(JdbcClassTransformer.STATEMENT, Instrumenter.kinds(org.h2.jdbc.JdbcPreparedStatement.class));
        assertEquals(JdbcClassTransformer.CONNECTION, Instrumenter.kinds(org.h2.jdbc.JdbcConnection.class));
        assertEquals(0, Instrumenter.kinds(java.sql.Statement.class));
        assertEquals(0, Instrumenter.kinds(String.class));
        for (Class<?> c : new Class<?>[] {org.h2.jdbc.JdbcPreparedStatement.class, org.h2.jdbc.JdbcStatement.class,
                org.h2.jdbc.JdbcCallableStatement.class, org.h2.jdbc.JdbcConnection.class}) {
            try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
                assertNotNull(JdbcClassTransformer.transform(in.readAllBytes(), Instrumenter.kinds(c)), c.getName());
            }
        }
    }
}
