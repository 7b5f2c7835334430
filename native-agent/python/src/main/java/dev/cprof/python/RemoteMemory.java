package dev.cprof.python;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads another process's memory with {@code process_vm_readv(2)}: one syscall per read, no
 * ptrace, the target never stops. Not thread-safe: one instance per sampling thread and pid.
 * A read of unmapped memory (a stale pointer in a racing target) is a {@link RaceException};
 * a vanished process is a {@link ProcessGoneException}.
 */
final class RemoteMemory implements AutoCloseable {
    /** Largest single read; every caller's length is bounded by this. */
    static final int MAX_READ = 256 * 1024;

    private static final int ESRCH = 3;
    private static final int EPERM = 1;

    static {
        Native.register(RemoteMemory.class, NativeLibrary.getInstance("c"));
    }

    private static native long process_vm_readv(int pid, Pointer localIov, long liovcnt,
                                                Pointer remoteIov, long riovcnt, long flags)
            throws LastErrorException;

    private final int pid;
    private final Memory buffer = new Memory(MAX_READ);
    private final Memory iovecs = new Memory(32); // local iovec, then remote iovec
    private long reads;

    RemoteMemory(int pid) {
        this.pid = pid;
    }

    int pid() {
        return pid;
    }

    /** Syscalls made so far (a cost measure for benchmarks). */
    long reads() {
        return reads;
    }

    /** Exactly {@code len} bytes at {@code address}, little-endian, as a fresh heap buffer. */
    ByteBuffer read(long address, int len) throws ProcessGoneException {
        if (len < 0 || len > MAX_READ) {
            throw new RaceException("read of " + len + " bytes refused");
        }
        if (address == 0 || address < 0 || address + len < address) {
            throw new RaceException("bad address 0x" + Long.toHexString(address));
        }
        byte[] out = new byte[len];
        if (len > 0) {
            iovecs.setPointer(0, buffer);
            iovecs.setLong(8, len);
            iovecs.setLong(16, address);
            iovecs.setLong(24, len);
            long n;
            try {
                reads++;
                n = process_vm_readv(pid, iovecs, 1, iovecs.share(16), 1, 0);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ESRCH) {
                    throw new ProcessGoneException(pid);
                }
                if (e.getErrorCode() == EPERM) {
                    throw new ProcessGoneException(pid, "no permission to read its memory (EPERM)");
                }
                // EFAULT and friends: the pointer we followed was stale.
                throw new RaceException("read 0x" + Long.toHexString(address) + ": errno " + e.getErrorCode());
            }
            if (n != len) {
                throw new RaceException("short read at 0x" + Long.toHexString(address));
            }
            buffer.read(0, out, 0, len);
        }
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    }

    long readLong(long address) throws ProcessGoneException {
        return read(address, 8).getLong(0);
    }

    int readInt(long address) throws ProcessGoneException {
        return read(address, 4).getInt(0);
    }

    @Override
    public void close() {
        buffer.close();
        iovecs.close();
    }
}
