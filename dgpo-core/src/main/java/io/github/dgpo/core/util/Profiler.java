package io.github.dgpo.core.util;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall time by phase of the current thread, for benchmarks' breakdowns ("where the time goes").
 * Phases nest: a phase's time excludes its inner phases', which are reported under {@code
 * outer/inner}. Off by default, when a phase costs one thread-local read. On CPU, PyTorch ops
 * run synchronously, so wall time per phase is the phase's own; on a GPU kernels run
 * asynchronously and the times would need a device synchronisation at each boundary.
 */
public final class Profiler {

    private static final ThreadLocal<Profiler> CURRENT = new ThreadLocal<>();
    private static final Phase OFF = () -> {};

    private final Map<String, Long> nanos = new LinkedHashMap<>();
    private final Deque<String> names = new ArrayDeque<>();
    private final Deque<long[]> frames = new ArrayDeque<>();

    private Profiler() {}

    /** A timed phase; close it to stop its clock. */
    public interface Phase extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Starts collecting on this thread (discarding what was collected).
     *
     * @return the profiler
     */
    public static Profiler start() {
        Profiler p = new Profiler();
        CURRENT.set(p);
        return p;
    }

    /** Stops collecting on this thread. */
    public static void stop() {
        CURRENT.remove();
    }

    /**
     * Enters a phase (a no-op when the thread is not profiling).
     *
     * @param name the phase
     * @return the phase, to close
     */
    public static Phase phase(String name) {
        Profiler p = CURRENT.get();
        if (p == null) {
            return OFF;
        }
        String path = p.names.isEmpty() ? name : p.names.peek() + "/" + name;
        p.names.push(path);
        long[] frame = {System.nanoTime(), 0};
        p.frames.push(frame);
        return () -> {
            long total = System.nanoTime() - frame[0];
            p.frames.pop();
            p.names.pop();
            p.nanos.merge(path, total - frame[1], Long::sum);
            if (!p.frames.isEmpty()) {
                p.frames.peek()[1] += total;
            }
        };
    }

    /**
     * Seconds by phase so far (each excluding its inner phases).
     *
     * @return phase path to seconds, in first-seen order
     */
    public Map<String, Double> seconds() {
        Map<String, Double> out = new LinkedHashMap<>();
        nanos.forEach((k, v) -> out.put(k, v / 1e9));
        return out;
    }

    /** Forgets what was collected (after a warm-up). */
    public void reset() {
        nanos.clear();
    }
}
