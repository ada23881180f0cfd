package io.github.dgpo.core.model;

import static io.github.dgpo.core.Scalars.times;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * A projection {@code y = x·Wᵀ + b} with HF's {@code [out, in]} weight, plus, when adapted, PEFT's
 * LoRA term {@code s·(dropout(x)·Aᵀ)·Bᵀ}. A float16 weight (a frozen base, {@link BaseDtype}) is
 * widened to float32 for this one product and its handle released right after: without a graph
 * the widened copy is freed at once; with one, autograd keeps it (it needs {@code W} for the
 * input's gradient) until the backward pass.
 */
final class Linear {

    private final NDArray weight;
    private final NDArray bias;
    private final LoraAdapters.Module adapter;
    private final double dropout;
    private final int layer;
    private final int module;

    /**
     * @param p the model's parameters
     * @param name the module's HF name, e.g. {@code model.layers.0.self_attn.q_proj}
     * @param adapters the model's adapters, or null
     * @param layer the layer index (seeds dropout)
     */
    Linear(ParameterSet p, String name, LoraAdapters adapters, int layer) {
        this.weight = p.get(name + ".weight");
        this.bias = p.find(name + ".bias");
        this.adapter = adapters == null ? null : adapters.modules().get(name);
        this.dropout = adapters == null ? 0 : adapters.config().dropout();
        this.layer = layer;
        this.module = LoraConfig.MODULES.indexOf(name.substring(name.lastIndexOf('.') + 1));
    }

    NDArray forward(NDArray x, ForwardPass pass) {
        NDArray y;
        if (weight.getDataType() == DataType.FLOAT32) {
            y = Ops.linear(x, weight, bias);
        } else {
            NDArray wide = weight.toType(DataType.FLOAT32, false);
            wide.attach(x.getManager());
            y = Ops.linear(x, wide, bias);
            wide.close();
        }
        if (adapter == null) {
            return y;
        }
        NDArray in = pass.dropout(x, dropout, layer, module);
        NDArray update = Ops.linear(Ops.linear(in, adapter.a(), null), adapter.b(), null);
        return y.add(times(update, adapter.scaling()));
    }
}
