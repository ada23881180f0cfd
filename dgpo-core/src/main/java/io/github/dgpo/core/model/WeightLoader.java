package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.dgpo.core.safetensors.SafetensorsCheckpoint;
import io.github.dgpo.core.safetensors.SafetensorsException;
import io.github.dgpo.core.safetensors.SafetensorsFile;
import io.github.dgpo.core.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads an HF model folder's safetensors weights into engine memory. Every header is validated
 * and every expected tensor checked for presence, shape and dtype before any parameter is
 * allocated; tensors are then copied chunk by chunk (so a large tensor never exists twice in
 * Java), widened from F16/BF16 in Java, and narrowed to float16 right after reading when the
 * {@link BaseDtype} asks for it.
 */
final class WeightLoader {

    // logs as CausalLm, the entry point whose logger users configure
    private static final Logger LOG = LoggerFactory.getLogger(CausalLm.class);
    private static final int LOAD_CHUNK = 8 * 1024 * 1024;

    private WeightLoader() {}

    /**
     * What was read.
     *
     * @param manager the new manager that owns the parameters (the caller closes it)
     * @param parameters the parameters by HF name
     */
    record Weights(NDManager manager, ParameterSet parameters) {}

    /**
     * Reads the weights the config's layout expects.
     *
     * @param dir the model folder
     * @param config its config
     * @param parent manager under which the parameters' own manager is created, once every
     *     tensor has been checked
     * @param baseDtype how to hold the weights
     * @return the parameters and their manager
     * @throws IOException for missing, misshapen or unreadable tensors, or a value beyond
     *     float16's range when narrowing
     */
    static Weights read(Path dir, ModelConfig config, NDManager parent, BaseDtype baseDtype) throws IOException {
        ParameterLayout layout = ParameterLayout.of(config);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            Map<String, TensorInfo> found = ckpt.tensors();
            check(dir, layout, found);
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
                    params.put(e.getKey(), baseDtype.narrows(e.getKey(), config) ? narrowed(dir, e.getKey(), array) : array);
                }
                return new Weights(own, params);
            } catch (IOException | RuntimeException ex) {
                own.close();
                throw ex;
            }
        }
    }

    /** Every expected tensor present, with its shape and a float dtype; the first ten problems in one message. */
    private static void check(Path dir, ParameterLayout layout, Map<String, TensorInfo> found) throws SafetensorsException {
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

    /** Narrows a freshly read float32 weight to float16, closing the float32 copy. */
    private static NDArray narrowed(Path dir, String name, NDArray array) throws SafetensorsException {
        try {
            return BaseDtype.narrow(name, array);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException(dir, e.getMessage());
        }
    }
}
