/**
 * Out-of-process sampling of CPython 3.11–3.13 stacks, for the Python children of profiled
 * JVMs (PySpark workers). Read-only: {@code process_vm_readv} through JNA, never ptrace, the
 * target never stops.
 *
 * <ul>
 *   <li>{@link dev.cprof.python.PythonChildren}: which Python processes descend from
 *       a JVM, and which are new since the last look.</li>
 *   <li>{@link dev.cprof.python.PythonSampler}: samples a set of pids on one thread and
 *       hands out one wire {@code Batch} per pid per flush.</li>
 *   <li>{@link dev.cprof.python.PythonProcess}: one process, one snapshot of stacks;
 *       the reader the sampler is built on.</li>
 * </ul>
 *
 * Inside: {@code ProcMaps} and {@code ElfSymbols} locate {@code _PyRuntime} (load bias of the
 * python binary or libpython), {@code PyOffsets} knows the struct layouts (tables for 3.11/3.12,
 * {@code _Py_DebugOffsets} for 3.13), {@code RemoteMemory} reads, {@code LineTable} decodes
 * {@code co_linetable}.
 */
package dev.cprof.python;
