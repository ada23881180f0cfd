package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.NoGradient;

/**
 * A body run with layer-wise activation checkpointing: the forward pass records no graph and
 * keeps only each decoder layer's input; {@link #backward} re-runs one layer at a time with the
 * graph on, from the last to the first, injecting the gradient that arrived from above ({@code
 * backward(Σ y·g)} gives the layer's parameter gradients and its input's gradient, the {@code g}
 * of the layer below; the chunked output head uses the same technique). At most one layer's
 * activations exist at once, for one extra forward pass of the body. The re-run draws the
 * adapters' dropout masks of the first run (they are seeded by pass, layer and module).
 */
final class CheckpointedBody extends Body {

    private final DecoderStack stack;
    private final NDArray ids;
    private final ForwardPass pass;
    private final NDArray[] inputs;
    private long[] rows;

    private CheckpointedBody(NDArray hidden, DecoderStack stack, NDArray ids, ForwardPass pass, NDArray[] inputs) {
        super(hidden);
        this.stack = stack;
        this.ids = ids;
        this.pass = pass;
        this.inputs = inputs;
    }

    /**
     * Runs the body without a graph, keeping every layer's input.
     *
     * @param stack the body
     * @param ids token ids {@code [N, T]}; the kept inputs live in its manager
     * @param pass the pass
     * @return the body, ready for {@link #select} and {@link #backward}
     */
    static CheckpointedBody run(DecoderStack stack, NDArray ids, ForwardPass pass) {
        NDManager m = ids.getManager();
        NDArray[] inputs = new NDArray[stack.depth() + 1];
        NDArray hidden;
        try (NoGradient off = NoGradient.enter()) {
            inputs[0] = stack.embed(ids);
            for (int l = 0; l < stack.depth(); l++) {
                inputs[l + 1] = stack.layer(l, inputs[l], pass, m, true);
            }
            hidden = stack.norm(inputs[stack.depth()]);
        }
        return new CheckpointedBody(hidden, stack, ids, pass, inputs);
    }

    @Override
    public NDArray select(long[] rows) {
        this.rows = rows.clone();
        return gather(hidden(), rows);
    }

    @Override
    public void backward(GradientCollector collector, NDArray gradient) {
        if (rows == null) {
            throw new IllegalStateException("select rows before backward");
        }
        NDManager m = ids.getManager();
        int depth = stack.depth();
        NDArray g;
        try (NDManager scope = m.newSubManager()) {
            NDArray x = leaf(depth, scope);
            collector.backward(gather(stack.norm(x), rows).mul(gradient.stopGradient()).sum());
            g = gradientOf(x, m);
        }
        for (int l = depth - 1; l >= 0; l--) {
            try (NDManager scope = m.newSubManager()) {
                NDArray x = leaf(l, scope);
                g.attach(scope);
                collector.backward(stack.layer(l, x, pass).mul(g).sum());
                g = gradientOf(x, m);
            }
        }
        try (NDManager scope = m.newSubManager()) {
            g.attach(scope);
            if (stack.embeddingTrainable()) {
                NDArray e = stack.embed(ids);
                e.attach(scope);
                collector.backward(e.mul(g).sum());
            }
        }
    }

    /** The kept input of layer {@code l} as a leaf that collects its gradient, closed with {@code scope}. */
    private NDArray leaf(int l, NDManager scope) {
        NDArray x = inputs[l];
        if (x == null) {
            throw new IllegalStateException("a checkpointed body backpropagates once");
        }
        inputs[l] = null;
        x.attach(scope);
        x.setRequiresGradient(true);
        return x;
    }

    private static NDArray gradientOf(NDArray leaf, NDManager into) {
        NDArray g = leaf.getGradient();
        g.attach(into);
        return g;
    }
}
