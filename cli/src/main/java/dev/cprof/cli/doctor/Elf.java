package dev.cprof.cli.doctor;

/** Just enough of an ELF header to tell whether the agent library can load on this machine. */
public final class Elf {
    private Elf() {
    }

    /** Null when {@code head} starts a 64-bit little-endian ELF shared object for {@code osArch}, else why not. */
    public static String problem(byte[] head, int n, String osArch) {
        if (n < 20 || head[0] != 0x7f || head[1] != 'E' || head[2] != 'L' || head[3] != 'F') {
            return "not an ELF file";
        }
        if (head[4] != 2 || head[5] != 1) {
            return "not a 64-bit little-endian ELF file";
        }
        int type = (head[16] & 0xff) | (head[17] & 0xff) << 8;
        if (type != 3) {
            return "not a shared library (ELF type " + type + ")";
        }
        int machine = (head[18] & 0xff) | (head[19] & 0xff) << 8;
        int want = machine(osArch);
        if (machine != want) {
            return "built for ELF machine " + machine + ", this machine (" + osArch + ") needs " + want;
        }
        return null;
    }

    private static int machine(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> 62;
            case "aarch64", "arm64" -> 183;
            default -> -1;
        };
    }

    /** os.arch as ELF tools name it ("x86-64" for amd64). */
    static String archName(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> "x86-64";
            default -> osArch;
        };
    }
}
