package io.github.dgpo.train.run;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.PeftAdapterIo;
import io.github.dgpo.core.safetensors.ArraySource;
import io.github.dgpo.core.safetensors.DType;
import io.github.dgpo.core.safetensors.SafetensorsFile;
import io.github.dgpo.core.safetensors.SafetensorsWriter;
import io.github.dgpo.core.safetensors.TensorInfo;
import io.github.dgpo.core.util.JsonFiles;
import io.github.dgpo.train.optim.AdamW;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code output_dir/checkpoint-<step>/}: the HF model folder (float32, so a resumed run is
 * exact) or, with LoRA, the PEFT adapter, {@code trainer_state.json} and {@code
 * optimizer.safetensors} (AdamW's moments of the trainable parameters). Each
 * is written into {@code .tmp-checkpoint-<step>} and renamed when complete, so a crash never
 * leaves a half-written checkpoint under a real name; older checkpoints beyond {@code
 * save_total_limit} are deleted.
 */
public final class Checkpoints {

    /** Trainer state file name. */
    public static final String STATE = "trainer_state.json";
    /** Optimizer moments file name. */
    public static final String OPTIMIZER = "optimizer.safetensors";

    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Checkpoints() {}

    /**
     * Writes a checkpoint.
     *
     * @param runDir the run folder
     * @param model the policy
     * @param optimizer the optimizer
     * @param state the trainer state
     * @param tokenizerDir tokenizer files to copy beside the model
     * @param keep how many checkpoints to keep (0: all)
     * @return the checkpoint folder
     * @throws IOException if it cannot be written
     */
    public static Path save(Path runDir, CausalLm model, AdamW optimizer, TrainerState state, Path tokenizerDir, int keep) throws IOException {
        Path target = runDir.resolve("checkpoint-" + state.globalStep);
        Path tmp = runDir.resolve(".tmp-checkpoint-" + state.globalStep);
        deleteTree(tmp);
        saveModel(tmp, model, DType.F32, Long.MAX_VALUE, tokenizerDir);
        List<SafetensorsWriter.Source> moments = new ArrayList<>();
        optimizer.firstMoments().forEach((n, a) -> moments.add(new ArraySource("exp_avg." + n, a)));
        optimizer.secondMoments().forEach((n, a) -> moments.add(new ArraySource("exp_avg_sq." + n, a)));
        Path optimizerDir = tmp.resolve("optimizer");
        new SafetensorsWriter(DType.F32, Long.MAX_VALUE).write(optimizerDir, moments);
        Files.move(optimizerDir.resolve("model.safetensors"), tmp.resolve(OPTIMIZER));
        Files.delete(optimizerDir);
        JSON.writeValue(tmp.resolve(STATE).toFile(), state);
        deleteTree(target);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        prune(runDir, keep);
        return target;
    }

    /**
     * Saves what a run trains: the HF model folder, or with LoRA the adapter in PEFT's format
     * ({@code adapter_config.json}, {@code adapter_model.safetensors}, float32).
     *
     * @param dir the folder
     * @param model the policy
     * @param dtype F32 or BF16 (a full model's weights)
     * @param maxShardBytes shard size limit (a full model's weights)
     * @param tokenizerDir tokenizer files to copy beside a full model
     * @throws IOException if it cannot be written
     */
    public static void saveModel(Path dir, CausalLm model, DType dtype, long maxShardBytes, Path tokenizerDir) throws IOException {
        if (model.adapters() != null) {
            PeftAdapterIo.write(dir, model.adapters(), model.source() == null ? null : model.source().toAbsolutePath().toString());
        } else {
            model.save(dir, dtype, maxShardBytes, tokenizerDir);
        }
    }

    /**
     * The newest complete checkpoint.
     *
     * @param runDir the run folder
     * @return its folder, if any
     * @throws IOException if the folder cannot be listed
     */
    public static Optional<Path> newest(Path runDir) throws IOException {
        List<Path> all = list(runDir);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /**
     * Reads a checkpoint's trainer state.
     *
     * @param checkpoint the folder
     * @return the state
     * @throws IOException if it cannot be read
     */
    public static TrainerState state(Path checkpoint) throws IOException {
        Path file = checkpoint.resolve(STATE);
        try {
            return JSON.treeToValue(JsonFiles.readObject(file), TrainerState.class);
        } catch (JsonProcessingException e) {
            throw JsonFiles.error(file.toString(), e);
        }
    }

    /**
     * Restores AdamW's moments and step count.
     *
     * @param checkpoint the folder
     * @param optimizer the optimizer to fill
     * @param adamSteps the saved step count
     * @throws IOException if the file cannot be read
     */
    public static void restoreOptimizer(Path checkpoint, AdamW optimizer, long adamSteps) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(checkpoint.resolve(OPTIMIZER))) {
            fill(f, "exp_avg.", optimizer.firstMoments());
            fill(f, "exp_avg_sq.", optimizer.secondMoments());
        }
        optimizer.setSteps(adamSteps);
    }

    private static void fill(SafetensorsFile f, String prefix, Map<String, NDArray> arrays) throws IOException {
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            TensorInfo t = f.tensors().get(prefix + e.getKey());
            if (t == null) {
                throw new IOException(f.path() + ": no moment '" + prefix + e.getKey() + "'");
            }
            float[] values = new float[Math.toIntExact(t.elements())];
            f.readFloats(t, 0, values, 0, values.length);
            e.getValue().set(FloatBuffer.wrap(values));
        }
    }

    /**
     * Complete checkpoints of a run, oldest first.
     *
     * @param runDir the run folder
     * @return their folders
     * @throws IOException if the folder cannot be listed, or holds a {@code checkpoint-<n>}
     *     whose step no run can reach (dgpo counts steps in an {@code int})
     */
    public static List<Path> list(Path runDir) throws IOException {
        if (!Files.isDirectory(runDir)) {
            return List.of();
        }
        List<Path> found;
        try (Stream<Path> s = Files.list(runDir)) {
            found = s.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && Files.exists(p.resolve(STATE))).collect(Collectors.toList());
        }
        for (Path p : found) {
            step(p);
        }
        found.sort(Comparator.comparingLong(Checkpoints::stepUnchecked));
        return found;
    }

    /** The step of a {@code checkpoint-<step>} folder, refusing one past the {@code int} steps dgpo counts. */
    private static int step(Path checkpoint) throws IOException {
        long step = stepUnchecked(checkpoint);
        if (step > Integer.MAX_VALUE) {
            throw new IOException(checkpoint + ": not a checkpoint dgpo wrote (step " + checkpoint.getFileName().toString().substring("checkpoint-".length()) + " is past " + Integer.MAX_VALUE
                    + "); move it out of the output folder");
        }
        return (int) step;
    }

    private static long stepUnchecked(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) {
            return -1;
        }
        String digits = m.group(1).replaceFirst("^0+(?=\\d)", "");
        return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
    }

    private static void prune(Path runDir, int keep) throws IOException {
        if (keep <= 0) {
            return;
        }
        List<Path> all = list(runDir);
        for (int i = 0; i < all.size() - keep; i++) {
            deleteTree(all.get(i));
        }
    }

    /**
     * Deletes a folder tree if it exists.
     *
     * @param dir the folder
     * @throws IOException if it cannot be deleted
     */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.delete(p);
            }
        }
    }
}
