package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.safetensors.ArraySource;
import io.github.dgpo.core.safetensors.DType;
import io.github.dgpo.core.safetensors.SafetensorsCheckpoint;
import io.github.dgpo.core.safetensors.SafetensorsException;
import io.github.dgpo.core.safetensors.SafetensorsFile;
import io.github.dgpo.core.safetensors.SafetensorsWriter;
import io.github.dgpo.core.safetensors.TensorInfo;
import io.github.dgpo.core.util.InputFiles;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A decoder-only causal language model (Llama, Mistral, Qwen2, Qwen3) built from DJL NDArray
 * ops, with HF parameter names and {@code [out, in]} weights, so HF checkpoints load without
 * transposes. Float32 on CPU. Forward passes never use {@code toType}, {@code duplicate} or
 * {@code toDevice} on graph tensors (they silently cut autograd in DJL).
 *
 * <p>Arrays are owned by the model's own manager; {@link #close()} frees them. Temporaries of a
 * forward pass live in the manager of the {@code ids} array the caller passes.
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

    private static final Logger LOG = LoggerFactory.getLogger(CausalLm.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LOAD_CHUNK = 8 * 1024 * 1024;
    private static final float MASKED = -1e9f;
    /** Largest additive mask (float32 elements) a forward builds: its bytes must fit in one native buffer. */
    private static final long MAX_MASK_ELEMENTS = (Integer.MAX_VALUE - 8) / Float.BYTES;

    private final ModelConfig config;
    private final NDManager manager;
    private final ParameterSet parameters;
    private final NDArray embedding;
    private final NDArray head;
    private final List<DecoderLayer> layers = new ArrayList<>();
    private final RmsNorm norm;
    private final RotaryEmbedding rope;
    private final Path source;

    private CausalLm(ModelConfig config, NDManager manager, ParameterSet parameters, Path source) {
        this.config = config;
        this.manager = manager;
        this.parameters = parameters;
        this.source = source;
        this.embedding = parameters.get("model.embed_tokens.weight");
        this.head = config.tieWordEmbeddings() ? embedding : parameters.get("lm_head.weight");
        for (int i = 0; i < config.layers(); i++) {
            layers.add(new DecoderLayer(config, parameters, i));
        }
        this.norm = new RmsNorm(parameters.get("model.norm.weight"), config.rmsNormEps());
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
        ModelConfig config = ModelConfig.read(dir);
        ParameterLayout layout = ParameterLayout.of(config);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            Map<String, TensorInfo> found = ckpt.tensors();
            List<String> problems = new ArrayList<>();
            for (Map.Entry<String, long[]> e : layout.shapes().entrySet()) {
                TensorInfo t = found.get(e.getKey());
                if (t == null) {
                    problems.add("missing tensor '" + e.getKey() + "'");
                } else if (!Arrays.equals(t.shape(), e.getValue())) {
                    problems.add("tensor '" + e.getKey() + "' has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(e.getValue()));
                } else if (!t.dtype().floatReadable()) {
                    problems.add("tensor '" + e.getKey() + "' has dtype " + t.dtype() + " (F32, F16 or BF16 expected)");
                }
            }
            if (!problems.isEmpty()) {
                throw new SafetensorsException(dir, String.join("; ", problems.subList(0, Math.min(10, problems.size())))
                        + (problems.size() > 10 ? "; and " + (problems.size() - 10) + " more" : ""));
            }
            Set<String> unexpected = new TreeSet<>(found.keySet());
            unexpected.removeAll(layout.shapes().keySet());
            if (!unexpected.isEmpty()) {
                LOG.warn("{}: ignoring {} tensors the {} layout does not use: {}", dir, unexpected.size(), config.architecture().className(), unexpected);
            }
            NDManager own = parent.newSubManager();
            try {
                ParameterSet params = new ParameterSet();
                float[] buf = new float[LOAD_CHUNK];
                for (Map.Entry<String, long[]> e : layout.shapes().entrySet()) {
                    NDArray array = own.zeros(new Shape(e.getValue()), DataType.FLOAT32);
                    copyInto(ckpt.fileOf(e.getKey()), found.get(e.getKey()), array, buf);
                    params.put(e.getKey(), array);
                }
                return new CausalLm(config, own, params, dir);
            } catch (IOException | RuntimeException ex) {
                own.close();
                throw ex;
            }
        }
    }

    private static void copyInto(SafetensorsFile file, TensorInfo t, NDArray array, float[] buf) throws IOException {
        long total = t.elements();
        if (total <= buf.length) {
            file.readFloats(t, 0, buf, 0, (int) total);
            array.set(FloatBuffer.wrap(buf, 0, (int) total));
            return;
        }
        long rowElements = total / t.shape()[0];
        long rowsPerChunk = Math.max(1, buf.length / rowElements);
        long rows = t.shape()[0];
        for (long r0 = 0; r0 < rows; r0 += rowsPerChunk) {
            long r1 = Math.min(rows, r0 + rowsPerChunk);
            int count = Math.toIntExact((r1 - r0) * rowElements);
            float[] chunk = count <= buf.length ? buf : new float[count];
            file.readFloats(t, r0 * rowElements, chunk, 0, count);
            long[] shape = t.shape().clone();
            shape[0] = r1 - r0;
            try (NDArray part = array.getManager().create(FloatBuffer.wrap(chunk, 0, count), new Shape(shape))) {
                array.set(new NDIndex(r0 + ":" + r1), part);
            }
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
        double std = config.toJson().path("initializer_range").asDouble(0.02);
        Random random = new Random(seed);
        NDManager own = parent.newSubManager();
        ParameterSet params = new ParameterSet();
        for (Map.Entry<String, long[]> e : ParameterLayout.of(config).shapes().entrySet()) {
            String name = e.getKey();
            Shape shape = new Shape(e.getValue());
            if (shape.size() > Integer.MAX_VALUE - 8) {
                own.close();
                throw new IllegalArgumentException("random model tensor '" + name + "' of shape " + shape + " has more than 2^31 elements; choose smaller sizes");
            }
            float[] data = new float[(int) shape.size()];
            if (name.endsWith(".bias")) {
                Arrays.fill(data, 0f);
            } else if (ParameterLayout.isNormOrBias(name)) {
                Arrays.fill(data, 1f);
            } else {
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) (random.nextGaussian() * std);
                }
            }
            params.put(name, own.create(data, shape));
        }
        return new CausalLm(config, own, params, null);
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
     * Returns the output head weight {@code [V, H]} (the embedding when tied).
     *
     * @return the head weight
     */
    public NDArray headWeight() {
        return head;
    }

    /**
     * Attaches (or drops) gradients on every parameter. A frozen model's forward records no
     * graph.
     *
     * @param trainable true to train
     */
    public void setTrainable(boolean trainable) {
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
        long n = ids.getShape().get(0);
        int t = Math.toIntExact(ids.getShape().get(1));
        long offset = cache == null ? 0 : cache.length();
        checkIds(ids);
        long maskElements = n * t * (offset + t);
        if (maskElements > MAX_MASK_ELEMENTS) {
            throw new IllegalArgumentException(n + " rows of " + t + " tokens (" + (offset + t) + " positions) need an attention mask of " + maskElements
                    + " elements, more than the " + MAX_MASK_ELEMENTS + " one forward pass may use: use shorter sequences or smaller batches");
        }
        NDManager m = ids.getManager();
        NDArray fullMask = cache == null ? attentionMask : cache.extendMask(attentionMask);
        int[] padding = fullMask.toType(DataType.INT32, false).toIntArray();
        return run(embed(ids), rope.tables(m, offset, t), window -> additiveMask(m, padding, n, t, offset, window), cache);
    }

    /**
     * Runs the body on rows whose tokens carry their own positions and branches (see {@link
     * ModelInput}), keeping what backward needs.
     *
     * @param input the rows
     * @param manager where the pass's arrays live (the model's device)
     * @return the final hidden states and the backward pass into the body
     */
    public Body forward(ModelInput input, NDManager manager) {
        checkIds(input);
        NDArray ids = input.idsArray(manager);
        NDArray hidden = run(embed(ids), rope.tables(manager, input.positions()), window -> input.additiveMask(manager, window), null);
        return new Body(hidden);
    }

    private NDArray embed(NDArray ids) {
        return ids.getNDArrayInternal().embedding(ids, embedding, SparseFormat.DENSE).singletonOrThrow();
    }

    /** The decoder layers and the final norm; one mask per distinct sliding window. */
    private NDArray run(NDArray x, RotaryEmbedding.Tables rotary, java.util.function.IntFunction<NDArray> maskFor, KvCache cache) {
        Map<Integer, NDArray> masks = new java.util.HashMap<>();
        for (DecoderLayer layer : layers) {
            x = layer.forward(x, rotary, masks.computeIfAbsent(layer.window(), maskFor::apply), cache);
        }
        return norm.forward(x);
    }

    private void checkIds(ModelInput input) {
        int vocab = config.vocabSize();
        for (long[] row : input.ids()) {
            for (long id : row) {
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("token id " + id + " is outside the model's vocabulary (vocab_size " + vocab
                            + ", ids 0 to " + (vocab - 1) + "): the tokenizer does not belong to this model; use the model's own tokenizer");
                }
            }
        }
    }

    private void checkIds(NDArray ids) {
        if (ids.isEmpty()) {
            return;
        }
        long max = ids.max().toType(DataType.INT64, false).getLong();
        long min = ids.min().toType(DataType.INT64, false).getLong();
        int vocab = config.vocabSize();
        if (max >= vocab || min < 0) {
            throw new IllegalArgumentException("token id " + (max >= vocab ? max : min) + " is outside the model's vocabulary (vocab_size " + vocab
                    + ", ids 0 to " + (vocab - 1) + "): the tokenizer does not belong to this model; use the model's own tokenizer");
        }
    }

    /** {@code [N, 1, 1, T, S]}: 0 where query {@code offset+i} may see key {@code j}. */
    private static NDArray additiveMask(NDManager m, int[] padding, long n, int t, long offset, int window) {
        int s = Math.toIntExact(padding.length / n);
        float[] mask = new float[Math.toIntExact(n * t * s)];
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < t; i++) {
                long q = offset + i;
                int row = (b * t + i) * s;
                for (int j = 0; j < s; j++) {
                    boolean visible = padding[b * s + j] != 0 && j <= q && (window == 0 || j > q - window);
                    mask[row + j] = visible ? 0f : MASKED;
                }
            }
        }
        return m.create(mask, new Shape(n, 1, 1, t, s));
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
        Files.createDirectories(dir);
        List<SafetensorsWriter.Source> sources = new ArrayList<>();
        parameters.view().forEach((name, array) -> sources.add(new ArraySource(name, array)));
        new SafetensorsWriter(dtype, maxShardBytes).write(dir, sources);

        ObjectNode cfg = config.toJson();
        String dtypeName = dtype == DType.BF16 ? "bfloat16" : "float32";
        if (cfg.has("dtype")) {
            cfg.put("dtype", dtypeName);
        } else {
            cfg.put("torch_dtype", dtypeName);
        }
        writeAtomically(dir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(cfg) + "\n");
        Path generation = source == null ? null : source.resolve("generation_config.json");
        if (generation != null && Files.exists(generation) && !generation.equals(dir.resolve("generation_config.json"))) {
            copyAtomically(generation, dir.resolve("generation_config.json"));
        } else if (generation == null || !Files.exists(generation)) {
            ObjectNode gen = JSON.createObjectNode();
            if (config.bosTokenId() >= 0) {
                gen.put("bos_token_id", config.bosTokenId());
            }
            List<Integer> eos = config.eosTokenIds();
            if (eos.size() == 1) {
                gen.put("eos_token_id", eos.get(0));
            } else if (!eos.isEmpty()) {
                eos.forEach(gen.putArray("eos_token_id")::add);
            }
            if (config.padTokenId() >= 0) {
                gen.put("pad_token_id", config.padTokenId());
            }
            writeAtomically(dir.resolve("generation_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(gen) + "\n");
        }
        Path tok = tokenizerDir != null ? tokenizerDir : source;
        if (tok != null && !tok.toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize())) {
            for (String f : new LinkedHashSet<>(TOKENIZER_FILES)) {
                Path from = tok.resolve(f);
                if (Files.exists(from) || Files.isSymbolicLink(from)) {
                    String problem = unsafeTokenizerFile(tok, f);
                    if (problem != null) {
                        LOG.warn("{}; not copied into {}", problem, dir);
                    } else {
                        copyAtomically(from, dir.resolve(f));
                    }
                }
            }
            Path gz = tok.resolve("tokenizer.json.gz");
            if (!Files.exists(tok.resolve("tokenizer.json")) && Files.exists(gz)) {
                String problem = unsafeTokenizerFile(tok, gz.getFileName().toString());
                if (problem != null) {
                    LOG.warn("{}; not copied into {}", problem, dir);
                    return;
                }
                // HF loads tokenizer.json only: write the bundled .gz out in full.
                Path tmp = dir.resolve("tokenizer.json.tmp");
                try (java.io.InputStream in = InputFiles.openMaybeGzip(gz); java.io.OutputStream out = Files.newOutputStream(tmp)) {
                    InputFiles.copyBounded(in, out, InputFiles.MAX_TOKENIZER_BYTES, gz.toString());
                }
                Files.move(tmp, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        }
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
        List<String> out = new ArrayList<>();
        List<String> names = new ArrayList<>(TOKENIZER_FILES);
        names.add("tokenizer.json.gz");
        for (String f : names) {
            Path p = tokenizerDir.resolve(f);
            if (Files.exists(p) || Files.isSymbolicLink(p)) {
                String problem = unsafeTokenizerFile(tokenizerDir, f);
                if (problem != null) {
                    out.add(problem);
                }
            }
        }
        return out;
    }

    private static String unsafeTokenizerFile(Path dir, String name) throws IOException {
        Path file = dir.resolve(name);
        if (!Files.exists(file)) {
            return file + ": a link to nothing";
        }
        Path real = file.toRealPath();
        Path base = dir.toRealPath();
        if (!real.startsWith(base)) {
            return file + ": links to " + real + ", outside " + base;
        }
        if (!Files.isRegularFile(real)) {
            return file + ": not a regular file";
        }
        return null;
    }

    private static void writeAtomically(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void copyAtomically(Path from, Path target) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void close() {
        manager.close();
    }
}
