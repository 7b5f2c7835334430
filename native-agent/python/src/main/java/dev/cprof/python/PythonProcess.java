package dev.cprof.python;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the Python stacks of a running CPython 3.11–3.13 process from the outside, the way
 * py-spy does: find {@code _PyRuntime} through the ELF symbols of the python binary or
 * libpython mapped in the process, then follow interpreter → thread states → frames → code
 * objects with {@code process_vm_readv}. The target is never stopped, so what we read may be
 * changing: every pointer, length and depth is bounded, and a stack that does not make sense
 * is dropped and counted rather than reported. Not thread-safe: one sampling thread per
 * instance.
 */
public final class PythonProcess implements AutoCloseable {
    /** Deeper stacks are taken as a torn read (or a cycle) and dropped. */
    static final int MAX_DEPTH = 256;
    static final int MAX_STRING_BYTES = 4096;
    static final int MAX_LINETABLE_BYTES = 64 * 1024;
    private static final int MAX_INTERPRETERS = 64;
    private static final int MAX_THREADS = 4096;
    private static final int CODE_CACHE_LIMIT = 8192;
    private static final Charset UTF_32LE = Charset.forName("UTF-32LE");
    private static final Pattern NAME_VERSION = Pattern.compile("python(\\d)\\.(\\d+)");
    private static final String SUPPORTED = "(3.11–3.13 are)";

    /** What one {@link #sample} saw: stacks of threads running Python code, and what it skipped. */
    public record Snapshot(List<PythonStack> stacks, int idleThreads, int droppedThreads) {}

    private record CodeInfo(long filenamePtr, long qualnamePtr, long linetablePtr, int firstLine,
                            String filename, String qualname, byte[] linetable) {}

    private final int pid;
    private final long startTime;
    private final String version;
    private final PyOffsets off;
    private final long runtime;
    private final long codeType;
    private final long unicodeType;
    private final long bytesType;
    private final RemoteMemory mem;
    private final Map<Long, CodeInfo> codes = new HashMap<>();

    private PythonProcess(int pid, long startTime, String version, PyOffsets off, long runtime,
                          long codeType, long unicodeType, long bytesType, RemoteMemory mem) {
        this.pid = pid;
        this.startTime = startTime;
        this.version = version;
        this.off = off;
        this.runtime = runtime;
        this.codeType = codeType;
        this.unicodeType = unicodeType;
        this.bytesType = bytesType;
        this.mem = mem;
    }

    /**
     * Locates the interpreter of {@code pid} and checks that we can read it.
     *
     * @throws PythonAttachException not CPython, an unsupported version, or unreadable; the
     *         message is one line for the user
     */
    public static PythonProcess attach(int pid) throws PythonAttachException {
        ProcStat stat = ProcStat.read(pid);
        if (stat == null || !stat.alive()) {
            throw new PythonAttachException("pid " + pid + ": no such process");
        }
        Located where = locate(pid, stat);
        RemoteMemory mem = new RemoteMemory(pid);
        try {
            int hex = mem.readInt(where.pyVersion());
            String version = (hex >>> 24) + "." + ((hex >>> 16) & 0xff) + "." + ((hex >>> 8) & 0xff);
            PyOffsets off = PyOffsets.forVersion(hex);
            if (off == null && (hex >>> 16) == 0x030d) {
                off = PyOffsets.fromDebugOffsets(mem.read(where.runtime(), PyOffsets.DEBUG_OFFSETS_SIZE));
            }
            if (off == null) {
                throw new PythonAttachException("python " + PyOffsets.versionString(hex >>> 16)
                        + " is not supported " + SUPPORTED);
            }
            PythonProcess p = new PythonProcess(pid, stat.startTime(), version, off, where.runtime(),
                    where.codeType(), where.unicodeType(), where.bytesType(), mem);
            p.checkLayout();
            return p;
        } catch (ProcessGoneException e) {
            mem.close();
            throw new PythonAttachException("pid " + pid + ": " + e.reason());
        } catch (PythonAttachException | RuntimeException e) {
            mem.close();
            if (e instanceof RaceException) {
                throw new PythonAttachException("pid " + pid + ": python memory unreadable: " + e.getMessage());
            }
            throw e;
        }
    }

    public int pid() {
        return pid;
    }

    /** "3.11.7". */
    public String version() {
        return version;
    }

    /** Start time of the process in clock ticks since boot; tells a reused pid apart. */
    long startTime() {
        return startTime;
    }

    /** process_vm_readv calls so far. */
    public long reads() {
        return mem.reads();
    }

    /**
     * The stacks of all threads that are executing Python code and that {@code include}
     * accepts (by native thread id); threads without a frame or not accepted count as idle.
     * A thread whose stack is torn by a concurrent change counts as dropped; a torn thread
     * list drops the whole snapshot (returned empty with one drop).
     *
     * @throws ProcessGoneException the process exited
     */
    public Snapshot sample(LongPredicate include) throws ProcessGoneException {
        List<PythonStack> stacks = new ArrayList<>();
        int idle = 0;
        int dropped = 0;
        try {
            long interp = mem.readLong(runtime + off.interpretersHead());
            for (int i = 0; interp != 0; i++) {
                if (i >= MAX_INTERPRETERS) {
                    throw new RaceException("interpreter list too long");
                }
                long tstate = mem.readLong(interp + off.interpThreadsHead());
                for (int t = 0; tstate != 0; t++) {
                    if (t >= MAX_THREADS) {
                        throw new RaceException("thread list too long");
                    }
                    ByteBuffer ts = mem.read(tstate, off.threadSpan());
                    long tid = ts.getLong((int) off.tstateNativeThreadId());
                    long frame = currentFrame(ts);
                    if (frame == 0 || !include.test(tid)) {
                        idle++;
                    } else {
                        try {
                            stacks.add(new PythonStack(tid, walk(frame)));
                        } catch (RaceException e) {
                            dropped++;
                        }
                    }
                    tstate = ts.getLong((int) off.tstateNext());
                }
                interp = mem.readLong(interp + off.interpNext());
            }
        } catch (RaceException e) {
            return new Snapshot(List.of(), 0, 1);
        }
        return new Snapshot(stacks, idle, dropped);
    }

    private long currentFrame(ByteBuffer ts) throws ProcessGoneException {
        if (off.cframe() < 0) {
            return ts.getLong((int) off.currentFrame());
        }
        long cframe = ts.getLong((int) off.cframe());
        return cframe == 0 ? 0 : mem.readLong(cframe + off.currentFrame());
    }

    /** Frames from {@code frame} outwards, returned root first. */
    private List<PythonFrame> walk(long frame) throws ProcessGoneException {
        List<PythonFrame> leafFirst = new ArrayList<>();
        int span = off.frameSpan();
        for (int depth = 0; frame != 0; depth++) {
            if (depth >= MAX_DEPTH) {
                throw new RaceException("stack deeper than " + MAX_DEPTH + " (or a cycle)");
            }
            ByteBuffer f = mem.read(frame, span);
            long next = f.getLong((int) off.framePrevious());
            if (f.get((int) off.frameOwner()) != PyOffsets.OWNED_BY_CSTACK) { // entry shims carry no code
                long code = f.getLong((int) off.frameCode());
                CodeInfo ci = code(code);
                int line = line(ci, code, f.getLong((int) off.frameInstr()));
                leafFirst.add(new PythonFrame(ci.qualname(), ci.filename(), ci.firstLine(), line));
            }
            frame = next;
        }
        Collections.reverse(leafFirst);
        return leafFirst;
    }

    private int line(CodeInfo ci, long code, long instr) {
        if (instr == 0 || ci.linetable().length == 0) {
            return ci.firstLine();
        }
        long index = (instr - (code + off.codeAdaptive())) / 2; // _Py_CODEUNIT is 2 bytes
        int line = index < 0 || index > Integer.MAX_VALUE ? 0 : LineTable.line(ci.linetable(), ci.firstLine(), (int) index);
        return line > 0 ? line : ci.firstLine();
    }

    /**
     * The code object's names, cached by address but re-validated on every use against the
     * pointers just read, so a freed and reused address does not return stale names.
     */
    private CodeInfo code(long code) throws ProcessGoneException {
        ByteBuffer h = mem.read(code, off.codeSpan());
        checkType(h, codeType, "code");
        long filenamePtr = h.getLong((int) off.codeFilename());
        long qualnamePtr = h.getLong((int) off.codeQualname());
        long linetablePtr = h.getLong((int) off.codeLinetable());
        int firstLine = h.getInt((int) off.codeFirstlineno());
        CodeInfo ci = codes.get(code);
        if (ci != null && ci.filenamePtr() == filenamePtr && ci.qualnamePtr() == qualnamePtr
                && ci.linetablePtr() == linetablePtr && ci.firstLine() == firstLine) {
            return ci;
        }
        ci = new CodeInfo(filenamePtr, qualnamePtr, linetablePtr, firstLine,
                string(filenamePtr), string(qualnamePtr), bytes(linetablePtr));
        if (codes.size() >= CODE_CACHE_LIMIT) {
            codes.clear();
        }
        codes.put(code, ci);
        return ci;
    }

    /** A compact str object (the only kind code objects hold), decoded by its kind bits. */
    String string(long ptr) throws ProcessGoneException {
        ByteBuffer h = mem.read(ptr, (int) off.compactSize());
        checkType(h, unicodeType, "str");
        int state = h.getInt((int) off.unicodeState());
        long length = h.getLong((int) off.unicodeLength());
        int kind = (state >>> 2) & 7;          // 1, 2 or 4 bytes per character
        boolean compact = (state & 0x20) != 0;
        boolean ascii = (state & 0x40) != 0;
        if (!compact || (kind != 1 && kind != 2 && kind != 4)) {
            throw new RaceException("not a compact string");
        }
        if (length < 0 || length * kind > MAX_STRING_BYTES) {
            throw new RaceException("string of " + length + " characters refused");
        }
        int bytes = (int) length * kind;
        if (ascii) {
            return new String(mem.read(ptr + off.asciiSize(), bytes).array(), StandardCharsets.US_ASCII);
        }
        byte[] data = mem.read(ptr + off.compactSize(), bytes).array();
        return new String(data, switch (kind) {
            case 1 -> StandardCharsets.ISO_8859_1;
            case 2 -> StandardCharsets.UTF_16LE;
            default -> UTF_32LE;
        });
    }

    /** The content of a bytes object; empty when absent or larger than we care to read. */
    private byte[] bytes(long ptr) throws ProcessGoneException {
        if (ptr == 0) {
            return new byte[0];
        }
        ByteBuffer h = mem.read(ptr, (int) off.bytesData());
        checkType(h, bytesType, "bytes");
        long size = h.getLong((int) off.bytesSize());
        if (size < 0 || size > MAX_LINETABLE_BYTES) {
            return new byte[0];
        }
        return mem.read(ptr + off.bytesData(), (int) size).array();
    }

    private static void checkType(ByteBuffer object, long expected, String what) {
        if (expected > 0 && object.getLong((int) PyOffsets.OB_TYPE) != expected) {
            throw new RaceException("not a " + what + " object");
        }
    }

    /**
     * Cross-checks the offsets on the live process: every thread state must point back at its
     * interpreter. A mismatch means a build whose layout differs from the table.
     */
    private void checkLayout() throws PythonAttachException, ProcessGoneException {
        long interp = mem.readLong(runtime + off.interpretersHead());
        if (interp == 0) {
            throw new PythonAttachException("pid " + pid + ": python " + version + " has no interpreter (starting or exiting)");
        }
        long tstate = mem.readLong(interp + off.interpThreadsHead());
        if (tstate != 0 && mem.readLong(tstate + off.tstateInterp()) != interp) {
            throw new PythonAttachException("pid " + pid + ": python " + version
                    + " has an unexpected memory layout (a custom build?)");
        }
    }

    @Override
    public void close() {
        mem.close();
    }

    // ---- locating _PyRuntime ------------------------------------------------------------

    private record Located(long runtime, long pyVersion, long codeType, long unicodeType, long bytesType) {}

    private static final List<String> SYMBOLS =
            List.of("_PyRuntime", "Py_Version", "PyCode_Type", "PyUnicode_Type", "PyBytes_Type");

    /**
     * Finds the ELF file that defines {@code _PyRuntime}: libpython when the binary links it
     * dynamically, else the executable itself. Symbol values are link-time addresses; the
     * load bias of the file's lowest mapping turns them into addresses in the target.
     */
    private static Located locate(int pid, ProcStat stat) throws PythonAttachException {
        List<ProcMaps.Mapping> maps;
        try {
            maps = ProcMaps.read(pid);
        } catch (IOException e) {
            throw new PythonAttachException("pid " + pid + ": cannot read its memory map (" + e.getMessage() + ")");
        }
        String exe = null;
        try {
            exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            // kernel thread or no permission: candidates come from the maps alone
        }
        Set<String> candidates = new LinkedHashSet<>();
        for (ProcMaps.Mapping m : maps) {
            String base = m.path().substring(m.path().lastIndexOf('/') + 1);
            if (base.startsWith("libpython")) {
                candidates.add(m.path());
            }
        }
        for (ProcMaps.Mapping m : maps) {
            if (m.path().equals(exe) || m.path().substring(m.path().lastIndexOf('/') + 1).startsWith("python")) {
                candidates.add(m.path());
            }
        }
        for (String path : candidates) {
            ElfSymbols elf = readElf(pid, path);
            if (elf == null || elf.symbol("_PyRuntime") < 0) {
                continue;
            }
            ProcMaps.Mapping lowest = null;
            for (ProcMaps.Mapping m : maps) {
                if (m.path().equals(path) && (lowest == null || m.offset() < lowest.offset())) {
                    lowest = m;
                }
            }
            long bias = elf.loadBias(lowest.start(), lowest.offset());
            if (elf.symbol("Py_Version") < 0) {
                throw new PythonAttachException(unsupported(path));
            }
            return new Located(bias + elf.symbol("_PyRuntime"), bias + elf.symbol("Py_Version"),
                    relocated(elf, bias, "PyCode_Type"), relocated(elf, bias, "PyUnicode_Type"),
                    relocated(elf, bias, "PyBytes_Type"));
        }
        throw new PythonAttachException("pid " + pid + " (" + stat.comm() + ") is not a CPython process"
                + " (no _PyRuntime symbol in its executable or a libpython)");
    }

    /** Py_Version exists since 3.11, so its absence means an older python: name it if we can. */
    private static String unsupported(String path) {
        Matcher m = NAME_VERSION.matcher(path.substring(path.lastIndexOf('/') + 1));
        String v = m.find() ? m.group(1) + "." + m.group(2) : "older than 3.11";
        return "python " + v + " is not supported " + SUPPORTED;
    }

    private static long relocated(ElfSymbols elf, long bias, String name) {
        long v = elf.symbol(name);
        return v < 0 ? -1 : bias + v;
    }

    /** The file as the target sees it (its mount namespace, via /proc/pid/root), else as we do. */
    private static ElfSymbols readElf(int pid, String path) {
        for (Path p : List.of(Path.of("/proc/" + pid + "/root" + path), Path.of(path))) {
            try {
                return ElfSymbols.read(p, SYMBOLS);
            } catch (IOException | RuntimeException e) {
                // try the next view of the file
            }
        }
        return null;
    }
}
