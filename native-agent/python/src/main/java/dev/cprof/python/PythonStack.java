package dev.cprof.python;

import java.util.List;

/** The Python stack of one thread at one moment, root (outermost call) first. */
public record PythonStack(long nativeThreadId, List<PythonFrame> frames) {}
