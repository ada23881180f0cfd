package io.github.dgpo.train.run;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line console progress bar on stderr: step, loss, accuracy, seconds per step and ETA.
 * Without a console (CI, redirected output) it prints a plain line at each update instead. The
 * accuracy shown is the last step's.
 */
final class ProgressBar implements TrainingListener {

    private final PrintStream out;
    private final boolean interactive;
    private long started;
    private int total;
    private int firstStep;
    private double accuracy = Double.NaN;

    ProgressBar(PrintStream out, boolean enabled) {
        this.out = enabled ? out : null;
        this.interactive = System.console() != null;
    }

    @Override
    public void onTrainingBegin(RunContext run) {
        total = run.totalSteps();
        firstStep = run.firstStep();
        started = System.nanoTime();
    }

    @Override
    public void onStepEnd(StepRecord step) {
        double sum = 0;
        double n = 0;
        for (MicroBatch m : step.micro()) {
            Double a = m.metrics().get("rewards/accuracies");
            if (a != null && Double.isFinite(a)) {
                sum += a * m.examples();
                n += m.examples();
            }
        }
        accuracy = n == 0 ? accuracy : sum / n;
        update(step.step(), step.loss(), accuracy);
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
