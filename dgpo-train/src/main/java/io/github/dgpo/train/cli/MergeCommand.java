package io.github.dgpo.train.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.LoraAdapters;
import io.github.dgpo.core.model.PeftAdapterIo;
import io.github.dgpo.core.safetensors.DType;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dgpo merge}: a LoRA adapter merged into its base model, as an HF model folder (PEFT's {@code merge_and_unload}). */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Writes an HF model folder whose projections are W + s·B·A: the base model with a LoRA adapter (PEFT format) merged in.")
public final class MergeCommand implements Callable<Integer> {

    @Option(names = "--base", required = true, description = "the base model's HF folder")
    Path base;

    @Option(names = "--adapter", required = true, description = "the adapter folder (adapter_config.json, adapter_model.safetensors)")
    Path adapter;

    @Option(names = "--output", required = true, description = "the merged model's folder (created; tokenizer files are copied from --base)")
    Path output;

    @Option(names = "--save-dtype", defaultValue = "float32", description = "float32 or bfloat16 (default: ${DEFAULT-VALUE})")
    String saveDtype;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!saveDtype.equals("float32") && !saveDtype.equals("bfloat16")) {
            throw new UserInputException("--save-dtype must be float32 or bfloat16, got '" + saveDtype + "'");
        }
        if (output.toAbsolutePath().normalize().equals(base.toAbsolutePath().normalize())) {
            throw new UserInputException("--output must differ from --base: merging would overwrite the base model");
        }
        try (NDManager root = OfflineEngine.newManager(Device.cpu()); CausalLm model = CausalLm.load(base, root);
                LoraAdapters adapters = PeftAdapterIo.read(adapter, model.config(), root)) {
            adapters.mergeInto(model.parameters());
            model.save(output, saveDtype.equals("bfloat16") ? DType.BF16 : DType.F32, 5L << 30, null);
            spec.commandLine().getErr().printf("merged %d adapted projections of %s into %s%n", adapters.modules().size(), adapter, output);
        }
        return 0;
    }
}
