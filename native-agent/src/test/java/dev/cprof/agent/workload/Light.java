package dev.cprof.agent.workload;

/** Light steady work (a little CPU and allocation) for attach/stop cycles. */
public final class Light {
    public static void main(String[] args) throws InterruptedException {
        Workload.ready(170_000);
        while (true) {
            Workload.burnCpu(2_000_000);
            AllocSplit.allocA();
            Thread.sleep(8);
        }
    }
}
