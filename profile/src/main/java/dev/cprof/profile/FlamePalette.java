package dev.cprof.profile;

import dev.cprof.wire.proto.FrameKind;

/**
 * Frame colours shared by the SVG writer and (in its own JavaScript copy, flame.js) the HTML
 * flame graph: Java green, native orange, kernel red-orange, Python blue, pseudo frames grey.
 * A hash of the name varies the shade a little so neighbouring frames stay apart.
 *
 * <p>Differential flame graphs ({@link Diff}) use {@link #diffColor} instead, here and in
 * flame.js's diffColor: the same numbers, so the SVG and the page show the same colours.
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

    /** A frame whose total share did not move (|change| below {@link #DIFF_UNCHANGED_PP}). */
    static final String DIFF_UNCHANGED = "rgb(235,235,235)";
    /** A frame BASE never had. */
    static final String DIFF_NEW = "rgb(255,60,60)";
    /** Full colour at no less than this change, so small noise stays pale. */
    static final double DIFF_MIN_FULL_PP = 1.0;
    /** Changes that round to 0.00pp are drawn as unchanged. */
    static final double DIFF_UNCHANGED_PP = 0.005;

    /**
     * A change in pp rounded to 1e-6 pp before it is coloured: the SVG and the page compute it
     * by different sums, and rounding both the same way makes their colours agree.
     */
    static double diffRound(double pp) {
        return Math.round(pp * 1e6) / 1e6;
    }

    /**
     * The fill of a frame in a differential flame graph: full red when BASE never had it;
     * otherwise by its change of total share {@code deltaPp}: grey when it rounds to 0.00pp,
     * red (grew) or blue (shrank) from pale (235) to strong (60) as |change| / {@code fullPp}
     * goes from 0 to 1.
     */
    static String diffColor(double deltaPp, double fullPp, boolean fresh) {
        if (fresh) {
            return DIFF_NEW;
        }
        double d = diffRound(deltaPp);
        if (Math.abs(d) < DIFF_UNCHANGED_PP) {
            return DIFF_UNCHANGED;
        }
        double r = Math.min(1, Math.abs(d) / fullPp);
        int k = (int) Math.round(235 - 175 * r);
        return d > 0 ? "rgb(255," + k + "," + k + ")" : "rgb(" + k + "," + k + ",255)";
    }
}
