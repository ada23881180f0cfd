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

        PreferenceLoss loss = c.loss();
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
        Layer evalLayer = new Layer(model, lc, frozen, lora, eval);
        int depth = model.layers();
        long selected = selected(model, c, train);
        long held = c.gradientCheckpointing ? (depth + 1) * layer.input : depth * layer.saved;
        long statics = weights + 4 * trainable + reference + runtime;

        // bytes alive beside the statics in each phase of a step, as {activations, head}
        Map<String, long[]> phases = new LinkedHashMap<>();
        if (c.gradientCheckpointing) {
            phases.put("forward", new long[] {held + layer.noGrad, 0});
            phases.put("backward", new long[] {held + layer.working + layer.backward, 2 * selected});
        } else {
            phases.put("forward", new long[] {(depth - 1) * layer.saved + layer.working, 0});
            phases.put("backward", new long[] {held + layer.backward, 2 * selected});
        }
        phases.put("head", new long[] {held, head(model, c, train) + 2 * selected});
        phases.put("optimizer", new long[] {0, 0});
        phases.put("eval", new long[] {Math.max(evalLayer.noGrad, layer.noGrad), Math.max(headNoGrad(model, c, eval), headNoGrad(model, c, train)) + selected(model, c, eval)});
        long optimizerTemporaries = 5 * largestTrainable;

        String phase = null;
        long best = -1;
        for (Map.Entry<String, long[]> e : phases.entrySet()) {
            long total = statics + e.getValue()[0] + e.getValue()[1] + (e.getKey().equals("optimizer") ? optimizerTemporaries : 0);
            if (total > best) {
                best = total;
                phase = e.getKey();
            }
        }
        long[] at = phases.get(phase);
        Map<String, Long> components = new LinkedHashMap<>();
        components.put("weights", weights);
        components.put("trainable", trainable);
        components.put("gradients", trainable);
        components.put("optimizer", 2 * trainable + (phase.equals("optimizer") ? optimizerTemporaries : 0));
        components.put("reference", reference);
        components.put("activations", at[0]);
        components.put("head", at[1]);
        components.put("runtime", runtime);
        // precomputing reference log-probabilities: the policy and the reference model, one eval-batch pass, before training
        if (needsReference && c.precomputeRefLogProbs) {
            long policyWeights = lora ? modelFrozen : modelF32;
            long pass = Math.max(evalLayer.noGrad, headNoGrad(model, c, eval) + selected(model, c, eval));
            if (policyWeights + referenceModel + runtime + pass > best) {
                phase = "reference";
                components.put("weights", policyWeights);
                components.put("trainable", 0L);
                components.put("gradients", 0L);
                components.put("optimizer", 0L);
                components.put("reference", referenceModel);
                components.put("activations", evalLayer.noGrad >= pass ? evalLayer.noGrad : 0L);
                components.put("head", evalLayer.noGrad >= pass ? 0L : pass);
            }
        }

        Map<String, Object> notes = new LinkedHashMap<>();
        notes.put("rows", train.rows);
        notes.put("width", train.width);
        notes.put("layer_saved_bytes", layer.saved);
        notes.put("checkpointing", c.gradientCheckpointing);
        notes.put("reference", !needsReference ? "none" : c.precomputeRefLogProbs ? "precomputed" : sharedBase ? "adapters-off" : "live");
        notes.put("base_dtype", frozen.configName());
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
     * {@code I}, attention probabilities {@code P = N·heads·S²} (one tensor).
     */
    private static final class Layer {
        /** Its input {@code [M, H]} (what checkpointing keeps). */
        final long input;
        /** What autograd saves for backward (and a float16 base's widened weights). */
        final long saved;
        /** Everything the layer makes without a graph (all alive until its scope closes). */
        final long noGrad;
        /** Everything the layer makes with a graph (alive until its scope closes). */
        final long working;
        /** Gradient temporaries while backward runs through the layer. */
        final long backward;

        Layer(ModelConfig m, LoraConfig lc, BaseDtype frozen, boolean lora, Rows rows) {
            long t = rows.rows * rows.width;
            long h = m.hiddenSize();
            long q = (long) m.heads() * m.headDim();
            long k = (long) m.kvHeads() * m.headDim();
            long i = m.intermediateSize();
            long p = rows.rows * m.heads() * rows.width * rows.width;
            boolean qkNorm = m.architecture() == Architecture.QWEN3;
            long weights = 2 * h * q + 2 * h * k + 3 * h * i;
            boolean widen = frozen == BaseDtype.FLOAT16 && lora;

            // saved by autograd: input x and residual h, rotary q, k and v expanded to every query
            // head, the probabilities, silu's input and sigmoid, silu's output and up
            long saved = 2 * t * h + 3 * t * q + p + 4 * t * i + (qkNorm ? t * (q + k) : 0);
            // made without a graph: the norms' steps, projections, rotary steps, two T² tensors at
            // the softmax, the attention output and its copy, the MLP's five [M, I] tensors
            long noGrad = 10 * t * h + 15 * t * q / 2 + 13 * t * k / 2 + 2 * p + 5 * t * i + (qkNorm ? 3 * t * (q + k) : 0);
            long dropped = 0;
            if (!lora) {
                // the projections' inputs (normed x and h, attention output, down's input) and the norms' quotients
                saved += 4 * t * h + t * q + t * i;
            } else {
                boolean dropout = lc.dropout() > 0;
                for (String module : lc.targetModules()) {
                    long in = switch (module) {
                        case "o_proj" -> q;
                        case "down_proj" -> i;
                        default -> h;
                    };
                    long out = switch (module) {
                        case "q_proj" -> q;
                        case "k_proj", "v_proj" -> k;
                        case "gate_proj", "up_proj" -> i;
                        default -> h;
                    };
                    saved += t * lc.r() + (dropout ? 2 * t * in : 0);
                    dropped += dropout ? 2 * t * in : 0;
                    noGrad += 2 * t * lc.r() + 3 * t * out;
                }
                if (!dropout) {
                    List<String> tm = lc.targetModules();
                    saved += (tm.contains("q_proj") || tm.contains("k_proj") || tm.contains("v_proj") ? t * h : 0) + (tm.contains("o_proj") ? t * q : 0)
                            + (tm.contains("gate_proj") || tm.contains("up_proj") ? t * h : 0) + (tm.contains("down_proj") ? t * i : 0);
                }
                saved += widen ? weights : 0;
            }
            this.input = t * h * F32;
            this.saved = saved * F32;
            this.noGrad = (noGrad + (frozen == BaseDtype.FLOAT16 ? h * i : 0)) * F32;
            this.working = (noGrad + dropped + (widen ? weights : 0) + (lora ? 0 : 4 * t * h)) * F32;
            this.backward = (3 * p + 3 * t * i + 2 * t * h) * F32;
        }
    }

    /** Completion positions' hidden states {@code [positions, H]}, selected for the head. */
    private static long selected(ModelConfig m, TrainConfig c, Rows rows) {
        return rows.sequences * (long) (c.maxLength - 1) * m.hiddenSize() * F32;
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
