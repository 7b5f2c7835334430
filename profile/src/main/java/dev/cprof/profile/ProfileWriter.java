package dev.cprof.profile;

import java.io.IOException;
import java.io.OutputStream;

/** Writes a profile in one format. One class per format. */
public interface ProfileWriter {
    void write(Profile profile, OutputStream out, WriteOptions options) throws IOException;
}
