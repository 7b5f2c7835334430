package dev.cprof.agent.workload;

import java.util.function.LongUnaryOperator;

/**
 * The template of the classes {@link ClassChurn} defines and drops: each copy is this class
 * with its name's digits replaced (Churn0001 ... Churn9999), defined by its own class loader.
 */
public final class Churn0000 implements LongUnaryOperator {
    @Override
    public long applyAsLong(long n) {
        long x = n;
        for (int i = 0; i < 20_000; i++) {
            x = step(x, i);
        }
        return x;
    }

    private static long step(long x, int i) {
        return x * 31 + (i ^ (x >>> 7));
    }
}
