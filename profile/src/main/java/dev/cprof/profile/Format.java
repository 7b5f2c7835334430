package dev.cprof.profile;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;

/** The output and input formats, chosen by file extension or by name. */
public enum Format {
    COLLAPSED("collapsed", new CollapsedFormat(), new CollapsedFormat(), ".collapsed", ".txt"),
    HTML("html", new HtmlWriter(), null, ".html", ".htm"),
    SVG("svg", new SvgWriter(), null, ".svg"),
    PPROF("pprof", new PprofWriter(), new PprofReader(), ".pb.gz", ".pprof"),
    SPEEDSCOPE("speedscope", new SpeedscopeWriter(), null, ".json"),
    OTLP("otlp", new OtlpWriter(), null, ".otlp.pb"),
    CPROF("cprof", new CprofFormat(), new CprofFormat(), ".cprof");

    public final String formatName;
    private final ProfileWriter writer;
    private final ProfileReader reader;
    private final String[] extensions;

    Format(String name, ProfileWriter writer, ProfileReader reader, String... extensions) {
        this.formatName = name;
        this.writer = writer;
        this.reader = reader;
        this.extensions = extensions;
    }

    public static Format byName(String name) {
        for (Format f : values()) {
            if (f.formatName.equals(name.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown format '" + name + "' (expected one of " + names() + ")");
    }

    /** The format of a file name by its extension. */
    public static Format byFileName(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        for (Format f : values()) {
            for (String ext : f.extensions) {
                if (lower.endsWith(ext)) {
                    return f;
                }
            }
        }
        throw new IllegalArgumentException("cannot tell the format of '" + fileName
                + "' from its extension (use .collapsed, .txt, .html, .svg, .pb.gz, .pprof, .json, .otlp.pb or .cprof, or --format)");
    }

    public static String names() {
        StringBuilder sb = new StringBuilder();
        for (Format f : values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(f.formatName);
        }
        return sb.toString();
    }

    public boolean canRead() {
        return reader != null;
    }

    public void write(Profile profile, OutputStream out, WriteOptions options) throws IOException {
        writer.write(profile, out, options);
    }

    public Profile read(InputStream in, String sourceName) throws IOException {
        if (reader == null) {
            throw new ProfileFormatException(sourceName + ": cprof cannot read " + formatName + " files (it reads collapsed, pprof and cprof)");
        }
        return reader.read(in, sourceName);
    }
}
