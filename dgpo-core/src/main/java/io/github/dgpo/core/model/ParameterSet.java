package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A model's parameters by HF name, in layout order. */
final class ParameterSet {

    private final Map<String, NDArray> arrays = new LinkedHashMap<>();

    void put(String name, NDArray array) {
        arrays.put(name, array);
    }

    NDArray get(String name) {
        NDArray a = arrays.get(name);
        if (a == null) {
            throw new IllegalStateException("no parameter " + name);
        }
        return a;
    }

    NDArray find(String name) {
        return arrays.get(name);
    }

    Map<String, NDArray> view() {
        return Collections.unmodifiableMap(arrays);
    }
}
