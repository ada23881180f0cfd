package io.github.dgpo.core.model;

import java.util.ArrayList;
import java.util.List;

/**
 * A LoRA adapter's settings, as PEFT names them: rank {@code r}, {@code lora_alpha}, {@code
 * lora_dropout}, the adapted projections ({@code target_modules}, or {@code all-linear} for all
 * seven) and {@code use_rslora}. The adapter adds {@code s·B·A·dropout(x)} to a projection's
 * output, {@code s = alpha / r}, or {@code alpha / √r} with rsLoRA.
 *
 * @param r the rank
 * @param alpha the scaling numerator
 * @param dropout drop probability of the adapter's input while training
 * @param targetModules adapted projections, a sublist of {@link #MODULES} in its order
 * @param useRslora whether the scaling divides by {@code √r}
 */
public record LoraConfig(int r, double alpha, double dropout, List<String> targetModules, boolean useRslora) {

    /** The projections an adapter can target, in layer order (their index seeds dropout). */
    public static final List<String> MODULES = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /** The {@code target_modules} value meaning every projection of {@link #MODULES}. */
    public static final String ALL_LINEAR = "all-linear";

    /** PEFT's and TRL's usual defaults: r 16, alpha 32, dropout 0.05, all projections, no rsLoRA. */
    public static final LoraConfig DEFAULT = of(16, 32, 0.05, List.of(ALL_LINEAR), false);

    /** Validates the values. */
    public LoraConfig {
        if (r <= 0) {
            throw new IllegalArgumentException("lora_r must be > 0, got " + r);
        }
        if (!(alpha > 0)) {
            throw new IllegalArgumentException("lora_alpha must be > 0, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        }
        if (targetModules.isEmpty()) {
            throw new IllegalArgumentException("lora_target_modules is empty");
        }
        for (String m : targetModules) {
            if (!MODULES.contains(m)) {
                throw new IllegalArgumentException("lora_target_modules: unknown module '" + m + "'; valid: " + String.join(", ", MODULES) + " or " + ALL_LINEAR);
            }
        }
        targetModules = List.copyOf(targetModules);
    }

    /**
     * Creates a config, expanding {@code all-linear} and putting the modules in layer order.
     *
     * @param r the rank
     * @param alpha the scaling numerator
     * @param dropout the adapter input's drop probability
     * @param targets module names and/or {@code all-linear}
     * @param useRslora whether the scaling divides by {@code √r}
     * @return the config
     */
    public static LoraConfig of(int r, double alpha, double dropout, List<String> targets, boolean useRslora) {
        List<String> modules = new ArrayList<>();
        for (String m : MODULES) {
            if (targets.contains(ALL_LINEAR) || targets.contains(m)) {
                modules.add(m);
            }
        }
        for (String t : targets) {
            if (!t.equals(ALL_LINEAR) && !MODULES.contains(t)) {
                modules.add(t);
            }
        }
        return new LoraConfig(r, alpha, dropout, modules, useRslora);
    }

    /**
     * The output scaling of a module of rank {@code rank} with numerator {@code alpha}.
     *
     * @param rank the rank
     * @param alpha the numerator
     * @param useRslora whether to divide by {@code √rank}
     * @return {@code alpha / rank} or {@code alpha / √rank}
     */
    public static double scaling(int rank, double alpha, boolean useRslora) {
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /**
     * Returns this config's scaling.
     *
     * @return {@code alpha / r} or {@code alpha / √r}
     */
    public double scaling() {
        return scaling(r, alpha, useRslora);
    }
}
