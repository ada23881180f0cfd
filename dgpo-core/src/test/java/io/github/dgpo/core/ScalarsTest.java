package io.github.dgpo.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Gradients through {@link Scalars} stay exact when the garbage collector runs and direct
 * memory is reused between the forward and the backward pass, the situation in which DJL's
 * {@code mul(Number)} makes autograd read a freed constant.
 */
class ScalarsTest {

    @Test
    void gradientsSurviveGarbageCollectionBeforeBackward() {
        try (NDManager m = OfflineEngine.newManager()) {
            for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
                for (int round = 0; round < 20; round++) {
                    NDArray x = m.create(new double[] {1, -2, 3}).toType(type, false);
                    x.setRequiresGradient(true);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray y = Scalars.over(Scalars.times(x, 3.0), 0.5).add(Scalars.atMost(x, 2.0));
                        churn();
                        gc.backward(y.sum());
                    }
                    assertArrayEquals(new double[] {7, 7, 6}, x.getGradient().toType(DataType.FLOAT64, false).toDoubleArray(), 0.0);
                }
            }
        }
    }

    /** Frees the constants' buffers if nothing holds them, and reuses the memory. */
    private static void churn() {
        List<ByteBuffer> garbage = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            garbage.add(ByteBuffer.allocateDirect(8).putDouble(0, 0));
        }
        garbage.clear();
        System.gc();
        for (int i = 0; i < 200; i++) {
            ByteBuffer.allocateDirect(8).putDouble(0, 0);
        }
    }
}
