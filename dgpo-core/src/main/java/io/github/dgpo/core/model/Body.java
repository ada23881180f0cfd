package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;

/**
 * The outcome of a model's body (embedding, decoder layers, final norm) on some rows: the final
 * hidden states, and the backward pass that takes the gradient of any selection of those
 * states into the body's parameters. The output head works on the selected rows only, so the
 * body never sees {@code [N, T, V]}. With gradient checkpointing the body is a {@link
 * CheckpointedBody}, which recomputes its layers in {@link #backward}.
 */
public class Body {

    private final NDArray hidden;
    private NDArray selected;

    Body(NDArray hidden) {
        this.hidden = hidden;
    }

    /**
     * Returns the final hidden states.
     *
     * @return {@code [N, T, H]}, attached to the body's graph when one is recorded
     */
    public NDArray hidden() {
        return hidden;
    }

    /**
     * Selects rows of the flattened hidden states for the output head; {@link #backward} then
     * takes their gradient.
     *
     * @param rows flat indices {@code n·T + t} into {@code [N·T, H]}
     * @return the selected states {@code [M, H]}, detached from the body
     */
    public NDArray select(long[] rows) {
        selected = gather(hidden, rows);
        return selected.stopGradient();
    }

    /**
     * Backpropagates {@code Σ gradient · selected} into the body's parameters (gradients
     * accumulate).
     *
     * @param collector the open gradient collector
     * @param gradient {@code ∂loss/∂selected}, {@code [M, H]}
     */
    public void backward(GradientCollector collector, NDArray gradient) {
        if (selected == null) {
            throw new IllegalStateException("select rows before backward");
        }
        collector.backward(selected.mul(gradient.stopGradient()).sum());
    }

    /** Rows {@code rows} of {@code states [N, T, H]} flattened to {@code [N·T, H]}. */
    static NDArray gather(NDArray states, long[] rows) {
        long h = states.getShape().get(2);
        NDArray index = states.getManager().create(rows).reshape(-1, 1).broadcast(rows.length, h);
        return states.reshape(-1, h).gather(index, 0);
    }
}
