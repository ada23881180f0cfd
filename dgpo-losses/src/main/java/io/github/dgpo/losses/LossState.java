package io.github.dgpo.losses;

import java.util.Map;

/**
 * State a loss carries from one batch to the next (such as BCO's running mean of rewards), so
 * that a trainer can save it in checkpoints (a resumed run continues it exactly) and save and
 * restore it around evaluation (evaluating does not change it). Obtained from {@link
 * PreferenceLoss#state()}.
 */
public interface LossState {

    /**
     * Returns the state as named numbers.
     *
     * @return a snapshot (later batches do not change it)
     */
    Map<String, Double> save();

    /**
     * Replaces the state with a snapshot from {@link #save()}.
     *
     * @param saved the snapshot
     * @throws IllegalArgumentException naming a missing, unknown or invalid entry
     */
    void restore(Map<String, Double> saved);
}
