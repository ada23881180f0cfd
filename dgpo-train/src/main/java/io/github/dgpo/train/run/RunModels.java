package io.github.dgpo.train.run;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.model.BaseDtype;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.LoraAdapters;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.core.model.PeftAdapterIo;
import io.github.dgpo.train.config.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models a run's config names: the policy and the reference.
 *
 * <p>A full fine-tune trains a float32 copy of the model; its reference is a second, frozen
 * model held in {@code base_dtype}. With {@code use_peft} one base model (in {@code base_dtype})
 * serves both: the policy is the base with trainable adapters (fresh, from {@code
 * adapter_name_or_path}, or from the checkpoint a resume continues), and the reference is the
 * same base with the adapters switched off, or, when training started from an adapter, with a
 * frozen copy of that adapter (as TRL does with PEFT).
 */
public final class RunModels {

    private static final Logger LOG = LoggerFactory.getLogger(RunModels.class);

    private RunModels() {}

    /**
     * Checks that the model source exists, before anything else is done.
     *
     * @param c the config
     */
    static void check(TrainConfig c) {
        if (c.modelNameOrPath != null && !Files.isDirectory(Paths.get(c.modelNameOrPath))) {
            throw new IllegalArgumentException("model_name_or_path " + c.modelNameOrPath + ": model folder does not exist");
        }
        if (c.modelNameOrPath != null) {
            try {
                ModelConfig.read(Paths.get(c.modelNameOrPath));
            } catch (IOException e) {
                throw new IllegalArgumentException("model_name_or_path " + c.modelNameOrPath + ": " + e.getMessage(), e);
            }
        }
        if (c.randomModel != null && c.tokenizerNameOrPath == null) {
            throw new IllegalArgumentException("random_model needs tokenizer_name_or_path");
        }
        if (c.randomModel != null) {
            ConfigLoader.randomModelConfig(c);
        }
        if (c.adapterNameOrPath != null && !PeftAdapterIo.isAdapter(Paths.get(c.adapterNameOrPath))) {
            throw new IllegalArgumentException("adapter_name_or_path " + c.adapterNameOrPath + ": no " + PeftAdapterIo.CONFIG + " there");
        }
    }

    /**
     * The initial policy's config (read from the model folder, or the random model's).
     *
     * @param c the config
     * @return the architecture
     * @throws IOException if the folder's config cannot be read
     */
    static ModelConfig policyConfig(TrainConfig c) throws IOException {
        return modelConfig(c, null);
    }

    /**
     * The run's inputs by what they are: paths the output folder must neither be nor hold.
     *
     * @param c the config
     * @return description to path
     */
    static java.util.Map<String, Path> inputs(TrainConfig c) {
        java.util.Map<String, Path> in = new java.util.LinkedHashMap<>();
        if (c.modelNameOrPath != null) {
            in.put("model folder (model_name_or_path)", Paths.get(c.modelNameOrPath));
        }
        if (c.refModelNameOrPath != null) {
            in.put("reference model folder (ref_model_name_or_path)", Paths.get(c.refModelNameOrPath));
        }
        in.put("tokenizer folder", tokenizerDir(c));
        in.put("dataset (dataset_path)", Paths.get(c.datasetPath));
        if (c.evalDatasetPath != null) {
            in.put("evaluation dataset (eval_dataset_path)", Paths.get(c.evalDatasetPath));
        }
        if (c.refCacheDir != null) {
            in.put("reference cache (ref_cache_dir)", Paths.get(c.refCacheDir));
        }
        return in;
    }

    /** @return the tokenizer folder: {@code tokenizer_name_or_path}, else the model folder */
    static Path tokenizerDir(TrainConfig c) {
        return Paths.get(c.tokenizerNameOrPath != null ? c.tokenizerNameOrPath : c.modelNameOrPath);
    }

    /**
     * The policy: the model (or a checkpoint's model) for a full fine-tune, or the base with
     * trainable adapters; gradient checkpointing as configured.
     *
     * @param c the config
     * @param resumeFrom the checkpoint a resumed run continues from
     * @param root the parent manager (the run's device)
     * @return the policy, not yet trainable
     * @throws IOException if a folder cannot be read
     */
    public static CausalLm policy(TrainConfig c, Optional<Path> resumeFrom, NDManager root) throws IOException {
        CausalLm policy;
        if (!c.usePeft) {
            policy = resumeFrom.isPresent() ? CausalLm.load(resumeFrom.get(), root) : base(c, BaseDtype.FLOAT32, root);
        } else {
            CausalLm base = base(c, c.frozenDtype(), root);
            LoraAdapters adapters;
            if (resumeFrom.isPresent()) {
                adapters = PeftAdapterIo.read(resumeFrom.get(), base.config(), root);
            } else if (c.adapterNameOrPath != null) {
                adapters = PeftAdapterIo.read(Paths.get(c.adapterNameOrPath), base.config(), root);
                LOG.info("training the adapter {} (r {}, alpha {}, {}); the lora_* keys do not apply", c.adapterNameOrPath, adapters.config().r(),
                        adapters.config().alpha(), adapters.config().targetModules());
            } else {
                adapters = LoraAdapters.initialise(base.config(), c.lora(), c.seed, root);
            }
            policy = base.withAdapters(adapters);
            LOG.info("LoRA: {} adapter parameters on {} modules, base {} ({} parameters)", adapters.count(), adapters.modules().size(),
                    c.frozenDtype().configName(), base.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum());
        }
        policy.setGradientCheckpointing(c.gradientCheckpointing);
        return policy;
    }

    /**
     * The frozen reference: the policy's base with the adapters off (or with a frozen copy of
     * the adapter training started from) under LoRA, else {@code ref_model_name_or_path} or the
     * initial model, held in {@code base_dtype}.
     *
     * @param c the config
     * @param policy the policy
     * @param root the parent manager
     * @return the model, frozen
     * @throws IOException if a folder cannot be read
     */
    public static CausalLm reference(TrainConfig c, CausalLm policy, NDManager root) throws IOException {
        if (c.usePeft && c.refModelNameOrPath == null) {
            CausalLm base = policy.withoutAdapters();
            if (c.adapterNameOrPath == null) {
                return base;
            }
            LoraAdapters start = PeftAdapterIo.read(Paths.get(c.adapterNameOrPath), base.config(), root);
            return base.withAdapters(start);
        }
        CausalLm ref = c.refModelNameOrPath != null ? CausalLm.load(Paths.get(c.refModelNameOrPath), root, c.frozenDtype()) : base(c, c.frozenDtype(), root);
        ref.setTrainable(false);
        return ref;
    }

    /** The model folder, or the seeded random model. */
    private static CausalLm base(TrainConfig c, BaseDtype dtype, NDManager root) throws IOException {
        if (c.modelNameOrPath != null) {
            return CausalLm.load(Paths.get(c.modelNameOrPath), root, dtype);
        }
        return CausalLm.random(ConfigLoader.randomModelConfig(c), c.modelSeed, root, dtype);
    }

    /**
     * The model's config, without loading any weights: a given {@code config.json}, else the
     * model folder's, else {@code random_model}.
     *
     * @param c the config
     * @param modelConfigFile a {@code config.json} to use instead, or null
     * @return the model config
     * @throws IOException if a {@code config.json} cannot be read
     */
    public static ModelConfig modelConfig(TrainConfig c, Path modelConfigFile) throws IOException {
        if (modelConfigFile != null) {
            if (!Files.isRegularFile(modelConfigFile)) {
                throw new java.nio.file.NoSuchFileException(modelConfigFile + ": no such config.json");
            }
            return ModelConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree(modelConfigFile.toFile()), modelConfigFile.toString());
        }
        if (c.modelNameOrPath != null) {
            return ModelConfig.read(Paths.get(c.modelNameOrPath));
        }
        return ConfigLoader.randomModelConfig(c);
    }
}
