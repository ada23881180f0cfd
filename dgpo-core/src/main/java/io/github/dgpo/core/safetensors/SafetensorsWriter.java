package io.github.dgpo.core.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes float tensors as safetensors the way HF does: tensors sorted by name, {@code
 * __metadata__ {"format": "pt"}}, F32 or BF16 (rounded to nearest even), sharded into {@code
 * model-0000i-of-0000n.safetensors} with {@code model.safetensors.index.json} above a size
 * limit. Each file is written under a temporary name and renamed, the index last, so a crash
 * never leaves a half-written file under a real name; weight files of a previous save that
 * this one does not overwrite are removed.
 */
public final class SafetensorsWriter {

    /** A float tensor to write, read in chunks. */
    public interface Source {
        /**
         * Returns the tensor's name.
         *
         * @return the name
         */
        String name();

        /**
         * Returns the tensor's shape.
         *
         * @return the shape
         */
        long[] shape();

        /**
         * Copies {@code count} elements from element {@code first} into {@code dst}.
         *
         * @param first first element
         * @param dst destination (length at least {@code count})
         * @param count number of elements
         */
        void read(long first, float[] dst, int count);
    }

    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
    private static final int CHUNK = 4 * 1024 * 1024;

    private final DType dtype;
    private final long maxShardBytes;

    /**
     * Creates a writer.
     *
     * @param dtype {@link DType#F32} or {@link DType#BF16}
     * @param maxShardBytes shard size limit; {@code Long.MAX_VALUE} for one file
     */
    public SafetensorsWriter(DType dtype, long maxShardBytes) {
        if (dtype != DType.F32 && dtype != DType.BF16) {
            throw new IllegalArgumentException("can write F32 or BF16, not " + dtype);
        }
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be > 0");
        }
        this.dtype = dtype;
        this.maxShardBytes = maxShardBytes;
    }

    /**
     * Writes the tensors into a folder.
     *
     * @param dir the folder (created if absent)
     * @param sources the tensors
     * @return the weight files written (data files, then the index when sharded)
     * @throws IOException if a file cannot be written
     */
    public List<Path> write(Path dir, List<? extends Source> sources) throws IOException {
        Files.createDirectories(dir);
        List<Source> sorted = new ArrayList<>(sources);
        sorted.sort(Comparator.comparing(Source::name));
        List<List<Source>> shards = new ArrayList<>();
        List<Source> current = new ArrayList<>();
        long currentBytes = 0;
        for (Source s : sorted) {
            long bytes = bytes(s);
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(s);
            currentBytes += bytes;
        }
        shards.add(current);

        List<Path> written = new ArrayList<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        long total = 0;
        for (int i = 0; i < shards.size(); i++) {
            String file = shards.size() == 1
                    ? SafetensorsCheckpoint.SINGLE
                    : String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            for (Source s : shards.get(i)) {
                weightMap.put(s.name(), file);
                total += bytes(s);
            }
            written.add(writeFile(dir.resolve(file), shards.get(i)));
        }
        Path index = dir.resolve(SafetensorsCheckpoint.INDEX);
        if (shards.size() > 1) {
            ObjectNode root = JSON.createObjectNode();
            root.putObject("metadata").put("total_size", total);
            ObjectNode map = root.putObject("weight_map");
            weightMap.forEach(map::put);
            Path tmp = dir.resolve(index.getFileName() + ".tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
            Files.move(tmp, index, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            written.add(index);
        }
        removeStale(dir, new HashSet<>(written));
        return written;
    }

    /**
     * Writes the tensors into one file of any name (sorted by name, never sharded), e.g. a PEFT
     * adapter's {@code adapter_model.safetensors}.
     *
     * @param file the file (its folder is created if absent)
     * @param sources the tensors
     * @return the file
     * @throws IOException if it cannot be written
     */
    public Path writeSingle(Path file, List<? extends Source> sources) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        List<Source> sorted = new ArrayList<>(sources);
        sorted.sort(Comparator.comparing(Source::name));
        return writeFile(file, sorted);
    }

    private long bytes(Source s) {
        long n = 1;
        for (long d : s.shape()) {
            n = Math.multiplyExact(n, d);
        }
        return n * dtype.size();
    }

    private Path writeFile(Path target, List<Source> tensors) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long offset = 0;
        for (Source s : tensors) {
            long end = offset + bytes(s);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", dtype.name());
            entry.put("shape", s.shape());
            entry.put("data_offsets", new long[] {offset, end});
            header.put(s.name(), entry);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');

        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(headerBytes);
            float[] buf = new float[CHUNK];
            ByteBuffer bytes = ByteBuffer.allocate(CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (Source s : tensors) {
                long n = bytes(s) / dtype.size();
                for (long first = 0; first < n; first += CHUNK) {
                    int count = (int) Math.min(CHUNK, n - first);
                    s.read(first, buf, count);
                    bytes.clear();
                    if (dtype == DType.F32) {
                        bytes.asFloatBuffer().put(buf, 0, count);
                        out.write(bytes.array(), 0, count * 4);
                    } else {
                        for (int i = 0; i < count; i++) {
                            bytes.putShort(DType.floatToBf16(buf[i]));
                        }
                        out.write(bytes.array(), 0, count * 2);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    private static void removeStale(Path dir, Set<Path> keep) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "model*.safetensors*")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                boolean weights = name.equals(SafetensorsCheckpoint.SINGLE)
                        || name.equals(SafetensorsCheckpoint.INDEX)
                        || name.matches("model-\\d{5}-of-\\d{5}\\.safetensors");
                if (weights && !keep.contains(f)) {
                    Files.delete(f);
                }
            }
        }
    }
}
