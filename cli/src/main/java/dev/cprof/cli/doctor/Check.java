package dev.cprof.cli.doctor;

import java.util.List;

/**
 * One check of {@code cprof doctor}. It reads files and runs small tools only; what it throws
 * becomes a warn line under its {@link #name()} (see {@link Report#run}).
 */
public interface Check {
    /** The name of its lines. */
    String name();

    /** Its lines: one for most checks, one per JDK for jdk, up to three for zookeeper. */
    List<Result> run() throws Exception;

    /** A check of one line. */
    interface Single extends Check {
        Result result() throws Exception;

        @Override
        default List<Result> run() throws Exception {
            return List.of(result());
        }
    }
}
