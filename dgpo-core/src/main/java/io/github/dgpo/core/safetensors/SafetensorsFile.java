package io.github.dgpo.core.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.util.InputFiles;
import io.github.dgpo.core.util.JsonFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated, memory-mapped safetensors file. Opening reads and checks only the header, so a
 * truncated, corrupt or hostile file fails with a message naming the file and tensor before
 * anything is allocated: the header length is bounded, the JSON must be well formed, every
 * dtype known, every byte range {@code shape × dtype size} long, inside the file and disjoint
 * from the others. Tensor data is then read through bounded memory-mapped windows with long
 * offsets, so files past 2 GiB work and no tensor is ever held twice.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest header accepted (the format's own reference implementation uses 100 MB). */
    public static final long MAX_HEADER = 100L * 1024 * 1024;

    /** Bytes mapped at a time when reading a tensor. */
    static final int WINDOW = 64 * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens and validates a file.
     *
     * @param path the file
     * @return the open file; close it
     * @throws IOException naming the file and tensor when the header is invalid
     */
    public static SafetensorsFile open(Path path) throws IOException {
        InputFiles.requireRegularFile(path);
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = channel.size();
            if (size < 8) {
                throw new SafetensorsException(path, "file is " + size + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, len, 0);
            long headerLength = len.flip().getLong();
            if (headerLength < 2 || headerLength > MAX_HEADER) {
                throw new SafetensorsException(path, "header length " + headerLength + " is outside [2, " + MAX_HEADER + "]");
            }
            if (headerLength > size - 8) {
                throw new SafetensorsException(path, "header length " + headerLength + " runs past the end of the file (" + size + " bytes): truncated?");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            long dataStart = 8 + headerLength;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(path, new String(header.array(), StandardCharsets.UTF_8), size - dataStart, metadata);
            return new SafetensorsFile(path, channel, dataStart, tensors, metadata);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static Map<String, TensorInfo> parseHeader(Path path, String text, long dataLength, Map<String, String> metadata) throws SafetensorsException {
        JsonNode root;
        try {
            root = JSON.readTree(text.strip());
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(path, "header is " + JsonFiles.describe(e));
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(path, "header is not a JSON object");
        }
        List<TensorInfo> list = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) {
                    throw new SafetensorsException(path, "__metadata__ is not an object");
                }
                v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            list.add(parseTensor(path, name, v, dataLength));
        }
        list.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long previousEnd = 0;
        String previous = null;
        for (TensorInfo t : list) {
            if (t.begin() < previousEnd) {
                throw new SafetensorsException(path, "tensor '" + t.name() + "' overlaps tensor '" + previous + "'");
            }
            previousEnd = t.end();
            previous = t.name();
        }
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        list.stream().sorted(Comparator.comparing(TensorInfo::name)).forEach(t -> byName.put(t.name(), t));
        return Collections.unmodifiableMap(byName);
    }

    private static TensorInfo parseTensor(Path path, String name, JsonNode v, long dataLength) throws SafetensorsException {
        String where = "tensor '" + name + "'";
        if (!v.isObject()) {
            throw new SafetensorsException(path, where + " is not an object");
        }
        JsonNode dtypeNode = v.get("dtype");
        JsonNode shapeNode = v.get("shape");
        JsonNode offsets = v.get("data_offsets");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsException(path, where + " has no dtype");
        }
        DType dtype = DType.parse(dtypeNode.asText());
        if (dtype == null) {
            throw new SafetensorsException(path, where + " has unknown dtype '" + dtypeNode.asText() + "'");
        }
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new SafetensorsException(path, where + " has no shape");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new SafetensorsException(path, where + " has invalid dimension " + d);
            }
            shape[i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException e) {
                throw new SafetensorsException(path, where + " has a shape whose size overflows");
            }
        }
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw new SafetensorsException(path, where + " has invalid data_offsets " + offsets);
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new SafetensorsException(path, where + " has data_offsets [" + begin + ", " + end + "] out of order");
        }
        long expected;
        try {
            expected = Math.multiplyExact(elements, dtype.size());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(path, where + " has a shape whose byte size overflows");
        }
        if (end - begin != expected) {
            throw new SafetensorsException(path, where + " spans " + (end - begin) + " bytes but shape " + java.util.Arrays.toString(shape) + " x " + dtype + " needs " + expected);
        }
        if (end > dataLength) {
            throw new SafetensorsException(path, where + " ends at byte " + end + " past the data area (" + dataLength + " bytes): truncated?");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }

    /**
     * Returns the file's path.
     *
     * @return the path
     */
    public Path path() {
        return path;
    }

    /**
     * Returns the tensors by name, sorted by name.
     *
     * @return an unmodifiable map
     */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /**
     * Returns the {@code __metadata__} entries.
     *
     * @return an unmodifiable map
     */
    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /**
     * Reads {@code count} elements of a float-readable tensor, starting at element {@code
     * first}, widened to float32 into {@code dst[offset..]}. Weights and optimizer moments are
     * never legitimately NaN or infinite, so a non-finite value fails here, naming the tensor
     * and element (checked on the copy just made, which costs one pass over memory already in
     * cache).
     *
     * @param tensor the tensor (of this file)
     * @param first first element
     * @param dst destination
     * @param offset first index in {@code dst}
     * @param count number of elements
     * @throws IOException if the file cannot be read or a value is not finite
     */
    public void readFloats(TensorInfo tensor, long first, float[] dst, int offset, int count) throws IOException {
        if (!tensor.dtype().floatReadable()) {
            throw new SafetensorsException(path, "tensor '" + tensor.name() + "' has dtype " + tensor.dtype() + ", which cannot be loaded as float32");
        }
        if (first < 0 || first + count > tensor.elements()) {
            throw new IndexOutOfBoundsException("elements [" + first + ", " + (first + count) + ") of " + tensor);
        }
        int size = tensor.dtype().size();
        int perWindow = WINDOW / size;
        int done = 0;
        while (done < count) {
            int n = Math.min(perWindow, count - done);
            long start = dataStart + tensor.begin() + (first + done) * size;
            MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, start, (long) n * size);
            map.order(ByteOrder.LITTLE_ENDIAN);
            switch (tensor.dtype()) {
                case F32 -> map.asFloatBuffer().get(dst, offset + done, n);
                case F16 -> {
                    for (int i = 0; i < n; i++) {
                        dst[offset + done + i] = DType.halfToFloat(map.getShort(i * 2));
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < n; i++) {
                        dst[offset + done + i] = DType.bf16ToFloat(map.getShort(i * 2));
                    }
                }
                default -> throw new IllegalStateException(tensor.dtype().toString());
            }
            int bad = firstNonFinite(dst, offset + done, n);
            if (bad >= 0) {
                throw new SafetensorsException(path, "tensor '" + tensor.name() + "' holds a non-finite value (" + dst[bad] + ") at element "
                        + (first + bad - offset) + "; the weights are damaged: load an earlier copy or re-export them");
            }
            done += n;
        }
    }

    /** Index of the first NaN or infinity in {@code a[from, from + n)}, or -1. */
    private static int firstNonFinite(float[] a, int from, int n) {
        for (int i = from; i < from + n; i++) {
            if (!Float.isFinite(a[i])) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
