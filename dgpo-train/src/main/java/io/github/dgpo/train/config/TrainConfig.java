package io.github.dgpo.train.config;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training run's settings, under the key names alignment-handbook and TRL users know. Read
 * with {@link ConfigLoader}, which refuses unknown keys and applies {@code --set} overrides.
 * Loss hyperparameters are top-level keys ({@code beta}, {@code tau}, ...) passed to the loss
 * factory when set.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class TrainConfig {

    /** Loss hyperparameter keys, passed to {@code PreferenceLosses.create} when set. */
    public static final List<String> LOSS_KEYS = List.of("beta", "tau", "alpha", "lambda", "lambda_w", "lambda_l", "delta", "gamma",
            "label_smoothing", "reference_free", "z0", "reduction", "detach_weight", "f_divergence_type", "f_alpha_divergence_coef", "discopop_tau",
            "bco_running_mean", "use_weighting", "kl_terms", "adaptive_weight");

    // model
    @JsonProperty("model_name_or_path") public String modelNameOrPath;
    @JsonProperty("random_model") public Map<String, Object> randomModel;
    @JsonProperty("model_seed") public Long modelSeed = 0L;
    @JsonProperty("ref_model_name_or_path") public String refModelNameOrPath;
    @JsonProperty("tokenizer_name_or_path") public String tokenizerNameOrPath;
    @JsonProperty("save_dtype") public String saveDtype = "float32";

    // data
    @JsonProperty("dataset_path") public String datasetPath;
    @JsonProperty("dataset_format") public String datasetFormat = "jsonl";
    @JsonProperty("dataset_split") public String datasetSplit;
    @JsonProperty("eval_dataset_path") public String evalDatasetPath;
    @JsonProperty("eval_split") public String evalSplit;
    @JsonProperty("eval_fraction") public Double evalFraction = 0.0;
    @JsonProperty("max_train_samples") public Integer maxTrainSamples;
    @JsonProperty("strict_data") public Boolean strictData = false;
    @JsonProperty("pair_rule") public String pairRule = "best-vs-random";
    @JsonProperty("min_score_gap") public Double minScoreGap = 1.0;
    @JsonProperty("fine_grained_scores") public Boolean fineGrainedScores = false;
    @JsonProperty("max_length") public Integer maxLength = 2048;
    @JsonProperty("max_prompt_length") public Integer maxPromptLength = 0;
    @JsonProperty("chat_template_kwargs") public Map<String, Object> chatTemplateKwargs;
    @JsonProperty("group_by_length") public Boolean groupByLength = true;

    // loss
    @JsonProperty("loss_type")
    @com.fasterxml.jackson.annotation.JsonFormat(with = {com.fasterxml.jackson.annotation.JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY,
        com.fasterxml.jackson.annotation.JsonFormat.Feature.WRITE_SINGLE_ELEM_ARRAYS_UNWRAPPED})
    public List<String> lossType = List.of("dgpo");
    @JsonProperty("loss_weights") public List<Double> lossWeights;
    @JsonProperty("beta") public Object beta;
    @JsonProperty("tau") public Object tau;
    @JsonProperty("alpha") public Object alpha;
    @JsonProperty("lambda") public Object lambda;
    @JsonProperty("lambda_w") public Object lambdaW;
    @JsonProperty("lambda_l") public Object lambdaL;
    @JsonProperty("delta") public Object delta;
    @JsonProperty("gamma") public Object gamma;
    @JsonProperty("label_smoothing") public Object labelSmoothing;
    @JsonProperty("reference_free") public Object referenceFree;
    @JsonProperty("z0") public Object z0;
    @JsonProperty("reduction") public Object reduction;
    @JsonProperty("detach_weight") public Object detachWeight;
    @JsonProperty("f_divergence_type") public Object fDivergenceType;
    @JsonProperty("f_alpha_divergence_coef") public Object fAlphaDivergenceCoef;
    @JsonProperty("discopop_tau") public Object discopopTau;
    @JsonProperty("bco_running_mean") public Object bcoRunningMean;
    @JsonProperty("use_weighting") public Object useWeighting;
    @JsonProperty("kl_terms") public Object klTerms;
    @JsonProperty("adaptive_weight") public Object adaptiveWeight;
    @JsonProperty("sync_ref_model") public Boolean syncRefModel = false;
    @JsonProperty("ref_model_mixup_alpha") public Double refModelMixupAlpha = 0.6;
    @JsonProperty("ref_model_sync_steps") public Integer refModelSyncSteps = 512;
    @JsonProperty("precompute_ref_log_probs") public Boolean precomputeRefLogProbs = false;
    @JsonProperty("ref_cache_dir") public String refCacheDir;

    // optimisation
    @JsonProperty("learning_rate") public Double learningRate = 5e-7;
    @JsonProperty("lr_scheduler_type") public String lrSchedulerType = "cosine";
    @JsonProperty("warmup_ratio") public Double warmupRatio = 0.1;
    @JsonProperty("num_train_epochs") public Double numTrainEpochs = 1.0;
    @JsonProperty("max_steps") public Integer maxSteps = -1;
    @JsonProperty("per_device_train_batch_size") public Integer perDeviceTrainBatchSize = 2;
    @JsonProperty("per_device_eval_batch_size") public Integer perDeviceEvalBatchSize = 4;
    @JsonProperty("gradient_accumulation_steps") public Integer gradientAccumulationSteps = 8;
    @JsonProperty("max_grad_norm") public Double maxGradNorm = 1.0;
    @JsonProperty("weight_decay") public Double weightDecay = 0.0;
    @JsonProperty("adam_beta1") public Double adamBeta1 = 0.9;
    @JsonProperty("adam_beta2") public Double adamBeta2 = 0.999;
    @JsonProperty("adam_epsilon") public Double adamEpsilon = 1e-8;
    @JsonProperty("logits_chunk_size") public Integer logitsChunkSize = 256;
    @JsonProperty("prefix_sharing") public Boolean prefixSharing = true;
    @JsonProperty("one_pass_head") public Boolean onePassHead = true;
    @JsonProperty("ld_alpha") public Double ldAlpha;
    @JsonProperty("max_consecutive_bad_steps") public Integer maxConsecutiveBadSteps = 5;

    // scaling: LoRA, half-precision base, activation checkpointing, device (docs/scaling.md)
    @JsonProperty("use_peft") public Boolean usePeft = false;
    @JsonProperty("lora_r") public Integer loraR = 16;
    @JsonProperty("lora_alpha") public Double loraAlpha = 32.0;
    @JsonProperty("lora_dropout") public Double loraDropout = 0.05;
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
    @JsonProperty("lora_target_modules") public List<String> loraTargetModules = List.of("all-linear");
    @JsonProperty("use_rslora") public Boolean useRslora = false;
    @JsonProperty("adapter_name_or_path") public String adapterNameOrPath;
    @JsonProperty("base_dtype") public String baseDtype = "float32";
    @JsonProperty("gradient_checkpointing") public Boolean gradientCheckpointing = false;
    @JsonProperty("device") public String device = "auto";

    // logging, eval, checkpoints
    @JsonProperty("logging_steps") public Integer loggingSteps = 10;
    @JsonProperty("eval_steps") public Integer evalSteps = 0;
    @JsonProperty("probe_pairs") public Integer probePairs = 64;
    @JsonProperty("displacement_threshold") public Double displacementThreshold = 0.05;
    @JsonProperty("entanglement_steps") public Integer entanglementSteps = 0;
    @JsonProperty("entanglement_pairs") public Integer entanglementPairs = 4;
    @JsonProperty("save_steps") public Integer saveSteps = 0;
    @JsonProperty("save_total_limit") public Integer saveTotalLimit = 2;
    @JsonProperty("seed") public Long seed = 42L;
    @JsonProperty("output_dir") public String outputDir;
    @JsonProperty("plots") public Boolean plots = true;
    @JsonProperty("progress_bar") public Boolean progressBar = true;

    /**
     * How {@code ultrafeedback-raw} completions are paired ({@code pair_rule}, {@code
     * min_score_gap}, {@code fine_grained_scores}; the pairing seed is {@code seed}).
     *
     * @return the reader options
     */
    public io.github.dgpo.data.read.UltraFeedbackRawReader.Options rawPairing() {
        return new io.github.dgpo.data.read.UltraFeedbackRawReader.Options(io.github.dgpo.data.read.PairRule.parse(pairRule), minScoreGap, fineGrainedScores, seed);
    }

    /**
     * The run's loss: {@code loss_type} (one name, or a list mixed with {@code loss_weights}) with
     * the hyperparameters that are set.
     *
     * @return the loss
     * @throws IllegalArgumentException naming an unknown loss or hyperparameter or a bad value
     */
    public io.github.dgpo.losses.PreferenceLoss loss() {
        return io.github.dgpo.losses.PreferenceLosses.create(lossType, lossWeights, lossHyperparameters());
    }

    /** @return the loss types as one name, {@code +}-joined for a mixture */
    public String lossName() {
        return String.join("+", lossType);
    }

    /**
     * The LoRA settings ({@code lora_r}, {@code lora_alpha}, {@code lora_dropout}, {@code
     * lora_target_modules}, {@code use_rslora}) of a {@code use_peft} run.
     *
     * @return the adapter config
     */
    public io.github.dgpo.core.model.LoraConfig lora() {
        return io.github.dgpo.core.model.LoraConfig.of(loraR, loraAlpha, loraDropout, loraTargetModules, useRslora);
    }

    /**
     * How frozen weights are held ({@code base_dtype}).
     *
     * @return the dtype
     */
    public io.github.dgpo.core.model.BaseDtype frozenDtype() {
        return io.github.dgpo.core.model.BaseDtype.parse(baseDtype);
    }

    /**
     * The loss hyperparameters that are set, under their config names.
     *
     * @return an ordered map
     */
    public Map<String, Object> lossHyperparameters() {
        Map<String, Object> m = new LinkedHashMap<>();
        Object[] values = {beta, tau, alpha, lambda, lambdaW, lambdaL, delta, gamma, labelSmoothing, referenceFree, z0, reduction, detachWeight,
            fDivergenceType, fAlphaDivergenceCoef, discopopTau, bcoRunningMean, useWeighting, klTerms, adaptiveWeight};
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null) {
                m.put(LOSS_KEYS.get(i), values[i]);
            }
        }
        return m;
    }
}
