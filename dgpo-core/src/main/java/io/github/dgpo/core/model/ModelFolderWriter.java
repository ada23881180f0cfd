package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.safetensors.ArraySource;
import io.github.dgpo.core.safetensors.DType;
import io.github.dgpo.core.safetensors.SafetensorsWriter;
import io.github.dgpo.core.util.InputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a model as an HF folder that transformers loads: sharded safetensors, {@code
 * config.json} with every field the source config had, {@code generation_config.json}, and the
 * tokenizer files. Every file is written to a temporary name and moved into place, and only
 * tokenizer files that are regular files inside their folder are copied (a symlink to {@code
 * /etc/passwd} or a private key must not end up in a model folder someone may publish).
 */
final class ModelFolderWriter {

    // logs as CausalLm, the entry point whose logger users configure
    private static final Logger LOG = LoggerFactory.getLogger(CausalLm.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelFolderWriter() {}

    /**
     * Writes the model as an HF folder: weights, {@code config.json}, {@code
     * generation_config.json} (the source's, or one from the config's token ids) and the
     * tokenizer files of the tokenizer folder (or the source folder).
     *
     * @param dir the folder (created if absent)
     * @param parameters the weights by HF name
     * @param config the config
     * @param source the folder the model was loaded from, or null
     * @param dtype F32 or BF16
     * @param maxShardBytes shard size limit
     * @param tokenizerDir folder to copy tokenizer files from, or null for the source folder
     * @throws IOException if a file cannot be written
     */
    static void write(Path dir, Map<String, NDArray> parameters, ModelConfig config, Path source, DType dtype, long maxShardBytes, Path tokenizerDir)
            throws IOException {
        Files.createDirectories(dir);
        List<SafetensorsWriter.Source> sources = new ArrayList<>();
        parameters.forEach((name, array) -> sources.add(new ArraySource(name, array)));
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
            for (Map.Entry<String, String> e : checkPresent(tok, CausalLm.TOKENIZER_FILES).entrySet()) {
                if (e.getValue() != null) {
                    LOG.warn("{}; not copied into {}", e.getValue(), dir);
                } else {
                    copyAtomically(tok.resolve(e.getKey()), dir.resolve(e.getKey()));
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
     * The tokenizer files of a folder that {@link #write} would not copy, and why: a file that
     * is not a regular file (a FIFO or device), or a symbolic link that resolves outside the
     * folder. A trainer can call this before a run to refuse such a folder up front.
     *
     * @param tokenizerDir the folder
     * @return one sentence per file (empty when every file present is safe to copy)
     * @throws IOException if the folder cannot be resolved
     */
    static List<String> unsafeTokenizerFiles(Path tokenizerDir) throws IOException {
        List<String> names = new ArrayList<>(CausalLm.TOKENIZER_FILES);
        names.add("tokenizer.json.gz");
        List<String> out = new ArrayList<>();
        for (String problem : checkPresent(tokenizerDir, names).values()) {
            if (problem != null) {
                out.add(problem);
            }
        }
        return out;
    }

    /** The files of {@code names} present in {@code dir} (links included), each with why it must not be copied, or null. */
    private static Map<String, String> checkPresent(Path dir, List<String> names) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String f : names) {
            if (Files.exists(dir.resolve(f), LinkOption.NOFOLLOW_LINKS)) {
                out.put(f, unsafeTokenizerFile(dir, f));
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
}
