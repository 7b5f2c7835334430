package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cprof.profile.Profile;
import dev.cprof.wire.proto.Dropped;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every summary (attach, demo, top, --json) says lost and unwalked samples apart: unwalked ones are kept. */
class LossesTest {

    @Test
    void lostAndUnwalkedAreToldApart() {
        Profile p = new Profile();
        TopModel top = new TopModel();
        top.copy(p);
        assertEquals("", Losses.text(p), "nothing to say when nothing was missed");
        assertEquals("", top.losses());

        p.addDropped(Dropped.newBuilder().setUnwalkable(340).build());
        assertEquals("340 unwalked (kept as pseudo frames)", Losses.text(p), "unwalked samples are not lost");
        top.copy(p);
        assertEquals(" \u00b7 340 unwalked", top.losses());

        p.addDropped(Dropped.newBuilder().setBufferFull(1200).setOther(3).build());
        assertEquals("1,203 samples lost (buffer full 1,200, other 3), 340 unwalked (kept as pseudo frames)", Losses.text(p));
        top.copy(p);
        assertEquals(" \u00b7 1,203 lost, 340 unwalked", top.losses());

        Map<String, Object> json = new LinkedHashMap<>();
        Losses.json(json, p);
        assertEquals(Map.of("lost", 1203L, "lost_buffer_full", 1200L, "lost_other", 3L, "unwalked", 340L), json);
    }

    @Test
    void oneLostSample() {
        Profile p = new Profile();
        p.addDropped(Dropped.newBuilder().setOther(1).build());
        assertEquals("1 sample lost (buffer full 0, other 1)", Losses.text(p));
    }
}
