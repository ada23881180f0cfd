package io.github.dgpo.train;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import io.github.dgpo.train.cli.DgpoCli;

/** The repository's bundled files and an in-process CLI runner, for dgpo-train's tests. */
public final class TestRepo {

    private TestRepo() {}

    /**
     * Resolves a path under the repository root (the nearest folder upwards that has it).
     *
     * @param relative e.g. {@code tokenizers/mistral}
     * @return the path
     */
    public static Path path(String relative) {
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve(relative))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no " + relative + " above " + Paths.get("").toAbsolutePath());
        }
        return dir.resolve(relative);
    }

    /**
     * What a CLI run printed.
     *
     * @param code exit code
     * @param out standard output
     * @param err standard error
     */
    public record Run(int code, String out, String err) {}

    /**
     * Runs the CLI in this JVM.
     *
     * @param args the command line
     * @return exit code and output
     */
    public static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = DgpoCli.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }
}
