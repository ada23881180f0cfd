package io.github.dgpo.examples.repro;

import java.util.List;

/**
 * How big the study is: {@link #FULL} runs what {@code configs/repro/*.yaml} say (about an hour
 * of one CPU core), {@link #TINY} the same stages with a few steps on tiny models (CI's check that
 * the study still runs).
 *
 * @param name {@code full} or {@code tiny}
 * @param seeds seeds of the nine-loss comparison
 * @param sweepSeeds seeds of the β sweep, the {@code dgpo-kl} ablation and the low-similarity control
 * @param benchWarmup untimed steps of each benchmark
 * @param benchSteps timed steps of each benchmark
 * @param benchRepeats measurements of each loss, interleaved
 * @param controlled the controlled task's sizes
 * @param hh the HH-RLHF subset's sizes
 */
public record StudyScale(String name, List<Long> seeds, List<Long> sweepSeeds, int benchWarmup, int benchSteps, int benchRepeats, Sizes controlled, Sizes hh) {

    /**
     * One dataset's sizes.
     *
     * @param trainPairs training pairs
     * @param evalPairs held-out pairs
     * @param sftOverrides {@code key=value} overrides of the SFT config (empty: the config as it is)
     * @param prefOverrides overrides of the preference config
     * @param sweeps whether to run the β sweep, the {@code dgpo-kl} ablation and the low-similarity control
     * @param bench whether to run the benchmark (each measurement starts a JVM)
     */
    public record Sizes(int trainPairs, int evalPairs, List<String> sftOverrides, List<String> prefOverrides, boolean sweeps, boolean bench) {}

    /** The study as documented: the configs' sizes, three seeds. */
    public static final StudyScale FULL = new StudyScale("full", List.of(42L, 43L, 44L), List.of(42L, 43L, 44L), 2, 10, 2,
            new Sizes(512, 128, List.of(), List.of(), true, true),
            new Sizes(128, 64, List.of(), List.of(), true, true));

    private static final List<String> TINY_MODEL = List.of("random_model.hidden_size=16", "random_model.intermediate_size=32", "random_model.num_hidden_layers=1",
            "random_model.num_attention_heads=2", "random_model.num_key_value_heads=2", "random_model.head_dim=8");

    /**
     * A few steps per stage on one-layer, 16-wide models, one seed; on HH-RLHF (its 32,000-token
     * vocabulary makes each run slower) only SFT and the nine losses, and the benchmark on the
     * controlled task only.
     */
    public static final StudyScale TINY = new StudyScale("tiny", List.of(42L), List.of(42L), 0, 1, 1,
            new Sizes(32, 16, with(TINY_MODEL, "max_steps=4", "per_device_train_batch_size=8", "eval_steps=2", "logging_steps=2", "probe_pairs=32"),
                    List.of("max_steps=2", "per_device_train_batch_size=8", "eval_steps=1", "logging_steps=1", "probe_pairs=32", "entanglement_pairs=2"), true, true),
            new Sizes(8, 4, with(TINY_MODEL, "max_steps=2", "per_device_train_batch_size=4", "eval_steps=1", "logging_steps=1", "probe_pairs=8"),
                    List.of("max_steps=2", "per_device_train_batch_size=4", "eval_steps=1", "logging_steps=1", "probe_pairs=8", "entanglement_pairs=2"), false, false));

    /**
     * The scale of a name.
     *
     * @param name {@code full} or {@code tiny}
     * @return the scale
     * @throws IllegalArgumentException for another name
     */
    public static StudyScale of(String name) {
        return switch (name) {
            case "full" -> FULL;
            case "tiny" -> TINY;
            default -> throw new IllegalArgumentException("--scale must be full or tiny, got '" + name + "'");
        };
    }

    private static List<String> with(List<String> base, String... more) {
        List<String> out = new java.util.ArrayList<>(base);
        out.addAll(List.of(more));
        return List.copyOf(out);
    }
}
