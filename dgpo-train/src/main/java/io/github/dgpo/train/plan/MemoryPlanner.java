package io.github.dgpo.train.plan;

import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.BaseDtype;
import io.github.dgpo.core.model.LoraAdapters;
import io.github.dgpo.core.model.LoraConfig;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.model.ParameterLayout;
import io.github.dgpo.data.DataFormat;
import io.github.dgpo.losses.LossInput;
import io.github.dgpo.losses.PreferenceLoss;
import io.github.dgpo.losses.PreferenceLosses;
import io.github.dgpo.train.config.TrainConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Predicts a training run's peak memory from its config and the model's {@code config.json}
 * alone (no weights), by component: frozen weights, trained weights, their gradients and AdamW
 * moments, the reference, the body's activations and the output head's chunk, plus the runtime.
 *
 * <p>The model follows what dgpo's code keeps alive, tensor by tensor: each decoder layer runs in
 * its own scope, so what outlives it is what libtorch's autograd saves for backward (counted op
 * by op below: the layer input, the rotary queries, the keys and values expanded to all query
 * heads, the attention probabilities {@code [N, heads, T, T]}, the MLP's four {@code [N·T, I]}
 * tensors, and what a full fine-tune or a LoRA module saves besides); with checkpointing only the
 * layer inputs stay and one layer is re-run at a time. The step's peak is the largest of its
 * phases: the body's forward and backward, the head (while the body's activations are held), the
 * optimizer update, an evaluation pass, and precomputing reference log-probabilities. Rows are
 * {@code 2·batch} of {@code max_length} (pairs, separate rows), {@code batch} of {@code
 * 2·max_length − max_prompt_length} (shared prompts), or {@code batch} of {@code max_length}
 * (unpaired): every sequence is assumed {@code max_length} long. Validated against measured peak
 * resident memory in {@code docs/scaling.md}.
 */
public final class MemoryPlanner {

    /** Resident memory of the JVM and libtorch around a run on the CPU, beside the model (measured, docs/scaling.md). */
    public static final long CPU_RUNTIME = 600L << 20;
    /** CUDA context, kernels and the caching allocator's slack: an allowance, not measured here (no GPU). */
    public static final long CUDA_RUNTIME = 1L << 30;

    private static final long F32 = 4;

    private MemoryPlanner() {}

    /**
     * Plans a run.
     *
     * @param model the model's config
     * @param c the run's config
     * @param cuda whether the run is on a GPU (the runtime allowance differs)
     * @return the plan
     */
    public static MemoryPlan plan(ModelConfig model, TrainConfig c, boolean cuda) {
        Map<String, long[]> shapes = ParameterLayout.of(model).shapes();
        boolean lora = c.usePeft;
        LoraConfig lc = lora ? c.lora() : null;
        BaseDtype frozen = c.frozenDtype();
        long modelF32 = bytes(shapes, model, BaseDtype.FLOAT32);
        long modelFrozen = bytes(shapes, model, frozen);
        long adapters = lora ? adapterCount(model, lc, shapes) * F32 : 0;
        long largestTrainable = lora ? largestAdapter(model, lc, shapes) : shapes.values().stream().mapToLong(MemoryPlanner::size).max().orElse(0) * F32;

        PreferenceLoss loss = PreferenceLosses.create(c.lossType, c.lossHyperparameters());
        boolean unpaired = DataFormat.parse(c.datasetFormat) == DataFormat.KTO;
        boolean needsReference = loss.inputs().contains(LossInput.REFERENCE) || (unpaired && loss.unpaired().isPresent());
        boolean live = needsReference && !c.precomputeRefLogProbs;
        boolean sharedBase = lora && c.refModelNameOrPath == null;
        long referenceModel = sharedBase ? (c.adapterNameOrPath != null ? adapters : 0) : modelFrozen;

        long weights = lora ? modelFrozen : 0;
        long trainable = lora ? adapters : modelF32;
        long reference = live ? referenceModel : 0;
        long runtime = cuda ? CUDA_RUNTIME : CPU_RUNTIME;

        Rows train = rows(c, unpaired, c.perDeviceTrainBatchSize);
        Rows eval = rows(c, unpaired, c.perDeviceEvalBatchSize);
        Layer layer = new Layer(model, lc, frozen, lora, train);
        int depth = model.layers();
        long head = head(model, c, train);
        long headNoGrad = headNoGrad(model, c, train);
        long selected = train.sequences * (long) (c.maxLength - 1) * model.hiddenSize() * F32;

        Map<String, Long> phases = new LinkedHashMap<>();
        long held;
        long forward;
        long backward;
        if (c.gradientCheckpointing) {
            held = (depth + 1) * layer.input;
            forward = held + layer.noGrad;
            backward = held + layer.saved + layer.widened + layer.backwardTransient;
        } else {
            held = depth * (layer.saved + layer.widened);
            forward = held + layer.forwardTransient;
            backward = held + layer.backwardTransient;
        }
        long statics = weights + trainable + trainable + 2 * trainable + reference + runtime;
        phases.put("forward", statics + forward + selected);
        phases.put("head", statics + held + head);
        phases.put("backward", statics + backward + 2 * selected);
        phases.put("optimizer", statics + 5 * largestTrainable);
        phases.put("eval", statics + new Layer(model, lc, frozen, lora, eval).noGrad + headNoGrad(model, c, eval));
        if (needsReference && c.precomputeRefLogProbs) {
            long policy = lora ? modelFrozen : modelF32;
            phases.put("reference", policy + referenceModel + runtime + new Layer(model, lc, frozen, lora, eval).noGrad + headNoGrad(model, c, eval));
        }
        String phase = phases.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();

        Map<String, Long> components = new LinkedHashMap<>();
        components.put("weights", phase.equals("reference") ? (lora ? modelFrozen : modelF32) : weights);
        components.put("trainable", phase.equals("reference") ? 0 : trainable);
        components.put("gradients", phase.equals("reference") ? 0 : trainable);
        components.put("optimizer", phase.equals("reference") ? 0 : 2 * trainable + (phase.equals("optimizer") ? 5 * largestTrainable : 0));
        components.put("reference", phase.equals("reference") ? referenceModel : reference);
        long total = phases.get(phase);
        long accounted = components.values().stream().mapToLong(Long::longValue).sum() + runtime;
        long headPart = switch (phase) {
            case "head" -> head;
            case "eval", "reference" -> headNoGrad(model, c, eval);
            case "forward" -> selected;
            case "backward" -> 2 * selected;
            default -> 0;
        };
        components.put("activations", total - accounted - headPart);
        components.put("head", headPart);
        components.put("runtime", runtime);

        Map<String, Object> notes = new LinkedHashMap<>();
        notes.put("rows", train.rows);
        notes.put("width", train.width);
        notes.put("layer_saved_bytes", layer.saved + layer.widened);
        notes.put("checkpointing", c.gradientCheckpointing);
        notes.put("reference", !needsReference ? "none" : c.precomputeRefLogProbs ? "precomputed" : sharedBase ? "adapters-off" : "live");
        notes.put("base_dtype", frozen.configName());
        notes.put("phases_bytes", phases);
        return new MemoryPlan(components, phase, notes);
    }

    /** The rows one pass runs: count, width, and the sequences they hold. */
    private record Rows(long rows, long width, long sequences) {}

    private static Rows rows(TrainConfig c, boolean unpaired, int batch) {
        long t = c.maxLength;
        if (unpaired) {
            return new Rows(batch, t, batch);
        }
        if (c.prefixSharing) {
            long prompt = c.maxPromptLength > 0 ? Math.min(c.maxPromptLength, t - 1) : 1;
            return new Rows(batch, 2 * t - prompt, 2L * batch);
        }
        return new Rows(2L * batch, t, 2L * batch);
    }

    /**
     * The bytes one decoder layer keeps and makes, for rows {@code N} of width {@code S} ({@code M
     * = N·S} tokens), hidden {@code H}, query width {@code Q}, key width {@code K}, MLP width
     * {@code I}, attention probabilities {@code P = N·heads·S²}.
     */
    private static final class Layer {
        /** Its input {@code [M, H]} (what checkpointing keeps). */
        final long input;
        /** What autograd saves for backward. */
        final long saved;
        /** Widened float16 weights autograd saves (a float16 base without checkpointing). */
        final long widened;
        /** Temporaries beside the saved tensors while the layer runs forward with a graph. */
        final long forwardTransient;
        /** Gradient temporaries while backward runs through the layer. */
        final long backwardTransient;
        /** Everything the layer makes without a graph (all alive until its scope closes). */
        final long noGrad;

        Layer(ModelConfig m, LoraConfig lc, BaseDtype frozen, boolean lora, Rows rows) {
            long tokens = rows.rows * rows.width;
            long h = m.hiddenSize();
            long q = (long) m.heads() * m.headDim();
            long k = (long) m.kvHeads() * m.headDim();
            long i = m.intermediateSize();
            long p = rows.rows * m.heads() * rows.width * rows.width;
            boolean qkNorm = m.architecture() == Architecture.QWEN3;
            // common: input x and residual h, rotary q, k and v expanded to every query head,
            // probabilities, silu's input and sigmoid, silu's output and up
            long elements = 2 * tokens * h + 3 * tokens * q + p + 4 * tokens * i + (qkNorm ? tokens * (q + k) : 0);
            if (!lora) {
                // the projections' inputs (normed x and h, attention output, down's input) and the two norms' quotients
                elements += 4 * tokens * h + tokens * q + tokens * i;
            } else {
                double dropout = lc.dropout();
                for (String module : lc.targetModules()) {
                    long in = switch (module) {
                        case "o_proj" -> q;
                        case "down_proj" -> i;
                        default -> h;
                    };
                    elements += tokens * lc.r() + (dropout > 0 ? 2 * tokens * in : 0);
                }
                if (dropout == 0) {
                    List<String> t = lc.targetModules();
                    elements += (t.contains("q_proj") || t.contains("k_proj") || t.contains("v_proj") ? tokens * h : 0) + (t.contains("o_proj") ? tokens * q : 0)
                            + (t.contains("gate_proj") || t.contains("up_proj") ? tokens * h : 0) + (t.contains("down_proj") ? tokens * i : 0);
                }
            }
            this.input = tokens * h * F32;
            this.saved = elements * F32;
            long layerWeights = 2 * h * q + 2 * h * k + 3 * h * i;
            this.widened = frozen == BaseDtype.FLOAT16 && lora ? layerWeights * F32 : 0;
            this.forwardTransient = (2 * p + 2 * tokens * i) * F32;
            this.backwardTransient = (3 * p + 3 * tokens * i) * F32;
            this.noGrad = (10 * tokens * h + 10 * tokens * q + 2 * p + 5 * tokens * i) * F32 + (frozen == BaseDtype.FLOAT16 ? h * i * F32 : 0);
        }
    }

    /** The chunked head with a graph: a chunk's logits, shifted logits, exponentials and their two gradients. */
    private static long head(ModelConfig m, TrainConfig c, Rows rows) {
        return 5 * chunk(c, rows) * m.vocabSize() * F32;
    }

    /** The chunked head without a graph: a chunk's logits, shifted logits and exponentials. */
    private static long headNoGrad(ModelConfig m, TrainConfig c, Rows rows) {
        return 3 * chunk(c, rows) * m.vocabSize() * F32;
    }

    private static long chunk(TrainConfig c, Rows rows) {
        long positions = rows.sequences * (long) (c.maxLength - 1);
        return c.logitsChunkSize == 0 ? positions : Math.min(c.logitsChunkSize, positions);
    }

    private static long bytes(Map<String, long[]> shapes, ModelConfig m, BaseDtype dtype) {
        return shapes.entrySet().stream().mapToLong(e -> size(e.getValue()) * (dtype.narrows(e.getKey(), m) ? 2 : 4)).sum();
    }

    private static long adapterCount(ModelConfig m, LoraConfig lc, Map<String, long[]> shapes) {
        return LoraAdapters.moduleNames(m, lc.targetModules()).stream().mapToLong(n -> {
            long[] w = shapes.get(n + ".weight");
            return (long) lc.r() * (w[0] + w[1]);
        }).sum();
    }

    private static long largestAdapter(ModelConfig m, LoraConfig lc, Map<String, long[]> shapes) {
        return LoraAdapters.moduleNames(m, lc.targetModules()).stream().mapToLong(n -> {
            long[] w = shapes.get(n + ".weight");
            return (long) lc.r() * Math.max(w[0], w[1]);
        }).max().orElse(0) * F32;
    }

    private static long size(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
