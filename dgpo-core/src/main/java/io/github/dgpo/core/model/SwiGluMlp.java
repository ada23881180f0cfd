package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;

/** {@code down(silu(gate(x)) · up(x))}. */
final class SwiGluMlp {

    private final NDArray gate;
    private final NDArray up;
    private final NDArray down;
    private final NDArray gateBias;
    private final NDArray upBias;
    private final NDArray downBias;

    SwiGluMlp(ParameterSet p, String prefix) {
        this.gate = p.get(prefix + "gate_proj.weight");
        this.up = p.get(prefix + "up_proj.weight");
        this.down = p.get(prefix + "down_proj.weight");
        this.gateBias = p.find(prefix + "gate_proj.bias");
        this.upBias = p.find(prefix + "up_proj.bias");
        this.downBias = p.find(prefix + "down_proj.bias");
    }

    NDArray forward(NDArray x) {
        return Ops.linear(Ops.silu(Ops.linear(x, gate, gateBias)).mul(Ops.linear(x, up, upBias)), down, downBias);
    }
}
