package io.github.dgpo.train.run;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line console progress bar on stderr: step, loss, accuracy, seconds per step and ETA.
 * Without a console (CI, redirected output) it prints a plain line at each update instead.
 */
final class ProgressBar {

    private final PrintStream out;
    private final int total;
    private final boolean interactive;
    private final long started = System.nanoTime();
    private final int firstStep;

    ProgressBar(PrintStream out, int total, int firstStep, boolean enabled) {
        this.out = enabled ? out : null;
        this.total = total;
        this.firstStep = firstStep;
        this.interactive = System.console() != null;
    }

    void update(int step, double loss, double accuracy) {
        if (out == null) {
            return;
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        double perStep = elapsed / Math.max(1, step - firstStep);
        long eta = Math.round(perStep * (total - step));
        int width = 24;
        int filled = (int) Math.round(width * step / (double) total);
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        String line = String.format(Locale.ROOT, "[%s] step %d/%d | loss %.4f | acc %.2f | %.2f s/step | ETA %02d:%02d",
                bar, step, total, loss, accuracy, perStep, eta / 60, eta % 60);
        if (interactive) {
            out.print("\r" + line);
            if (step == total) {
                out.println();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }
}
