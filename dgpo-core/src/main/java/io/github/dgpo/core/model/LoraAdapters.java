package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.dgpo.core.NoGradient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * LoRA adapters of a model's projections (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large
 * Language Models"): for each adapted projection {@code W} a pair {@code A [r, in]}, {@code B
 * [out, r]} and a scaling {@code s}, so the projection computes {@code x·Wᵀ + s·(dropout(x)·Aᵀ)·Bᵀ}.
 * Initialised as PEFT does: {@code A} Kaiming-uniform ({@code a = √5}, i.e. {@code U(-1/√in,
 * 1/√in)}), {@code B} zero, so an untrained adapter leaves the model exactly as it was.
 *
 * <p>Parameter names are the module's HF name plus {@code .lora_A.weight} / {@code
 * .lora_B.weight} (PEFT's file adds {@code base_model.model.} in front; see {@link
 * PeftAdapterIo}). The arrays are float32 and owned by the adapters' own manager.
 */
public final class LoraAdapters implements AutoCloseable {

    /**
     * One adapted projection.
     *
     * @param a {@code [r, in]}
     * @param b {@code [out, r]}
     * @param scaling the output scaling {@code s}
     */
    public record Module(NDArray a, NDArray b, double scaling) {

        /** @return the rank {@code r} */
        public int rank() {
            return Math.toIntExact(a.getShape().get(0));
        }
    }

    private final LoraConfig config;
    private final NDManager manager;
    private final Map<String, Module> modules;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private boolean trainable;
    private long stepSeed;
    private long passes;

    LoraAdapters(LoraConfig config, NDManager manager, Map<String, Module> modules) {
        this.config = config;
        this.manager = manager;
        this.modules = Collections.unmodifiableMap(new LinkedHashMap<>(modules));
        modules.forEach((name, m) -> {
            parameters.put(name + ".lora_A.weight", m.a());
            parameters.put(name + ".lora_B.weight", m.b());
        });
    }

    /**
     * The HF names of the projections a config adapts, layer by layer in module order.
     *
     * @param model the model's config
     * @param targets short module names ({@link LoraConfig#MODULES})
     * @return e.g. {@code model.layers.0.self_attn.q_proj}
     */
    public static List<String> moduleNames(ModelConfig model, List<String> targets) {
        List<String> names = new ArrayList<>();
        for (int layer = 0; layer < model.layers(); layer++) {
            for (String m : LoraConfig.MODULES) {
                if (targets.contains(m)) {
                    names.add("model.layers." + layer + (m.equals("gate_proj") || m.equals("up_proj") || m.equals("down_proj") ? ".mlp." : ".self_attn.") + m);
                }
            }
        }
        return names;
    }

    /**
     * Creates fresh adapters: {@code A} Kaiming-uniform from a seeded Java generator (module by
     * module in layer order), {@code B} zero.
     *
     * @param model the model's config
     * @param config the adapters' settings
     * @param seed the seed
     * @param parent manager the adapters' own manager is created under
     * @return the adapters (no gradient until {@link #setTrainable(boolean)})
     */
    public static LoraAdapters initialise(ModelConfig model, LoraConfig config, long seed, NDManager parent) {
        Map<String, long[]> shapes = ParameterLayout.of(model).shapes();
        Random random = new Random(seed);
        NDManager own = parent.newSubManager();
        Map<String, Module> modules = new LinkedHashMap<>();
        for (String name : moduleNames(model, config.targetModules())) {
            long[] w = shapes.get(name + ".weight");
            int in = Math.toIntExact(w[1]);
            float[] a = new float[Math.multiplyExact(config.r(), in)];
            double bound = 1 / Math.sqrt(in);
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((2 * random.nextDouble() - 1) * bound);
            }
            modules.put(name, new Module(own.create(a, new Shape(config.r(), in)), own.zeros(new Shape(w[0], config.r()), DataType.FLOAT32), config.scaling()));
        }
        return new LoraAdapters(config, own, modules);
    }

    /**
     * Returns the settings ({@code r} and {@code alpha} are the defaults of modules that carry
     * their own, as an adapter written by PEFT with {@code rank_pattern} may).
     *
     * @return the config
     */
    public LoraConfig config() {
        return config;
    }

    /**
     * Returns the adapted projections by HF module name.
     *
     * @return an unmodifiable ordered map
     */
    public Map<String, Module> modules() {
        return modules;
    }

    /**
     * Returns the adapter parameters ({@code <module>.lora_A.weight}, {@code <module>.lora_B.weight}).
     *
     * @return an unmodifiable ordered map
     */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /**
     * Returns the number of adapter scalars.
     *
     * @return the parameter count
     */
    public long count() {
        return parameters.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    /**
     * Attaches (or drops) gradients on every adapter parameter.
     *
     * @param trainable true to train
     */
    public void setTrainable(boolean trainable) {
        parameters.values().forEach(p -> p.setRequiresGradient(trainable));
        this.trainable = trainable;
    }

    /** @return whether the adapters take gradients */
    public boolean trainable() {
        return trainable;
    }

    /**
     * A frozen copy (no gradient), e.g. the reference of a run that starts from an adapter.
     *
     * @param parent manager the copy's own manager is created under
     * @return the copy
     */
    public LoraAdapters frozenCopy(NDManager parent) {
        NDManager own = parent.newSubManager();
        Map<String, Module> copies = new LinkedHashMap<>();
        modules.forEach((name, m) -> copies.put(name, new Module(copy(m.a(), own), copy(m.b(), own), m.scaling())));
        return new LoraAdapters(config, own, copies);
    }

    private static NDArray copy(NDArray a, NDManager to) {
        NDArray c = a.duplicate();
        c.attach(to);
        return c;
    }

    /**
     * Adds every module's update {@code s·B·A} to the matching float32 weight, in place (PEFT's
     * {@code merge_and_unload}).
     *
     * @param weights the base model's parameters by HF name
     */
    public void mergeInto(Map<String, NDArray> weights) {
        try (NoGradient off = NoGradient.enter()) {
            modules.forEach((name, m) -> {
                NDArray w = weights.get(name + ".weight");
                if (w == null || w.getDataType() != DataType.FLOAT32) {
                    throw new IllegalArgumentException("cannot merge into " + name + ".weight: " + (w == null ? "no such weight" : "it is " + w.getDataType() + ", not float32"));
                }
                try (NDManager tmp = w.getManager().newSubManager()) {
                    NDArray delta = m.b().matMul(m.a());
                    delta.attach(tmp);
                    NDArray scaled = delta.mul(m.scaling());
                    scaled.attach(tmp);
                    w.addi(scaled);
                }
            });
        }
    }

    /**
     * Starts the dropout masks of a training step: every mask of the step's passes derives from
     * the seed, the step, the pass's order in the step, the layer and the module, so a run
     * resumed at a step draws the masks of an uninterrupted run.
     *
     * @param seed the run's seed
     * @param step the step about to run (0-based)
     */
    public void beginStep(long seed, long step) {
        stepSeed = Seeds.mix(seed, step);
        passes = 0;
    }

    /** @return the dropout seed of the next training pass, or null when dropout is off */
    Long nextPassSeed() {
        return config.dropout() == 0 ? null : Seeds.mix(stepSeed, passes++);
    }

    @Override
    public void close() {
        manager.close();
    }
}
