package dev.cprof.python;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Where CPython keeps the fields the stack walk reads, per version (x86-64 and aarch64 share
 * these LP64 layouts). 3.11 and 3.12 publish no offsets: their values were measured with
 * {@code offsetof} against each version's own internal headers (pycore_runtime.h,
 * pycore_interp.h, cpython/pystate.h, pycore_frame.h, cpython/code.h, cpython/unicodeobject.h)
 * and agree with py-spy's bindings. 3.13 publishes {@code _Py_DebugOffsets} at the start of
 * {@code _PyRuntime}; we read those instead of trusting a table.
 *
 * @param cframe offset of {@code PyThreadState.cframe}, or -1 when the thread state points at
 *        the frame directly (3.13+)
 * @param currentFrame offset of {@code current_frame} in {@code _PyCFrame} (3.11/3.12) or in
 *        {@code PyThreadState} (3.13+)
 */
record PyOffsets(
        int version, // PY_VERSION_HEX >> 16, e.g. 0x030b
        long interpretersHead,
        long interpNext, long interpThreadsHead,
        long tstateNext, long tstateInterp, long tstateNativeThreadId, long cframe, long currentFrame,
        long frameCode, long framePrevious, long frameInstr, long frameOwner,
        long codeFilename, long codeQualname, long codeLinetable, long codeFirstlineno, long codeAdaptive,
        long unicodeState, long unicodeLength, long asciiSize, long compactSize,
        long bytesSize, long bytesData) {

    static final long OB_TYPE = 8;
    /** {@code FRAME_OWNED_BY_CSTACK}: an interpreter entry shim, not Python code (3.12+). */
    static final int OWNED_BY_CSTACK = 3;
    static final String DEBUG_COOKIE = "xdebugpy";
    /** Bytes of the 3.13 {@code _Py_DebugOffsets} struct we read. */
    static final int DEBUG_OFFSETS_SIZE = 584;

    static final PyOffsets V3_11 = new PyOffsets(0x030b, 40,
            0, 16,
            8, 16, 160, 56, 8,
            32, 48, 56, 69,
            112, 128, 136, 72, 184,
            32, 16, 48, 72,
            16, 32);

    static final PyOffsets V3_12 = new PyOffsets(0x030c, 40,
            0, 72,
            8, 16, 144, 56, 0,
            0, 8, 56, 70,
            112, 128, 136, 68, 192,
            32, 16, 40, 56,
            16, 32);

    /** The table for a 3.11/3.12 {@code PY_VERSION_HEX}, or null when there is none. */
    static PyOffsets forVersion(int hexVersion) {
        return switch (hexVersion >>> 16) {
            case 0x030b -> V3_11;
            case 0x030c -> V3_12;
            default -> null;
        };
    }

    /**
     * Offsets from the 3.13 {@code _Py_DebugOffsets} (Include/internal/pycore_runtime.h of
     * 3.13: a cookie, the version, then groups of uint64 fields each led by the struct size).
     */
    static PyOffsets fromDebugOffsets(ByteBuffer d) throws PythonAttachException {
        String cookie = new String(d.array(), 0, 8, StandardCharsets.US_ASCII);
        if (!DEBUG_COOKIE.equals(cookie)) {
            throw new PythonAttachException("_PyRuntime has no debug offsets (cookie '" + cookie.trim() + "')");
        }
        int version = (int) (d.getLong(8) >>> 16);
        if (version != 0x030d) {
            throw new PythonAttachException("unexpected debug offsets layout for python " + versionString(version));
        }
        if (d.getLong(16) != 0) {
            throw new PythonAttachException("free-threaded python " + versionString(version) + " is not supported");
        }
        // unicode: compact non-ASCII data follows PyCompactUnicodeObject = ASCII header + utf8_length + utf8.
        long asciiSize = f(d, 560);
        return new PyOffsets(version, f(d, 40),
                f(d, 64), f(d, 72),
                f(d, 168), f(d, 176), f(d, 200), -1, f(d, 184),
                f(d, 240), f(d, 232), f(d, 248), f(d, 264),
                f(d, 280), f(d, 296), f(d, 304), f(d, 312), f(d, 344),
                f(d, 544), f(d, 552), asciiSize, asciiSize + 16,
                f(d, 520), f(d, 528));
    }

    private static long f(ByteBuffer d, int at) throws PythonAttachException {
        long v = d.getLong(at);
        if (v < 0 || v > 1 << 20) {
            throw new PythonAttachException("implausible debug offset " + v + " at byte " + at);
        }
        return v;
    }

    static String versionString(int version) {
        return (version >>> 8) + "." + (version & 0xff);
    }

    /** Bytes of a frame to read so that every field we use is inside. */
    int frameSpan() {
        return (int) Math.max(Math.max(frameCode, framePrevious), Math.max(frameInstr, frameOwner)) + 8;
    }

    /** Bytes of a code object header to read so that every field we use is inside. */
    int codeSpan() {
        return (int) Math.max(Math.max(codeFilename, codeQualname), Math.max(codeLinetable, codeFirstlineno)) + 8;
    }

    int threadSpan() {
        return (int) Math.max(Math.max(tstateNext, tstateInterp),
                Math.max(tstateNativeThreadId, cframe < 0 ? currentFrame : cframe)) + 8;
    }
}
