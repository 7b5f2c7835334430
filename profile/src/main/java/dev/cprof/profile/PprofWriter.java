package dev.cprof.profile;

import java.io.IOException;
import java.io.OutputStream;

// SCAFFOLD: being written now; must not be committed as is.
final class PprofWriter implements ProfileWriter {
    @Override
    public void write(Profile profile, OutputStream out, WriteOptions options) throws IOException {
        throw new UnsupportedOperationException("PprofWriter");
    }
}
