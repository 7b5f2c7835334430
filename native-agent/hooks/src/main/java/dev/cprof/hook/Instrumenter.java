package dev.cprof.hook;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The native agent's entry points (called through JNI from its hooks thread): which loaded
 * classes to hook, the rewritten bytes of one class (from the agent's ClassFileLoadHook, during
 * its own RetransformClasses), and the switch. The agent puts the original bytes back itself,
 * by retransforming the classes {@link #stop()} returns with its hook disabled.
 */
public final class Instrumenter {
    /** Classes chosen for this session: internal name to JdbcClassTransformer kinds. */
    private static final Map<String, Integer> CHOSEN = new ConcurrentHashMap<>();
    private static final List<Class<?>> HOOKED = new ArrayList<>();
    /** Classes rewritten as they loaded during the session (no Class object yet then): by name. */
    private static final Map<String, Boolean> HOOKED_AT_LOAD = new ConcurrentHashMap<>();
    private static final int MAX_HOOKED_AT_LOAD = 10_000;
    private static volatile boolean on;

    private Instrumenter() {}

    /** Session start: records from now on (the classes are rewritten next). */
    public static synchronized void start(long thresholdNs) {
        CprofHooks.thresholdNs = Math.max(1, thresholdNs);
        CprofHooks.jdbcOn = true;
        on = true;
    }

    /** The classes among {@code loaded} to rewrite: JDBC statements and connections of any driver. */
    public static synchronized Class<?>[] select(Class<?>[] loaded) {
        List<Class<?>> out = new ArrayList<>();
        for (Class<?> c : loaded) {
            try {
                int kinds = kinds(c);
                if (kinds != 0) {
                    CHOSEN.put(c.getName().replace('.', '/'), kinds);
                    out.add(c);
                }
            } catch (Throwable t) {
                // a class that cannot be inspected is not hooked
            }
        }
        return out.toArray(new Class<?>[0]);
    }

    /** Rewritten bytes of a chosen class, null to leave it (not chosen, or ASM refused it). */
    public static byte[] transform(String internalName, byte[] bytes) {
        Integer kinds = internalName != null ? CHOSEN.get(internalName) : null;
        if (kinds == null) {
            return null;
        }
        try {
            return JdbcClassTransformer.transform(bytes, kinds);
        } catch (Throwable t) {
            return null;
        }
    }

    /**
     * Rewritten bytes of a class loading during the session (its ClassFileLoadHook saw "java/sql/"
     * in it), null to leave it: hooked when it names a JDBC interface itself or extends a class
     * hooked already.
     */
    public static byte[] transformAtLoad(String internalName, byte[] bytes) {
        if (!on || internalName == null || internalName.startsWith("java/") || internalName.startsWith("jdk/")
                || internalName.startsWith("dev/cprof/hook/") || HOOKED_AT_LOAD.size() >= MAX_HOOKED_AT_LOAD) {
            return null;
        }
        try {
            int kinds = JdbcClassTransformer.declaredKinds(bytes, CHOSEN);
            if (kinds == 0) {
                return null;
            }
            byte[] out = JdbcClassTransformer.transform(bytes, kinds);
            if (out != null) {
                CHOSEN.put(internalName, kinds);
                HOOKED_AT_LOAD.put(internalName, Boolean.TRUE);
            }
            return out;
        } catch (Throwable t) {
            return null;
        }
    }

    /** A chosen class was rewritten (the agent's RetransformClasses succeeded). */
    public static synchronized void hooked(Class<?> c) {
        HOOKED.add(c);
    }

    /** Session end: stops recording and returns the classes to put back, of those {@code loaded} now. */
    public static synchronized Class<?>[] stop(Class<?>[] loaded) {
        CprofHooks.jdbcOn = false;
        on = false;
        List<Class<?>> out = new ArrayList<>(HOOKED);
        if (!HOOKED_AT_LOAD.isEmpty() && loaded != null) {
            for (Class<?> c : loaded) {
                if (c != null && HOOKED_AT_LOAD.containsKey(c.getName().replace('.', '/')) && !out.contains(c)) {
                    out.add(c); // a namesake of another loader is retransformed to its own bytes: harmless
                }
            }
        }
        HOOKED.clear();
        HOOKED_AT_LOAD.clear();
        CHOSEN.clear();
        Statements.clear();
        return out.toArray(new Class<?>[0]);
    }

    /** Calls that went through the hooks since the JVM started (for tests). */
    public static long hookCalls() {
        return CprofHooks.hookCalls;
    }

    static int kinds(Class<?> c) {
        if (c.isInterface() || c.isArray() || c.isPrimitive() || c.isHidden()) {
            return 0;
        }
        String name = c.getName();
        if (name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jdk.") || name.startsWith("sun.")
                || name.startsWith("dev.cprof.hook.")) {
            return 0;
        }
        int kinds = 0;
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
            kinds |= interfaceKinds(k.getInterfaces());
        }
        return kinds;
    }

    private static int interfaceKinds(Class<?>[] interfaces) {
        int kinds = 0;
        for (Class<?> i : interfaces) {
            String n = i.getName();
            if (n.equals("java.sql.Statement") || n.equals("java.sql.PreparedStatement") || n.equals("java.sql.CallableStatement")) {
                kinds |= JdbcClassTransformer.STATEMENT;
            } else if (n.equals("java.sql.Connection")) {
                kinds |= JdbcClassTransformer.CONNECTION;
            }
            kinds |= interfaceKinds(i.getInterfaces());
        }
        return kinds;
    }
}
