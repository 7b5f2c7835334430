package dev.cprof.profile;

import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;

/**
 * Frame colours shared by the SVG writer and (in its own JavaScript copy, flame-colours.js) the HTML
 * flame graph. Frames are coloured by the code they ran in, with async-profiler's palette (the
 * one its users know, src/res/flame.html there): Java JIT-compiled green, C1-compiled yellow-green,
 * interpreted pale green, inlined aqua, C++ (a native frame whose name has {@code ::}, such as
 * libjvm's) yellow, other native code and the JVM's stubs red, kernel orange. Python frames are
 * blue and pseudo frames ([gc], thread names, instances) grey, which async-profiler has no
 * colour for. A hash of the name varies the shade a little (async-profiler: a random one), so
 * neighbouring frames stay apart and every writer gives a frame the same colour.
 *
 * <p>Differential flame graphs ({@link Diff}) use {@link #diffColor} instead, here and in
 * flame-colours.js's diffColor: the same numbers, so the SVG and the page show the same colours.
 */
final class FlamePalette {
    private FlamePalette() {}

    /**
     * What a frame is coloured and named by: async-profiler's frame types (first seven, in its
     * legend's words) and cprof's own. {@code base} and {@code range} are the colour at shade 0
     * and what the shade adds at 1, per channel (async-profiler's palette entries).
     */
    enum Category {
        INTERPRETED("Interpreted", 0xb2e1b2, 20, 20, 20),
        C1("Java compiled by C1", 0xcce880, 20, 20, 20),
        JIT("Java compiled", 0x50e150, 30, 30, 30),
        INLINED("Inlined", 0x50cccc, 30, 30, 30),
        CPP("C++ (VM)", 0xc8c83c, 30, 30, 10),
        NATIVE("Native", 0xe15a5a, 30, 40, 40),
        KERNEL("Kernel", 0xe17d00, 30, 30, 0),
        PYTHON("Python", 0x508ce6, 40, 50, 20),
        PSEUDO("Pseudo frame", 0xafafaf, 30, 30, 30),
        UNKNOWN("Unknown", 0xc8c8be, 20, 20, 20);

        final String legend;
        final int base;
        final int[] range;

        Category(String legend, int base, int dr, int dg, int db) {
            this.legend = legend;
            this.base = base;
            this.range = new int[] {dr, dg, db};
        }

        /** The category of a frame: its kind and type, and for native frames whether the name is C++. */
        static Category of(FrameKind kind, FrameType type, String name) {
            return switch (kind == null ? FrameKind.FRAME_KIND_UNSPECIFIED : kind) {
                case JAVA -> switch (type == null ? FrameType.FRAME_TYPE_UNSPECIFIED : type) {
                    case INTERPRETED -> INTERPRETED;
                    case C1_COMPILED -> C1;
                    case INLINED -> INLINED;
                    default -> JIT; // JIT-compiled, or not told (async-profiler's converter does the same)
                };
                // Stubs are code the JVM generated, not C++: async-profiler draws them as native.
                case NATIVE -> type != FrameType.STUB && name.contains("::") ? CPP : NATIVE;
                case KERNEL -> KERNEL;
                case PYTHON -> PYTHON;
                case PSEUDO -> PSEUDO;
                default -> UNKNOWN;
            };
        }
    }

    /** A 32-bit FNV-1a hash of the UTF-16 code units, the same as hashName in flame-colours.js. */
    static int hash(String name) {
        int h = 0x811c9dc5;
        for (int i = 0; i < name.length(); i++) {
            h ^= name.charAt(i);
            h *= 0x01000193;
        }
        return h;
    }

    /** "rgb(r,g,b)" for a frame of this kind, type and name (the name as drawn, with its line). */
    static String color(FrameKind kind, FrameType type, String name) {
        Category c = Category.of(kind, type, name);
        double v = Integer.toUnsignedLong(hash(name)) % 1000 / 1000.0;
        int r = (c.base >> 16) + (int) Math.round(c.range[0] * v);
        int g = ((c.base >> 8) & 0xff) + (int) Math.round(c.range[1] * v);
        int b = (c.base & 0xff) + (int) Math.round(c.range[2] * v);
        return "rgb(" + r + "," + g + "," + b + ")";
    }

    /**
     * The frame's type in words, for tooltips: "Java, JIT compiled", "native, JVM stub", ...;
     * the same words as flame-colours.js's typeText.
     */
    static String typeText(FrameKind kind, FrameType type) {
        return switch (kind == null ? FrameKind.FRAME_KIND_UNSPECIFIED : kind) {
            case JAVA -> switch (type == null ? FrameType.FRAME_TYPE_UNSPECIFIED : type) {
                case INTERPRETED -> "Java, interpreted";
                case C1_COMPILED -> "Java, compiled by C1";
                case JIT_COMPILED -> "Java, JIT compiled";
                case INLINED -> "Java, inlined";
                default -> "Java";
            };
            case NATIVE -> type == FrameType.STUB ? "native, JVM stub" : "native";
            case KERNEL -> "kernel";
            case PYTHON -> "Python";
            case PSEUDO -> "pseudo frame";
            default -> "unknown";
        };
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
