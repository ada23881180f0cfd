package io.github.dgpo.losses;

import java.util.Map;

/**
 * A margin-based preference loss in the DGPO paper's form {@code L = -m(h_w(a,b) - h_l(a,b))
 * - Λ(a)} over sequence log-probabilities.
 *
 * <p>{@code a} and {@code b} are the policy's chosen and rejected log-probabilities under the
 * loss's {@link #reduction()}; {@code z = h_w - h_l} is the margin. Besides the loss, every
 * implementation gives the exact closed-form {@code d_w = -∂L/∂S_w} and {@code d_l =
 * ∂L/∂S_l} per pair with respect to the sums, so that gradient descent moves {@code log π_w}
 * along {@code +d_w} and {@code log π_l} along {@code -d_l} (DGPO paper Eq. 4-5).
 *
 * <p>Implementations are created by name through {@link PreferenceLosses#create}.
 */
public interface PreferenceLoss {

    /**
     * Returns the loss's name as used in configs and the CLI ({@code dgpo}, {@code dpo}, ...).
     *
     * @return the name
     */
    String name();

    /**
     * Returns the reduction the margin reads ({@code a}, {@code b}).
     *
     * @return sum or per-token average
     */
    Reduction reduction();

    /**
     * Returns whether the loss reads reference log-probabilities.
     *
     * @return true when {@link PairLogps#refChosenSum()} and {@link
     *     PairLogps#refRejectedSum()} must be present
     */
    boolean requiresReference();

    /**
     * Returns the effective hyperparameters (defaults filled in), under their config names.
     *
     * @return an ordered, unmodifiable map
     */
    Map<String, Object> hyperparameters();

    /**
     * Computes per-pair and batch losses, margins, {@code d_w}, {@code d_l} and metrics.
     *
     * <p>Metrics (means over the batch): {@code loss}, {@code logps/chosen}, {@code
     * logps/rejected} (sums), {@code logps_avg/chosen}, {@code logps_avg/rejected}, {@code
     * rewards/chosen} and {@code rewards/rejected} ({@code scale·(a - a_ref)}, with {@code
     * a_ref = 0} without a reference and {@code scale} the loss's β or 1), {@code
     * rewards/margins} (mean {@code z}), {@code rewards/accuracies} (fraction of pairs with
     * {@code z > 0}), {@code d_w}, {@code d_l}, and {@code d_w/d_l} (ratio of the two means;
     * NaN when the mean {@code d_l} is 0). Some losses add their own.
     *
     * @param logps the batch's sequence log-probabilities
     * @return the loss and its diagnostics
     */
    LossOutput compute(PairLogps logps);
}
