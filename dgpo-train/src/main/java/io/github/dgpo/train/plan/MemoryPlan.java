package io.github.dgpo.train.plan;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A predicted peak memory: the bytes alive at the predicted peak, by component, and the phase of
 * the step in which the peak falls.
 *
 * @param components bytes by component, in the order of {@link #COMPONENTS}
 * @param phase where the peak falls: {@code forward}, {@code head}, {@code backward}, {@code
 *     optimizer}, {@code reference} (precomputing reference log-probabilities) or {@code eval}
 * @param notes what the prediction assumed (rows, width, checkpointing, reference kind...)
 */
public record MemoryPlan(Map<String, Long> components, String phase, Map<String, Object> notes) {

    /** The components, in report order. */
    public static final String[] COMPONENTS = {"weights", "trainable", "gradients", "optimizer", "reference", "activations", "head", "runtime"};

    /** Copies the maps. */
    public MemoryPlan {
        components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
        notes = Collections.unmodifiableMap(new LinkedHashMap<>(notes));
    }

    /**
     * Returns the predicted peak.
     *
     * @return the sum of the components, in bytes
     */
    public long totalBytes() {
        return components.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Returns whether the peak fits a device.
     *
     * @param deviceBytes the device's memory
     * @return true when the peak is at most that
     */
    public boolean fits(long deviceBytes) {
        return totalBytes() <= deviceBytes;
    }
}
