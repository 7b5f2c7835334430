package dev.cprof.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ProcParsingTest {

    @Test
    void statSurvivesACommandNameWithParenthesesAndSpaces() {
        String line = "4242 (py (worker) 1) S 17 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 987654 1000 200";
        ProcStat s = ProcStat.parse(line);
        assertEquals(4242, s.pid());
        assertEquals("py (worker) 1", s.comm());
        assertEquals('S', s.state());
        assertEquals(17, s.ppid());
        assertEquals(987654, s.startTime());
        assertNull(ProcStat.parse("garbage"));
    }

    @Test
    void mapsKeepFileMappingsAndStripDeleted() {
        ProcMaps.Mapping m = ProcMaps.parse(
                "7f1e2a400000-7f1e2a4a3000 r--p 00001000 08:01 1234   /usr/lib/libpython3.11.so.1.0 (deleted)");
        assertEquals(0x7f1e2a400000L, m.start());
        assertEquals(0x7f1e2a4a3000L, m.end());
        assertEquals(0x1000, m.offset());
        assertEquals("/usr/lib/libpython3.11.so.1.0", m.path());
        assertNull(ProcMaps.parse("7ffd1000-7ffd2000 rw-p 00000000 00:00 0   [stack]"));
        assertNull(ProcMaps.parse("7ffd1000-7ffd2000 rw-p 00000000 00:00 0"));
    }

    @Test
    void lineTableShortOneLineAndLongForms() {
        // first line 10: 2 units short form (same line), 1 unit one-line form +1, 3 units long form -1, 1 unit no location
        byte[] t = {
            (byte) (0x80 | (0 << 3) | 1), 5,
            (byte) (0x80 | (11 << 3) | 0), 4, 8,
            (byte) (0x80 | (14 << 3) | 2), 0x03 /* signed varint 3 = -1 */, 0, 1, 1,
            (byte) (0x80 | (15 << 3) | 0),
        };
        assertEquals(10, LineTable.line(t, 10, 0));
        assertEquals(10, LineTable.line(t, 10, 1));
        assertEquals(11, LineTable.line(t, 10, 2));
        assertEquals(10, LineTable.line(t, 10, 3));
        assertEquals(10, LineTable.line(t, 10, 5));
        assertEquals(0, LineTable.line(t, 10, 6));   // no location
        assertEquals(0, LineTable.line(t, 10, 99));  // past the end
        assertEquals(0, LineTable.line(new byte[] {1, 2, 3}, 10, 0)); // out of sync
    }
}
