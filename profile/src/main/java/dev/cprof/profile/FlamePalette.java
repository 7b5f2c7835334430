package dev.cprof.profile;

import dev.cprof.wire.proto.FrameKind;

/**
 * Frame colours shared by the SVG writer and (in its own JavaScript copy, flame.js) the HTML
 * flame graph: Java green, native orange, kernel red-orange, Python blue, pseudo frames grey.
 * A hash of the name varies the shade a little so neighbouring frames stay apart.
 */
final class FlamePalette {
    private FlamePalette() {}

    /** A 32-bit FNV-1a hash of the UTF-16 code units, the same as hashName in flame.js. */
    static int hash(String name) {
        int h = 0x811c9dc5;
        for (int i = 0; i < name.length(); i++) {
            h ^= name.charAt(i);
            h *= 0x01000193;
        }
        return h;
    }

    /** "rgb(r,g,b)" for a frame of this kind and name. */
    static String color(FrameKind kind, String name) {
        double v = Integer.toUnsignedLong(hash(name)) % 1000 / 1000.0;
        int[] base = switch (kind == null ? FrameKind.FRAME_KIND_UNSPECIFIED : kind) {
            case JAVA -> new int[] {50, 60, 190, 40, 50, 60};
            case NATIVE -> new int[] {230, 20, 140, 50, 40, 30};
            case KERNEL -> new int[] {220, 30, 80, 40, 50, 20};
            case PYTHON -> new int[] {80, 40, 140, 50, 230, 20};
            case PSEUDO -> new int[] {175, 30, 175, 30, 175, 30};
            default -> new int[] {200, 20, 200, 20, 190, 20};
        };
        int r = (int) Math.round(base[0] + base[1] * v);
        int g = (int) Math.round(base[2] + base[3] * v);
        int b = (int) Math.round(base[4] + base[5] * v);
        return "rgb(" + r + "," + g + "," + b + ")";
    }
}
