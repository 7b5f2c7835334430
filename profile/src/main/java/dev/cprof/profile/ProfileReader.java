package dev.cprof.profile;

import java.io.IOException;
import java.io.InputStream;

/** Reads a profile in one format; malformed input is a {@link ProfileFormatException}. */
public interface ProfileReader {
    Profile read(InputStream in, String sourceName) throws IOException;
}
