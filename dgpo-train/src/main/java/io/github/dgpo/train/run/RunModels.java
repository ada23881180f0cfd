package io.github.dgpo.train.run;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.train.config.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The models a run's config names: the initial policy and the reference. */
final class RunModels {

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
    }

    /**
     * The initial policy's config (read from the model folder, or the random model's).
     *
     * @param c the config
     * @return the architecture
     * @throws IOException if the folder's config cannot be read
     */
    static ModelConfig policyConfig(TrainConfig c) throws IOException {
        return c.modelNameOrPath != null ? ModelConfig.read(Paths.get(c.modelNameOrPath)) : ConfigLoader.randomModelConfig(c);
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
     * The initial policy: the model folder, or the seeded random model.
     *
     * @param c the config
     * @param root the parent manager
     * @return the model
     * @throws IOException if the folder cannot be read
     */
    static CausalLm initialPolicy(TrainConfig c, NDManager root) throws IOException {
        if (c.modelNameOrPath != null) {
            return CausalLm.load(Paths.get(c.modelNameOrPath), root);
        }
        return CausalLm.random(ConfigLoader.randomModelConfig(c), c.modelSeed, root);
    }

    /**
     * The frozen reference: {@code ref_model_name_or_path}, else the initial policy.
     *
     * @param c the config
     * @param root the parent manager
     * @return the model, frozen
     * @throws IOException if the folder cannot be read
     */
    static CausalLm reference(TrainConfig c, NDManager root) throws IOException {
        CausalLm ref = c.refModelNameOrPath != null ? CausalLm.load(Paths.get(c.refModelNameOrPath), root) : initialPolicy(c, root);
        ref.setTrainable(false);
        return ref;
    }
}
