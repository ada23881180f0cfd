package io.github.dgpo.train.run;

import io.github.dgpo.core.util.ProcessMemory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes {@code metrics.jsonl}: every {@code logging_steps} updates (and at the last) one line
 * with the window's mean metrics, gradient norm, learning rate, throughput and peak memory; after
 * each evaluation one line of {@code eval_} metrics.
 */
final class MetricsFileListener implements TrainingListener, AutoCloseable {

    private final MetricsLog log;
    private final int loggingSteps;
    private final MetricsWindow window = new MetricsWindow();
    private int stepsPerEpoch = 1;
    private int totalSteps;
    private double gradNorms;
    private int steps;
    private long tokens;
    private long windowStart = System.nanoTime();

    /**
     * Opens the run's metrics file for appending.
     *
     * @param runDir the run folder
     * @param loggingSteps updates per line
     * @throws IOException if the file cannot be opened
     */
    MetricsFileListener(Path runDir, int loggingSteps) throws IOException {
        this.log = new MetricsLog(runDir);
        this.loggingSteps = loggingSteps;
    }

    @Override
    public void onTrainingBegin(RunContext run) {
        stepsPerEpoch = run.stepsPerEpoch();
        totalSteps = run.totalSteps();
    }

    @Override
    public void onStepEnd(StepRecord step) {
        for (MicroBatch m : step.micro()) {
            window.add(m.metrics(), m.examples());
            tokens += m.tokens().logical();
        }
        if (!step.skipped()) {
            gradNorms += step.gradNorm();
            steps++;
        }
        if (step.step() % loggingSteps != 0 && step.step() != totalSteps) {
            return;
        }
        Map<String, Object> line = fields(step.step());
        Map<String, Double> means = window.means();
        line.putAll(means);
        line.put("grad_norm", steps == 0 ? Double.NaN : gradNorms / steps);
        line.put("learning_rate", step.learningRate());
        line.put("tokens_per_second", tokens / Math.max((System.nanoTime() - windowStart) / 1e9, 1e-9));
        line.put("peak_rss_mb", ProcessMemory.peakMb());
        line.put("skipped_steps", step.skippedSteps());
        write(line);
        window.clear();
        gradNorms = 0;
        steps = 0;
        tokens = 0;
        windowStart = System.nanoTime();
    }

    @Override
    public void onEvaluation(int step, Evaluation evaluation) {
        Map<String, Object> line = fields(step);
        evaluation.metrics().forEach((k, v) -> line.put("eval_" + k, v));
        line.put("eval_" + evaluation.countKey(), evaluation.count());
        write(line);
    }

    /**
     * Writes a line of other metrics after the step and epoch fields.
     *
     * @param step the step
     * @param metrics the values
     */
    void writeLine(int step, Map<String, ?> metrics) {
        Map<String, Object> line = fields(step);
        line.putAll(metrics);
        write(line);
    }

    private Map<String, Object> fields(int step) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("step", step);
        line.put("epoch", step / (double) stepsPerEpoch);
        return line;
    }

    private void write(Map<String, Object> line) {
        log.write(line);
    }

    @Override
    public void close() {
        try {
            log.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
