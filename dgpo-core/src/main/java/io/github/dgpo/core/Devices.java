package io.github.dgpo.core;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/**
 * The {@code device} setting: {@code auto} (the engine's default: the first GPU when the CUDA
 * natives see one, else the CPU), {@code cpu}, {@code cuda} ({@code cuda:0}) or {@code cuda:N}.
 * Every array of a run is created in a manager of the chosen device ({@link
 * OfflineEngine#newManager(Device)}), so nothing lands elsewhere.
 */
public final class Devices {

    private Devices() {}

    /**
     * Parses and checks a device setting.
     *
     * @param spec {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}
     * @return the device
     * @throws IllegalArgumentException for an unknown spelling or a GPU the engine does not see
     */
    public static Device parse(String spec) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase(Locale.ROOT);
        Engine engine = OfflineEngine.engine();
        if (s.equals("auto")) {
            return engine.defaultDevice();
        }
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("cuda") || s.matches("cuda:\\d+")) {
            int id = s.equals("cuda") ? 0 : Integer.parseInt(s.substring(5));
            int gpus = engine.getGpuCount();
            if (id >= gpus) {
                throw new IllegalArgumentException("device " + spec + ": the PyTorch engine sees " + gpus + " GPU" + (gpus == 1 ? "" : "s")
                        + (gpus == 0 ? " (a CPU build, or no CUDA driver: build with mvn -Pcuda on a CUDA machine, see the README's GPU section)" : ""));
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("device must be auto, cpu, cuda or cuda:N, got '" + spec + "'");
    }

    /**
     * Returns the config spelling of a device.
     *
     * @param device the device
     * @return {@code cpu} or {@code cuda:N}
     */
    public static String name(Device device) {
        return device.isGpu() ? "cuda:" + device.getDeviceId() : "cpu";
    }
}
