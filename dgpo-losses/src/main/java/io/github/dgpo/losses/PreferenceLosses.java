package io.github.dgpo.losses;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Creates any loss by name with a map of hyperparameters, the names configs and the CLI use: the
 * DGPO paper's nine ({@code dgpo}, {@code dpo}, {@code ipo}, {@code cpo}, {@code kto}, {@code
 * rrhf}, {@code slic-hf}, {@code orpo}, {@code simpo}), {@code sft}, and TRL's other {@code
 * DPOTrainer} loss types ({@code hinge}, {@code robust}, {@code exo-pair}, {@code nca-pair},
 * {@code bco-pair}, {@code sppo-hard}, {@code apo-zero}, {@code apo-down}, {@code discopop},
 * {@code sigmoid-norm}, {@code aot}, {@code aot-unpaired}), and DGPO's exact divergence-gap
 * objective {@code dgpo-kl}; a list of names makes a {@link
 * LossMixture}, and {@code use_weighting = true} wraps the result in {@link WpoWeightedLoss}.
 */
public final class PreferenceLosses {

    /** The WPO switch, accepted with every loss. */
    public static final String USE_WEIGHTING = "use_weighting";

    private static final Map<String, Function<Hyperparameters, PreferenceLoss>> LOSSES =
            new LinkedHashMap<>();

    static {
        LOSSES.put("dgpo", DgpoLoss::new);
        LOSSES.put("dpo", DpoLoss::new);
        LOSSES.put("ipo", IpoLoss::new);
        LOSSES.put("cpo", CpoLoss::new);
        LOSSES.put("kto", KtoLoss::new);
        LOSSES.put("rrhf", RrhfLoss::new);
        LOSSES.put("slic-hf", SlicHfLoss::new);
        LOSSES.put("orpo", OrpoLoss::new);
        LOSSES.put("simpo", SimPoLoss::new);
        LOSSES.put("sft", SftLoss::new);
        LOSSES.put("hinge", HingeLoss::new);
        LOSSES.put("robust", RobustDpoLoss::new);
        LOSSES.put("exo-pair", ExoPairLoss::new);
        LOSSES.put("nca-pair", NcaPairLoss::new);
        LOSSES.put("bco-pair", BcoPairLoss::new);
        LOSSES.put("sppo-hard", SppoHardLoss::new);
        LOSSES.put("apo-zero", ApoZeroLoss::new);
        LOSSES.put("apo-down", ApoDownLoss::new);
        LOSSES.put("discopop", DiscoPopLoss::new);
        LOSSES.put("sigmoid-norm", SigmoidNormLoss::new);
        LOSSES.put("aot", AotLoss::new);
        LOSSES.put("aot-unpaired", AotUnpairedLoss::new);
        LOSSES.put("dgpo-kl", DgpoKlLoss::new);
    }

    /** The nine losses the DGPO paper compares, in the order of its tables. */
    public static final java.util.List<String> PAPER_LOSSES = java.util.List.of("dgpo", "dpo", "ipo", "cpo", "kto", "rrhf", "slic-hf", "orpo", "simpo");

    private PreferenceLosses() {}

    /**
     * Returns the valid loss names: the DGPO paper's nine in the order of its tables, then the
     * others.
     *
     * @return the names
     */
    public static Set<String> names() {
        return Collections.unmodifiableSet(LOSSES.keySet());
    }

    /**
     * Creates a loss with its defaults.
     *
     * @param name the loss's name
     * @return the loss
     */
    public static PreferenceLoss create(String name) {
        return create(name, Map.of());
    }

    /**
     * Creates a loss.
     *
     * @param name the loss's name
     * @param hyperparameters config names to values (numbers, booleans or their text); {@code
     *     use_weighting} is accepted with every loss
     * @return the loss
     * @throws IllegalArgumentException for an unknown name (listing the valid ones), an
     *     unknown hyperparameter (listing the loss's valid ones) or an out-of-range value
     */
    public static PreferenceLoss create(String name, Map<String, ?> hyperparameters) {
        return create(List.of(name), null, hyperparameters);
    }

    /**
     * Creates a loss or a weighted mixture of losses (TRL's {@code loss_type} list and {@code
     * loss_weights}). Hyperparameters are shared by name: a given value applies to every term that
     * reads it, and a name no term reads is refused. A name read by several terms whose defaults
     * differ (DPO's β is 0.01, BCO's 0.1) must be given, so that the mixture has one value as in
     * TRL. {@code use_weighting = true} weights every term (WPO). A single name with weight 1 is
     * that loss itself.
     *
     * @param names the losses, distinct, at least one
     * @param weights one weight {@code >= 0} per loss, or null or empty for 1 each
     * @param hyperparameters config names to values, shared by the terms
     * @return the loss
     * @throws IllegalArgumentException for an unknown or repeated name, mismatched list lengths,
     *     a negative weight, an unknown or conflicting hyperparameter or an out-of-range value
     */
    public static PreferenceLoss create(List<String> names, List<Double> weights, Map<String, ?> hyperparameters) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no loss given; valid: " + String.join(", ", LOSSES.keySet()));
        }
        if (new HashSet<>(names).size() != names.size()) {
            throw new IllegalArgumentException("loss_type lists a loss twice: " + names);
        }
        List<Double> w = weights(names, weights);
        Map<String, Object> given = new LinkedHashMap<>(hyperparameters);
        boolean weighting = useWeighting(given.remove(USE_WEIGHTING));
        List<PreferenceLoss> terms = new ArrayList<>();
        List<Hyperparameters> read = new ArrayList<>();
        for (String name : names) {
            Function<Hyperparameters, PreferenceLoss> factory = LOSSES.get(name);
            if (factory == null) {
                throw new IllegalArgumentException(
                        "unknown loss '" + name + "'; valid: " + String.join(", ", LOSSES.keySet()));
            }
            Hyperparameters hp = new Hyperparameters(given);
            try {
                terms.add(factory.apply(hp));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("loss '" + name + "': " + e.getMessage(), e);
            }
            read.add(hp);
        }
        PreferenceLoss loss;
        if (names.size() == 1) {
            read.get(0).rejectUnknown(names.get(0));
            loss = w.get(0) == 1 ? terms.get(0) : new LossMixture(terms, w);
        } else {
            checkShared(names, terms, given);
            loss = new LossMixture(terms, w);
        }
        return weighting ? new WpoWeightedLoss(loss) : loss;
    }

    private static List<Double> weights(List<String> names, List<Double> weights) {
        if (weights == null || weights.isEmpty()) {
            return Collections.nCopies(names.size(), 1.0);
        }
        if (weights.size() != names.size()) {
            throw new IllegalArgumentException("loss_weights has " + weights.size() + " value" + (weights.size() == 1 ? "" : "s")
                    + " for " + names.size() + " loss types " + names + "; give one weight per loss");
        }
        for (int k = 0; k < weights.size(); k++) {
            Double v = weights.get(k);
            if (v == null || !Double.isFinite(v) || v < 0) {
                throw new IllegalArgumentException("loss_weights[" + k + "] (for '" + names.get(k) + "') must be a finite number >= 0, got " + v);
            }
        }
        return List.copyOf(weights);
    }

    private static boolean useWeighting(Object raw) {
        return raw != null && new Hyperparameters(Map.of(USE_WEIGHTING, raw)).flag(USE_WEIGHTING, false);
    }

    /** Every given name is read by some term; names several terms read without a value agree. */
    private static void checkShared(List<String> names, List<PreferenceLoss> terms, Map<String, Object> given) {
        Set<String> valid = new LinkedHashSet<>();
        terms.forEach(t -> valid.addAll(t.hyperparameters().keySet()));
        Set<String> unknown = new TreeSet<>(given.keySet());
        unknown.removeAll(valid);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown hyperparameter" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + " for losses " + String.join(", ", names) + "; valid: " + (valid.isEmpty() ? "(none)" : String.join(", ", valid)));
        }
        for (String key : valid) {
            if (given.get(key) != null) {
                continue;
            }
            Map<String, Object> defaults = new LinkedHashMap<>();
            for (PreferenceLoss t : terms) {
                if (t.hyperparameters().containsKey(key)) {
                    defaults.put(t.name(), t.hyperparameters().get(key));
                }
            }
            if (new HashSet<>(defaults.values()).size() > 1) {
                StringBuilder which = new StringBuilder();
                defaults.forEach((n, v) -> which.append(which.length() == 0 ? "" : ", ").append(n).append(' ').append(Objects.toString(v)));
                throw new IllegalArgumentException("hyperparameter " + key + " is shared by the losses of the mixture but their defaults differ ("
                        + which + "); give it explicitly");
            }
        }
    }
}
