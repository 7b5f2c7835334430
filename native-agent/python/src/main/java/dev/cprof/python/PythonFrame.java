package dev.cprof.python;

/**
 * One Python frame as read from the target.
 *
 * @param line the line executing in this frame, or {@code firstLine} when the location table
 *        does not say
 */
public record PythonFrame(String qualname, String filename, int firstLine, int line) {

    /** Module from the file stem: "/srv/job/etl.py" → "etl"; "&lt;frozen os&gt;" stays as is. */
    public String module() {
        String base = baseName();
        return base.endsWith(".py") ? base.substring(0, base.length() - 3) : base;
    }

    public String baseName() {
        return filename.substring(filename.lastIndexOf('/') + 1);
    }

    /** "module.qualname (file.py)": the frame name on the wire; the line travels separately. */
    public String displayName() {
        return module() + "." + qualname + " (" + baseName() + ")";
    }
}
