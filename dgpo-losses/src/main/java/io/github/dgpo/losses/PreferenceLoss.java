package io.github.dgpo.losses;

import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.DoubleBinaryOperator;
import java.util.function.Supplier;

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
 * <p>Implementations are created by name through {@link PreferenceLosses#create}. A trainer, a
 * config reader or the CLI learns what a loss needs from its capability methods ({@link
 * #inputs()}, {@link #batchDependent()}, {@link #unpaired()}, {@link #diagnostics()}, {@link
 * #fromSumsOnly()}, {@link #state()}), never from its name, so a new loss needs no change outside
 * this module.
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

    /**
     * Returns what the loss reads beyond the policy's sums and counts; the trainer computes
     * exactly these.
     *
     * @return the extra inputs ({@link LossInput#REFERENCE} when {@link #requiresReference()})
     */
    default Set<LossInput> inputs() {
        return requiresReference() ? EnumSet.of(LossInput.REFERENCE) : EnumSet.noneOf(LossInput.class);
    }

    /**
     * Returns whether a pair's loss depends on the other pairs of its batch (a batch statistic
     * such as KTO's estimated {@code z0}, or sorting within the batch). Such a loss sees the whole
     * batch before any gradient is formed, and {@code dgpo margin} treats all its input rows as
     * one batch. For a batch-dependent loss {@link LossOutput#dW()} is {@code -B·∂L/∂S_w,i} with
     * {@code L} the batch mean, which for a per-pair loss is the per-pair value.
     *
     * @return false for losses computed pair by pair
     */
    default boolean batchDependent() {
        return false;
    }

    /**
     * Returns the loss's form for unpaired examples (KTO's native data), if it has one.
     *
     * @return the unpaired form, or empty when the loss trains on pairs only
     */
    default Optional<UnpairedLoss> unpaired() {
        return Optional.empty();
    }

    /**
     * Returns named per-pair diagnostics of the loss's own {@code (a, b)} beyond the exact
     * {@code d_w/d_l}, such as DGPO's Eq. 12-13 ratio ({@code "paper"}); {@code dgpo margin
     * --heatmap-ratio NAME} draws them.
     *
     * @return diagnostics by name (empty by default)
     */
    default Map<String, DoubleBinaryOperator> diagnostics() {
        return Map.of();
    }

    /**
     * Returns the state the loss carries across batches (such as {@code bco-pair}'s running mean
     * with {@code bco_running_mean}), which a trainer saves in checkpoints and saves and restores
     * around evaluation.
     *
     * @return the state, or empty for a loss whose batches are independent (the default)
     */
    default Optional<LossState> state() {
        return Optional.empty();
    }

    /**
     * Runs some work (an evaluation, a probe) that computes this loss, and gives the loss back its
     * {@link #state()} as it was before, even if the work fails, so training continues as if the
     * work had not happened.
     *
     * @param work what to run
     * @param <T> what it gives
     * @return what the work gave
     */
    default <T> T keepingState(Supplier<T> work) {
        Optional<Map<String, Double>> kept = state().map(LossState::save);
        try {
            return work.get();
        } finally {
            kept.ifPresent(saved -> state().orElseThrow().restore(saved));
        }
    }

    /**
     * Returns this loss as computed from a pair's own sums alone, without inputs that need extra
     * model passes over other pairs (for a table of pairs such as {@code dgpo margin}'s input).
     * KTO estimating {@code z0} returns KTO with {@code z0 = 0}; most losses return themselves.
     *
     * @return the loss to use on sums alone
     */
    default PreferenceLoss fromSumsOnly() {
        return this;
    }
}
