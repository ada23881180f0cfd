package io.github.dgpo.train.cli;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.Devices;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.PeftAdapterIo;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The model a command runs (a picocli mixin): {@code --model DIR}, optionally a PEFT {@code --adapter DIR}, on {@code --device}. */
final class ModelOptions {

    @Option(names = "--model", required = true, description = "HF model folder (the base model when --adapter is given)")
    Path model;

    @Option(names = "--adapter", description = "LoRA adapter folder in PEFT's format (adapter_config.json, adapter_model.safetensors) applied to --model")
    Path adapter;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device;

    /** @return a root manager on the chosen device */
    NDManager newManager() {
        return OfflineEngine.newManager(Devices.parse(device));
    }

    /**
     * Loads the model, with the adapter when one is given.
     *
     * @param root the parent manager
     * @return the model (a view sharing the base weights when adapted; {@code root} frees both)
     * @throws IOException if a folder cannot be read
     */
    CausalLm load(NDManager root) throws IOException {
        CausalLm base = CausalLm.load(model, root);
        return adapter == null ? base : base.withAdapters(PeftAdapterIo.read(adapter, base.config(), root));
    }
}
