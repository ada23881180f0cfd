package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;

/** {@code down(silu(gate(x)) · up(x))}, each projection optionally adapted. */
final class SwiGluMlp {

    private final Linear gate;
    private final Linear up;
    private final Linear down;

    SwiGluMlp(ParameterSet p, String prefix, LoraAdapters adapters, int layer) {
        this.gate = new Linear(p, prefix + "gate_proj", adapters, layer);
        this.up = new Linear(p, prefix + "up_proj", adapters, layer);
        this.down = new Linear(p, prefix + "down_proj", adapters, layer);
    }

    NDArray forward(NDArray x, ForwardPass pass) {
        return down.forward(Ops.silu(gate.forward(x, pass)).mul(up.forward(x, pass)), pass);
    }
}
