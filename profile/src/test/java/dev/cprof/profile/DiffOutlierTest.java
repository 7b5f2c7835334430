package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import org.junit.jupiter.api.Test;

class DiffOutlierTest {

    /** Four instances: three with a ≈ b, the fourth (host-d) spending 80 % in c. */
    static Profile fleet() {
        Profile p = new Profile();
        int main = p.frame("main", FrameKind.JAVA, 0);
        int a = p.frame("a", FrameKind.JAVA, 0);
        int b = p.frame("b", FrameKind.JAVA, 0);
        int c = p.frame("c", FrameKind.JAVA, 0);
        long[][] counts = {{50, 50, 0}, {52, 48, 0}, {48, 52, 0}, {20, 0, 80}};
        String[] hosts = {"host-a", "host-b", "host-c", "host-d"};
        for (int i = 0; i < counts.length; i++) {
            int inst = p.addInstance(InstanceInfo.newBuilder().setInstanceId(i + 1).setHost(hosts[i]).setPid(100 + i).setService("checkout").build());
            int[] leaf = {a, b, c};
            for (int m = 0; m < 3; m++) {
                if (counts[i][m] > 0) {
                    // scale by the instance so totals differ: shares, not counts, are compared
                    p.addSample(new int[] {main, leaf[m]}, inst, EventType.CPU, counts[i][m] * (i + 1), 0);
                }
            }
        }
        return p;
    }

    @Test
    void findsTheInstanceFarthestFromTheMedian() {
        DiffOutlier o = DiffOutlier.of(fleet(), EventType.CPU, 5).orElseThrow();
        assertEquals("host-d:103 checkout", o.outlier().label());
        // medians: a 49 %, b 49 %, c 0 % → host-d: (29 + 49 + 80) / 2 / 100
        assertEquals(0.79, o.outlier().distance(), 1e-9);
        assertEquals(0.02, o.nextDistance(), 1e-9);
        assertEquals(0.01, o.instances().get(3).distance(), 1e-9);
        assertEquals("host-a:100 checkout", o.instances().get(3).label());
        assertEquals("c", o.methods().get(0).method());
        assertEquals(80, o.methods().get(0).delta(), 1e-9);
        assertEquals(0, o.methods().get(0).median(), 1e-9);
        assertEquals("b", o.methods().get(1).method());
        assertEquals(-49, o.methods().get(1).delta(), 1e-9);
        assertEquals("a", o.methods().get(2).method());
        assertEquals(3, o.methods().size(), "main has no self value");
    }

    @Test
    void needsThreeInstancesWithSamples() {
        Profile p = fleet();
        assertTrue(DiffOutlier.of(p, EventType.WALL, 5).isEmpty(), "no wall samples");
        Profile two = new Profile();
        int f = two.frame("f", FrameKind.JAVA, 0);
        for (int i = 0; i < 2; i++) {
            two.addSample(new int[] {f}, two.addInstance(InstanceInfo.getDefaultInstance()), EventType.CPU, 1, 0);
        }
        two.addInstance(InstanceInfo.getDefaultInstance()); // a third one without samples
        assertTrue(DiffOutlier.of(two, EventType.CPU, 5).isEmpty());
    }
}
