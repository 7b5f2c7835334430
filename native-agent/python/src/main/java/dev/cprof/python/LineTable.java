package dev.cprof.python;

/**
 * Decodes the 3.11+ location table ({@code co_linetable}, see CPython's
 * Objects/locations.md) just far enough to map a code-unit index to a line. Each entry starts
 * with a byte {@code 1cccclll}: code {@code c} says how the line changes, {@code l+1} is how
 * many code units it covers. Malformed tables answer 0 (unknown) rather than throwing.
 */
final class LineTable {
    private LineTable() {}

    /** Line of the instruction at code-unit {@code index}, or 0 when unknown. */
    static int line(byte[] table, int firstLine, int index) {
        if (index < 0) {
            return 0;
        }
        int line = firstLine;
        int unit = 0;
        int[] pos = {0};
        while (pos[0] < table.length) {
            int b = table[pos[0]++] & 0xff;
            if ((b & 0x80) == 0) {
                return 0; // lost sync: not an entry start
            }
            int code = (b >> 3) & 0x0f;
            int length = (b & 7) + 1;
            boolean hasLine = true;
            switch (code) {
                case 15 -> hasLine = false;                    // no location
                case 14 -> {                                   // long form
                    line += signedVarint(table, pos);
                    varint(table, pos);                        // end line delta
                    varint(table, pos);                        // column + 1
                    varint(table, pos);                        // end column + 1
                }
                case 13 -> line += signedVarint(table, pos);   // no column
                case 10, 11, 12 -> {                           // one-line form
                    line += code - 10;
                    pos[0] += 2;                               // column, end column
                }
                default -> pos[0] += 1;                        // short form: same line
            }
            if (index < unit + length) {
                return hasLine && line > 0 ? line : 0;
            }
            unit += length;
        }
        return 0;
    }

    private static int varint(byte[] t, int[] pos) {
        int value = 0;
        int shift = 0;
        while (pos[0] < t.length && shift < 32) {
            int b = t[pos[0]++] & 0xff;
            value |= (b & 0x3f) << shift;
            shift += 6;
            if ((b & 0x40) == 0) {
                break;
            }
        }
        return value;
    }

    private static int signedVarint(byte[] t, int[] pos) {
        int v = varint(t, pos);
        return (v & 1) != 0 ? -(v >>> 1) : v >>> 1;
    }
}
