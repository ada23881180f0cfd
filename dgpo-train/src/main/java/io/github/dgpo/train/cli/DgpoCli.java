package io.github.dgpo.train.cli;

import io.github.dgpo.core.OfflineEngine;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code dgpo} command line: {@code java -jar dgpo.jar <command>}. An error ends as one
 * {@code error:} line and no stack trace: exit code {@value #USER_ERROR} for a problem with what
 * the user gave (see {@link UserErrors}), 1 for anything else; {@code --debug} (before or after
 * the command name) adds the stack trace.
 */
@Command(
        name = "dgpo",
        mixinStandardHelpOptions = true,
        versionProvider = DgpoCli.Version.class,
        description = "Preference alignment of language models on DJL (DGPO and the margin-based family).",
        subcommands = {TrainCommand.class, EvalCommand.class, GenerateCommand.class, ScoreCommand.class, MarginCommand.class, DataCommand.class, PlotCommand.class, BenchCommand.class,
                MergeCommand.class, PlanCommand.class})
public final class DgpoCli implements Runnable {

    /** Exit code of a run refused for its input. */
    public static final int USER_ERROR = 2;

    /** Exit code of an unexpected failure. */
    public static final int INTERNAL_ERROR = 1;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "print the stack trace of an error")
    boolean debug;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Runs the CLI and exits with its code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * Runs the CLI in this JVM (tests call this).
     *
     * @param args the command line
     * @return the exit code
     */
    public static int execute(String... args) {
        return execute(
                new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true),
                new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true),
                args);
    }

    /**
     * Runs the CLI with the given output and error writers.
     *
     * @param out standard output
     * @param err standard error
     * @param args the command line
     * @return the exit code
     */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        OfflineEngine.configure();
        CommandLine cli = new CommandLine(new DgpoCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(
                (e, commandLine, parseResult) -> {
                    PrintWriter errors = commandLine.getErr();
                    boolean user = UserErrors.isUserError(e);
                    errors.println("error: " + (user ? UserErrors.message(e)
                            : "unexpected " + e.getClass().getSimpleName() + ": " + UserErrors.message(e) + " (run again with --debug and report the output)"));
                    if (debugRequested(parseResult)) {
                        e.printStackTrace(errors);
                    }
                    errors.flush();
                    return user ? USER_ERROR : INTERNAL_ERROR;
                });
        try {
            return cli.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static boolean debugRequested(CommandLine.ParseResult result) {
        for (CommandLine.ParseResult r = result; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption("--debug")) {
                return true;
            }
        }
        return false;
    }

    /** Reports the project version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = DgpoCli.class.getPackage().getImplementationVersion();
            return new String[] {"dgpo " + (v == null ? "(development)" : v)};
        }
    }
}
