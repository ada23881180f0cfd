package io.github.dgpo.core;

import ai.djl.pytorch.jni.JniUtils;

/**
 * A scope in which PyTorch records no autograd graph, even inside an open gradient collector
 * (PyTorch's {@code torch.no_grad()}); closing it restores the previous mode. Grad mode is
 * thread-local.
 */
public final class NoGradient implements AutoCloseable {

    private final boolean previous;

    private NoGradient() {
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
    }

    /**
     * Enters the scope.
     *
     * @return the scope, to close
     */
    public static NoGradient enter() {
        OfflineEngine.engine();
        return new NoGradient();
    }

    /**
     * Returns whether operations on this thread record an autograd graph now (inside a gradient
     * collector and outside any {@link NoGradient} scope).
     *
     * @return true when recording
     */
    public static boolean recording() {
        OfflineEngine.engine();
        return JniUtils.isGradMode();
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
