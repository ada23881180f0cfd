package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.dgpo.core.NoGradient;
import io.github.dgpo.core.safetensors.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A decoder-only causal language model (Llama, Mistral, Qwen2, Qwen3) built from DJL NDArray
 * ops, with HF parameter names and {@code [out, in]} weights, so HF checkpoints load without
 * transposes. Float32 activations; frozen weights may be held in float16 ({@link BaseDtype}).
 * Forward passes never use {@code toType}, {@code duplicate} or {@code toDevice} on graph
 * tensors (they silently cut autograd in DJL).
 *
 * <p>A model may carry LoRA adapters ({@link #withAdapters}): a view that shares the base
 * weights, so the base model itself is the adapters-off model (a LoRA run's reference) at no
 * extra memory. With adapters only the adapters train ({@link #trainableParameters()}). With
 * {@link #setGradientCheckpointing} a training pass keeps only each layer's input and recomputes
 * the layers in backward ({@link Body#backward}).
 *
 * <p>Arrays are owned by the model's own manager; {@link #close()} frees them (a view closes
 * nothing). Temporaries of a forward pass live in the manager of the {@code ids} array the caller
 * passes, on that manager's device, which must be the model's.
 */
public final class CausalLm implements AutoCloseable {

    /**
     * Files copied beside the weights on save when the source folder has them: only regular
     * files that resolve inside that folder (a symlink to {@code /etc/passwd} or a private key
     * must not end up in a model folder someone may publish; see {@link #unsafeTokenizerFiles}).
     */
    public static final List<String> TOKENIZER_FILES = List.of(
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
            "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json");


    private final ModelConfig config;
    private final NDManager manager;
    private final ParameterSet parameters;
    private final NDArray head;
    private final DecoderStack stack;
    private final RotaryEmbedding rope;
    private final Path source;
    private final BaseDtype baseDtype;
    private final LoraAdapters adapters;
    private final boolean owner;
    private boolean gradientCheckpointing;

    private CausalLm(ModelConfig config, NDManager manager, ParameterSet parameters, Path source, BaseDtype baseDtype, LoraAdapters adapters, boolean owner) {
        this.config = config;
        this.manager = manager;
        this.parameters = parameters;
        this.source = source;
        this.baseDtype = baseDtype;
        this.adapters = adapters;
        this.owner = owner;
        this.head = parameters.get(config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight");
        this.stack = new DecoderStack(config, parameters, adapters);
        this.rope = new RotaryEmbedding(config);
    }

    /**
     * Loads an HF model folder ({@code config.json} and safetensors weights). Every header is
     * validated and every expected tensor checked for presence and shape before any
     * parameter is allocated; tensors are then copied chunk by chunk into engine-owned
     * memory, widened from F16/BF16 in Java.
     *
     * @param dir the folder
     * @param parent manager the model's own manager is created under
     * @return the model (not trainable until {@link #setTrainable(boolean)})
     * @throws IOException for a missing folder, unsupported config or invalid weights
     */
    public static CausalLm load(Path dir, NDManager parent) throws IOException {
        return load(dir, parent, BaseDtype.FLOAT32);
    }

    /**
     * Loads an HF model folder, holding the weights {@link BaseDtype} narrows in float16 (each is
     * narrowed right after it is read, so at most one tensor exists in float32 beside the model).
     *
     * @param dir the folder
     * @param parent manager the model's own manager is created under
     * @param baseDtype how to hold the weights
     * @return the model (not trainable until {@link #setTrainable(boolean)})
     * @throws IOException for a missing folder, unsupported config or invalid weights, or a
     *     value beyond float16's range when narrowing
     */
    public static CausalLm load(Path dir, NDManager parent, BaseDtype baseDtype) throws IOException {
        ModelConfig config = ModelConfig.read(dir);
        WeightLoader.Weights weights = WeightLoader.read(dir, config, parent, baseDtype);
        try {
            return new CausalLm(config, weights.manager(), weights.parameters(), dir, baseDtype, null, true);
        } catch (RuntimeException e) {
            weights.manager().close();
            throw e;
        }
    }

    /**
     * Creates a seeded, randomly initialised model: weights from N(0, {@code
     * initializer_range}), norms 1, biases 0, drawn in Java so the same seed gives the same
     * model on any engine.
     *
     * @param config the config
     * @param seed the seed
     * @param parent manager the model's own manager is created under
     * @return the model
     */
    public static CausalLm random(ModelConfig config, long seed, NDManager parent) {
        return random(config, seed, parent, BaseDtype.FLOAT32);
    }

    /**
     * Creates a seeded, randomly initialised model (as {@link #random(ModelConfig, long,
     * NDManager)}, the same values), holding the weights {@link BaseDtype} narrows in float16.
     *
     * @param config the config
     * @param seed the seed
     * @param parent manager the model's own manager is created under
     * @param baseDtype how to hold the weights
     * @return the model
     */
    public static CausalLm random(ModelConfig config, long seed, NDManager parent, BaseDtype baseDtype) {
        NDManager own = parent.newSubManager();
        try {
            return new CausalLm(config, own, RandomWeights.draw(config, seed, own, baseDtype), null, baseDtype, null, true);
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /**
     * A view of this model with LoRA adapters: it shares this model's weights (no copy) and adds
     * the adapters' update to the projections they target. This model stays the adapters-off
     * model. Closing the view frees nothing; the adapters belong to the caller.
     *
     * @param adapters the adapters (of this model's config)
     * @return the view
     */
    public CausalLm withAdapters(LoraAdapters adapters) {
        for (String module : adapters.modules().keySet()) {
            if (parameters.find(module + ".weight") == null) {
                throw new IllegalArgumentException("adapter module " + module + " is not a projection of this " + config.architecture().className() + " model");
            }
        }
        return new CausalLm(config, manager, parameters, source, baseDtype, adapters, false);
    }

    /**
     * Returns this model without adapters: a view sharing the weights, or this model when it has
     * none.
     *
     * @return the base model
     */
    public CausalLm withoutAdapters() {
        return adapters == null ? this : new CausalLm(config, manager, parameters, source, baseDtype, null, false);
    }

    /**
     * Returns the adapters.
     *
     * @return the adapters, or null
     */
    public LoraAdapters adapters() {
        return adapters;
    }

    /**
     * Returns how the frozen weights are held.
     *
     * @return the dtype
     */
    public BaseDtype baseDtype() {
        return baseDtype;
    }

    /**
     * Returns the parameters that train: the adapters' when there are adapters, else every
     * parameter. The optimizer, clipping and checkpoints work on exactly these.
     *
     * @return an unmodifiable ordered map
     */
    public Map<String, NDArray> trainableParameters() {
        return adapters != null ? adapters.parameters() : parameters();
    }

    /**
     * Turns layer-wise activation checkpointing on or off for passes that record a graph.
     *
     * @param on true to checkpoint
     */
    public void setGradientCheckpointing(boolean on) {
        this.gradientCheckpointing = on;
    }

    /**
     * Returns whether training passes checkpoint activations.
     *
     * @return true when on
     */
    public boolean gradientCheckpointing() {
        return gradientCheckpointing;
    }

    /**
     * Returns the config.
     *
     * @return the config
     */
    public ModelConfig config() {
        return config;
    }

    /**
     * Returns the folder the model was loaded from, or null for a random model.
     *
     * @return the source folder
     */
    public Path source() {
        return source;
    }

    /**
     * Returns the parameters by HF name (the tied head is not listed separately).
     *
     * @return an unmodifiable ordered map
     */
    public Map<String, NDArray> parameters() {
        return parameters.view();
    }

    /**
     * Returns the output head weight {@code [V, H]} (the embedding when tied), float32 and usable
     * directly in a pass whatever the {@link BaseDtype}: a float16 base never narrows the head.
     *
     * @return the head weight
     */
    public NDArray headWeight() {
        return head;
    }

    /**
     * Attaches (or drops) gradients on the {@link #trainableParameters()}. A frozen model's
     * forward records no graph.
     *
     * @param trainable true to train
     * @throws IllegalStateException when a full fine-tune would train float16 weights
     */
    public void setTrainable(boolean trainable) {
        if (adapters != null) {
            adapters.setTrainable(trainable);
            return;
        }
        if (trainable && baseDtype != BaseDtype.FLOAT32) {
            throw new IllegalStateException("a model with a " + baseDtype.configName() + " base trains adapters only (use_peft): its float16 weights are frozen");
        }
        for (NDArray p : parameters.view().values()) {
            p.setRequiresGradient(trainable);
        }
    }

    /**
     * Final hidden states (after the last norm), without a cache.
     *
     * @param ids token ids {@code [N, T]} (int64)
     * @param attentionMask {@code [N, T]}, 1 for real tokens, 0 for padding
     * @return {@code [N, T, H]}
     */
    public NDArray hiddenStates(NDArray ids, NDArray attentionMask) {
        return hiddenStates(ids, attentionMask, null);
    }

    /**
     * Final hidden states, appending to a KV cache when one is given.
     *
     * @param ids new token ids {@code [N, T]} (int64)
     * @param attentionMask mask of the new tokens {@code [N, T]}
     * @param cache the cache, or null
     * @return {@code [N, T, H]}
     * @throws IllegalArgumentException for an id outside the vocabulary (a tokenizer that does
     *     not belong to the model; the native embedding would fail with "index out of range"), or
     *     a batch whose attention mask would not fit in an array
     */
    public NDArray hiddenStates(NDArray ids, NDArray attentionMask, KvCache cache) {
        InputChecks.ids(ids, config.vocabSize());
        return checkedHiddenStates(ids, attentionMask, cache);
    }

    /**
     * {@link #hiddenStates(NDArray, NDArray, KvCache)} from ids on the host, checked there
     * instead of by two device reductions and read-backs (generation, once per token).
     *
     * @param ids new token ids {@code [N][T]}
     * @param attentionMask mask of the new tokens {@code [N][T]}
     * @param cache the cache, or null
     * @param manager where the arrays go (the model's device)
     * @return {@code [N, T, H]}
     * @throws IllegalArgumentException for rows of unequal width, or as the array form does
     *     (naming the first id outside the vocabulary in row order)
     */
    public NDArray hiddenStates(long[][] ids, long[][] attentionMask, KvCache cache, NDManager manager) {
        InputChecks.rows(ids, attentionMask);
        InputChecks.ids(ids, config.vocabSize());
        return checkedHiddenStates(manager.create(ids), manager.create(attentionMask), cache);
    }

    private NDArray checkedHiddenStates(NDArray ids, NDArray attentionMask, KvCache cache) {
        long n = ids.getShape().get(0);
        int t = Math.toIntExact(ids.getShape().get(1));
        long offset = cache == null ? 0 : cache.length();
        PaddingMask.checkSize(n, t, offset);
        NDManager m = ids.getManager();
        NDArray fullMask = cache == null ? attentionMask : cache.extendMask(attentionMask);
        int[] padding = fullMask.toType(DataType.INT32, false).toIntArray();
        ForwardPass pass = new ForwardPass(rope.tables(m, offset, t), window -> PaddingMask.additive(m, padding, n, t, offset, window), cache, null);
        return cache == null ? stack.runScoped(stack.embed(ids), pass) : stack.run(stack.embed(ids), pass);
    }

    /**
     * Runs the body on rows whose tokens carry their own positions and branches (see {@link
     * ModelInput}), keeping what backward needs. A pass that records a graph (inside a gradient
     * collector) is a training pass: the adapters' dropout is on, and with gradient checkpointing
     * only each layer's input is kept.
     *
     * @param input the rows
     * @param manager where the pass's arrays live (the model's device)
     * @return the final hidden states and the backward pass into the body
     */
    public Body forward(ModelInput input, NDManager manager) {
        InputChecks.ids(input.ids(), config.vocabSize());
        NDArray ids = input.idsArray(manager);
        boolean recording = NoGradient.recording();
        Long dropoutSeed = recording && adapters != null && adapters.trainable() ? adapters.nextPassSeed() : null;
        ForwardPass pass = new ForwardPass(rope.tables(manager, input.positions()), window -> input.additiveMask(manager, window), null, dropoutSeed);
        if (recording && gradientCheckpointing) {
            return CheckpointedBody.run(stack, ids, pass);
        }
        return new Body(stack.runScoped(stack.embed(ids), pass));
    }

    /**
     * Logits of hidden states through the output head.
     *
     * @param hidden {@code [..., H]}
     * @return {@code [..., V]}
     */
    public NDArray logits(NDArray hidden) {
        return Ops.linear(hidden, head, null);
    }

    /**
     * Saves the model as an HF folder: weights, {@code config.json}, {@code
     * generation_config.json} and the tokenizer files of the source folder.
     *
     * @param dir the folder (created if absent)
     * @param dtype F32 or BF16
     * @param maxShardBytes shard size limit
     * @param tokenizerDir folder to copy tokenizer files from, or null for the source folder
     * @throws IOException if a file cannot be written
     */
    public void save(Path dir, DType dtype, long maxShardBytes, Path tokenizerDir) throws IOException {
        ModelFolderWriter.write(dir, parameters.view(), config, source, dtype, maxShardBytes, tokenizerDir);
    }

    /**
     * The tokenizer files of a folder that {@link #save} would not copy, and why: a file that
     * is not a regular file (a FIFO or device), or a symbolic link that resolves outside the
     * folder. A trainer can call this before a run to refuse such a folder up front.
     *
     * @param tokenizerDir the folder
     * @return one sentence per file (empty when every file present is safe to copy)
     * @throws IOException if the folder cannot be resolved
     */
    public static List<String> unsafeTokenizerFiles(Path tokenizerDir) throws IOException {
        return ModelFolderWriter.unsafeTokenizerFiles(tokenizerDir);
    }

    @Override
    public void close() {
        if (owner) {
            manager.close();
        }
    }
}
