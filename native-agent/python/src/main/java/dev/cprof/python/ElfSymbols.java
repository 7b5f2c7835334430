package dev.cprof.python;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The few facts we need from an ELF64 little-endian file: symbol values (link-time addresses)
 * from .dynsym then .symtab, and the loadable segments, to turn a mapping in /proc/pid/maps
 * into the load bias. Reads only headers and symbol tables, never the whole file.
 */
final class ElfSymbols {
    private static final int SHT_SYMTAB = 2;
    private static final int SHT_DYNSYM = 11;
    private static final int PT_LOAD = 1;
    private static final int MAX_TABLE = 64 * 1024 * 1024;

    /** A PT_LOAD segment: file offset and link-time virtual address. */
    record Segment(long offset, long vaddr, long filesz) {}

    private final Map<String, Long> symbols;
    private final Segment[] segments;

    private ElfSymbols(Map<String, Long> symbols, Segment[] segments) {
        this.symbols = symbols;
        this.segments = segments;
    }

    /** Reads {@code file} and keeps the values of the {@code wanted} symbols it defines. */
    static ElfSymbols read(Path file, Collection<String> wanted) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer eh = readAt(ch, 0, 64);
            if (eh.getInt(0) != 0x464c457f) {
                throw new IOException(file + ": not an ELF file");
            }
            if (eh.get(4) != 2 || eh.get(5) != 1) {
                throw new IOException(file + ": not a 64-bit little-endian ELF file");
            }
            long phoff = eh.getLong(32);
            long shoff = eh.getLong(40);
            int phentsize = Short.toUnsignedInt(eh.getShort(54));
            int phnum = Short.toUnsignedInt(eh.getShort(56));
            int shentsize = Short.toUnsignedInt(eh.getShort(58));
            int shnum = Short.toUnsignedInt(eh.getShort(60));

            ByteBuffer ph = readAt(ch, phoff, phentsize * phnum);
            Segment[] segs = new Segment[phnum];
            int n = 0;
            for (int i = 0; i < phnum; i++) {
                int b = i * phentsize;
                if (ph.getInt(b) == PT_LOAD) {
                    segs[n++] = new Segment(ph.getLong(b + 8), ph.getLong(b + 16), ph.getLong(b + 32));
                }
            }

            Set<String> remaining = new HashSet<>(wanted);
            Map<String, Long> found = new HashMap<>();
            ByteBuffer sh = readAt(ch, shoff, shentsize * shnum);
            // .dynsym first: small, and present even in stripped binaries.
            for (int type : new int[] {SHT_DYNSYM, SHT_SYMTAB}) {
                for (int i = 0; i < shnum && !remaining.isEmpty(); i++) {
                    int b = i * shentsize;
                    if (sh.getInt(b + 4) != type) {
                        continue;
                    }
                    int link = sh.getInt(b + 40);
                    int l = link * shentsize;
                    ByteBuffer syms = readAt(ch, sh.getLong(b + 24), checked(sh.getLong(b + 32)));
                    ByteBuffer strs = readAt(ch, sh.getLong(l + 24), checked(sh.getLong(l + 32)));
                    scan(syms, strs, remaining, found);
                }
            }
            return new ElfSymbols(found, java.util.Arrays.copyOf(segs, n));
        }
    }

    private static void scan(ByteBuffer syms, ByteBuffer strs, Set<String> remaining, Map<String, Long> found) {
        byte[] str = strs.array();
        for (int off = 0; off + 24 <= syms.limit(); off += 24) {
            long value = syms.getLong(off + 8);
            int shndx = Short.toUnsignedInt(syms.getShort(off + 6));
            if (value == 0 || shndx == 0) {
                continue; // undefined (imported) symbol
            }
            int name = syms.getInt(off);
            if (name <= 0 || name >= str.length) {
                continue;
            }
            int end = name;
            while (end < str.length && str[end] != 0) {
                end++;
            }
            String s = new String(str, name, end - name, StandardCharsets.US_ASCII);
            if (remaining.remove(s)) {
                found.put(s, value);
            }
        }
    }

    private static int checked(long size) throws IOException {
        if (size < 0 || size > MAX_TABLE) {
            throw new IOException("symbol table of " + size + " bytes refused");
        }
        return (int) size;
    }

    private static ByteBuffer readAt(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new IOException("truncated ELF file");
            }
        }
        return b.flip();
    }

    /** Link-time value of a symbol, or -1 when not defined here. */
    long symbol(String name) {
        return symbols.getOrDefault(name, -1L);
    }

    /**
     * Load bias of a file mapped at {@code mapStart} from {@code fileOffset}: runtime address
     * minus link-time address. 0 for a non-PIE executable, the base address for a PIE or .so.
     */
    long loadBias(long mapStart, long fileOffset) {
        for (Segment s : segments) {
            if (fileOffset >= s.offset() && fileOffset < s.offset() + Math.max(s.filesz(), 1)) {
                return mapStart - (s.vaddr() + (fileOffset - s.offset()));
            }
        }
        // Mapped page before the first segment's data (offset 0 with a non-zero p_offset).
        Segment first = segments.length > 0 ? segments[0] : new Segment(0, 0, 0);
        return mapStart - (first.vaddr() - first.offset()) - fileOffset;
    }
}
