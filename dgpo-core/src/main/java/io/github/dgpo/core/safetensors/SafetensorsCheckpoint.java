package io.github.dgpo.core.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.core.util.JsonFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The weights of an HF model folder: {@code model.safetensors}, or the shards listed by {@code
 * model.safetensors.index.json}. Every shard is opened and validated up front, and every
 * tensor the index names must be in the shard it names.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {

    /** Single-file weights name. */
    public static final String SINGLE = "model.safetensors";
    /** Sharded weights index name. */
    public static final String INDEX = "model.safetensors.index.json";

    private final Map<String, SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner;

    private SafetensorsCheckpoint(Map<String, SafetensorsFile> files, Map<String, SafetensorsFile> owner) {
        this.files = files;
        this.owner = owner;
    }

    /**
     * Opens the weights of a model folder.
     *
     * @param dir the folder
     * @return the checkpoint; close it
     * @throws IOException naming the file and tensor on any defect
     */
    public static SafetensorsCheckpoint open(Path dir) throws IOException {
        Path index = dir.resolve(INDEX);
        Path single = dir.resolve(SINGLE);
        Map<String, SafetensorsFile> files = new LinkedHashMap<>();
        Map<String, SafetensorsFile> owner = new TreeMap<>();
        try {
            if (Files.exists(index, LinkOption.NOFOLLOW_LINKS)) {
                for (Map.Entry<String, String> e : readIndex(index).entrySet()) {
                    String shardName = e.getValue();
                    if (shardName.contains("/") || shardName.contains("\\")) {
                        throw new SafetensorsException(index, "shard name '" + shardName + "' is not a plain file name");
                    }
                    SafetensorsFile shard = files.get(shardName);
                    if (shard == null) {
                        Path shardPath = dir.resolve(shardName);
                        if (!Files.exists(shardPath)) {
                            throw new SafetensorsException(index, "tensor '" + e.getKey() + "' is in shard " + shardName + ", which does not exist");
                        }
                        shard = SafetensorsFile.open(shardPath);
                        files.put(shardName, shard);
                    }
                    if (!shard.tensors().containsKey(e.getKey())) {
                        throw new SafetensorsException(shard.path(), "tensor '" + e.getKey() + "' listed in " + INDEX + " is missing");
                    }
                    owner.put(e.getKey(), shard);
                }
            } else if (Files.exists(single, LinkOption.NOFOLLOW_LINKS)) {
                SafetensorsFile file = SafetensorsFile.open(single);
                files.put(SINGLE, file);
                file.tensors().keySet().forEach(n -> owner.put(n, file));
            } else {
                throw new SafetensorsException(dir, "no " + SINGLE + " or " + INDEX + " in the folder");
            }
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile f : files.values()) {
                f.close();
            }
            throw e;
        }
        return new SafetensorsCheckpoint(files, owner);
    }

    private static Map<String, String> readIndex(Path index) throws IOException {
        JsonNode map = JsonFiles.readObject(index).get("weight_map");
        if (map == null || !map.isObject()) {
            throw new SafetensorsException(index, "no weight_map object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(index, "weight_map entry for tensor '" + e.getKey() + "' is not a file name");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /**
     * Returns every tensor, by name.
     *
     * @return an unmodifiable sorted map
     */
    public Map<String, TensorInfo> tensors() {
        Map<String, TensorInfo> out = new TreeMap<>();
        owner.forEach((name, file) -> out.put(name, file.tensors().get(name)));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Returns the file holding a tensor.
     *
     * @param name the tensor
     * @return its file
     */
    public SafetensorsFile fileOf(String name) {
        SafetensorsFile f = owner.get(name);
        if (f == null) {
            throw new IllegalArgumentException("no tensor '" + name + "'");
        }
        return f;
    }

    @Override
    public void close() throws IOException {
        for (SafetensorsFile f : files.values()) {
            f.close();
        }
    }
}
