package io.github.dgpo.losses;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Creates any loss by name with a map of hyperparameters, the names configs and the CLI use:
 * {@code dgpo}, {@code dpo}, {@code ipo}, {@code cpo}, {@code kto}, {@code rrhf}, {@code
 * slic-hf}, {@code orpo}, {@code simpo}.
 */
public final class PreferenceLosses {

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
     * @param hyperparameters config names to values (numbers, booleans or their text)
     * @return the loss
     * @throws IllegalArgumentException for an unknown name (listing the valid ones), an
     *     unknown hyperparameter (listing the loss's valid ones) or an out-of-range value
     */
    public static PreferenceLoss create(String name, Map<String, ?> hyperparameters) {
        Function<Hyperparameters, PreferenceLoss> factory = LOSSES.get(name);
        if (factory == null) {
            throw new IllegalArgumentException(
                    "unknown loss '" + name + "'; valid: " + String.join(", ", LOSSES.keySet()));
        }
        Hyperparameters hp = new Hyperparameters(hyperparameters);
        PreferenceLoss loss;
        try {
            loss = factory.apply(hp);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("loss '" + name + "': " + e.getMessage(), e);
        }
        hp.rejectUnknown(name);
        return loss;
    }
}
