package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A weighted sum of losses on one batch (TRL's {@code loss_type} list with {@code loss_weights}):
 * RPO is {@code [dpo, sft]}, MPO {@code [dpo, bco-pair, sft]} with weights {@code [0.8, 0.2, 1.0]}.
 *
 * <pre>
 *   L = Σ_k w_k L_k,   d_w = Σ_k w_k d_w,k,   d_l = Σ_k w_k d_l,k
 * </pre>
 *
 * (the gradient is linear). One forward pass serves every term: the mixture needs the union of its
 * terms' {@link #inputs() inputs}, is {@link #batchDependent() batch-dependent} when any term is,
 * and carries every term's {@link #state() state}. Hyperparameters are shared by name across the
 * terms, as TRL's single config is ({@link PreferenceLosses#create(List, List, Map)}).
 *
 * <p>Metrics: the first term's (its margins, rewards and accuracies), then other terms' own
 * metrics not already present (such as {@code kl}), with {@code loss}, {@code d_w}, {@code d_l},
 * {@code d_w/d_l} of the mixture, and {@code loss/<name>}: each term's unweighted batch loss.
 *
 * <p>Differs from TRL: TRL's {@code sft} term is one token-weighted mean over the batch ({@code
 * -ΣS_w / Σn_w}); dgpo's {@link SftLoss} is the mean of per-pair averages {@code -A_w}. The two
 * agree when all chosen completions have the same length, and per pair.
 */
public final class LossMixture implements PreferenceLoss {

    private final List<PreferenceLoss> terms;
    private final List<Double> weights;
    private final Map<String, Object> hyperparameters;

    /**
     * Combines losses.
     *
     * @param terms the losses, with distinct names
     * @param weights one weight {@code >= 0} per loss
     */
    LossMixture(List<PreferenceLoss> terms, List<Double> weights) {
        if (terms.size() != weights.size() || terms.isEmpty()) {
            throw new IllegalArgumentException("a mixture needs one weight per loss, got " + weights.size() + " for " + terms.size());
        }
        this.terms = List.copyOf(terms);
        this.weights = List.copyOf(weights);
        Map<String, Object> hp = new LinkedHashMap<>();
        terms.forEach(t -> t.hyperparameters().forEach(hp::putIfAbsent));
        this.hyperparameters = Collections.unmodifiableMap(hp);
    }

    /** @return the losses, in order */
    public List<PreferenceLoss> terms() {
        return terms;
    }

    /** @return their weights */
    public List<Double> weights() {
        return weights;
    }

    /** The terms' names joined by {@code +}, e.g. {@code dpo+sft}. */
    @Override
    public String name() {
        return String.join("+", terms.stream().map(PreferenceLoss::name).toList());
    }

    /** The first term's reduction (the one its margins are on). */
    @Override
    public Reduction reduction() {
        return terms.get(0).reduction();
    }

    @Override
    public boolean requiresReference() {
        return terms.stream().anyMatch(PreferenceLoss::requiresReference);
    }

    /** The union of the terms' hyperparameters (shared names have one value). */
    @Override
    public Map<String, Object> hyperparameters() {
        return hyperparameters;
    }

    @Override
    public LossOutput compute(PairLogps logps) {
        List<LossOutput> outs = new ArrayList<>();
        NDArray perPair = null;
        NDArray dW = null;
        NDArray dL = null;
        for (int k = 0; k < terms.size(); k++) {
            LossOutput out = terms.get(k).compute(logps);
            outs.add(out);
            double w = weights.get(k);
            perPair = plus(perPair, times(out.perPair(), w));
            dW = plus(dW, times(out.dW(), w));
            dL = plus(dL, times(out.dL(), w));
        }
        Map<String, Double> metrics = new LinkedHashMap<>(outs.get(0).metrics());
        for (int k = 1; k < outs.size(); k++) {
            outs.get(k).metrics().forEach(metrics::putIfAbsent);
        }
        metrics.put("loss", MarginLoss.mean(perPair.stopGradient()));
        MarginLoss.putGradientMeans(metrics, dW, dL);
        for (int k = 0; k < terms.size(); k++) {
            metrics.put("loss/" + terms.get(k).name(), outs.get(k).metrics().get("loss"));
        }
        return new LossOutput(perPair, perPair.mean(), outs.get(0).margins(), dW, dL, metrics);
    }

    private static NDArray plus(NDArray sum, NDArray x) {
        return sum == null ? x : sum.add(x);
    }

    @Override
    public Set<LossInput> inputs() {
        Set<LossInput> inputs = EnumSet.noneOf(LossInput.class);
        terms.forEach(t -> inputs.addAll(t.inputs()));
        return inputs;
    }

    @Override
    public boolean batchDependent() {
        return terms.stream().anyMatch(PreferenceLoss::batchDependent);
    }

    /** Every term's state, its keys prefixed by the term's name ({@code bco-pair/mean}). */
    @Override
    public Optional<LossState> state() {
        Map<String, LossState> states = new LinkedHashMap<>();
        terms.forEach(t -> t.state().ifPresent(s -> states.put(t.name(), s)));
        return states.isEmpty() ? Optional.empty() : Optional.of(new PrefixedState(states));
    }

    @Override
    public PreferenceLoss fromSumsOnly() {
        List<PreferenceLoss> sums = terms.stream().map(PreferenceLoss::fromSumsOnly).toList();
        for (int k = 0; k < terms.size(); k++) {
            if (sums.get(k) != terms.get(k)) {
                return new LossMixture(sums, weights);
            }
        }
        return this;
    }

    @Override
    public String toString() {
        return name() + weights + hyperparameters;
    }

    /** The terms' states under {@code <term>/<key>}. */
    private record PrefixedState(Map<String, LossState> states) implements LossState {

        @Override
        public Map<String, Double> save() {
            Map<String, Double> saved = new LinkedHashMap<>();
            states.forEach((term, s) -> s.save().forEach((k, v) -> saved.put(term + "/" + k, v)));
            return saved;
        }

        @Override
        public void restore(Map<String, Double> saved) {
            Map<String, Map<String, Double>> byTerm = new LinkedHashMap<>();
            states.keySet().forEach(term -> byTerm.put(term, new LinkedHashMap<>()));
            saved.forEach((key, value) -> {
                int slash = key.indexOf('/');
                Map<String, Double> target = slash < 0 ? null : byTerm.get(key.substring(0, slash));
                if (target == null) {
                    throw new IllegalArgumentException("loss state entry '" + key + "' names no term with state; expected one of " + states.keySet());
                }
                target.put(key.substring(slash + 1), value);
            });
            states.forEach((term, s) -> s.restore(byTerm.get(term)));
        }
    }
}
