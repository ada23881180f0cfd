package io.github.dgpo.core.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.dgpo.core.util.ProcessMemory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Native memory of long generations, measured in a child JVM whose heap is fixed and
 * pre-touched, so its resident set moves only with libtorch's allocations. The KV cache of
 * {@code N} positions is {@code N × 2 KiB} here: a generator that frees what each step
 * replaces peaks a few MiB above where it started, whatever {@code N}, while one that keeps
 * every step's copy of the cache holds {@code N²/2 × 2 KiB} (about 1 GiB at {@code N} = 1,000,
 * as it did before the fix).
 */
class GeneratorMemoryTest {

    private static final double MIB = 1024.0 * 1024.0;

    @Test
    void peakNativeMemoryOfALongGenerationIsBoundedByTheCache() throws Exception {
        assumeTrue(ProcessMemory.rssMb() > 0, "needs /proc/self/status");
        Map<Integer, Double> growth = probe(250, 1000);
        double cache = 1000 * GenerationMemoryProbeMain.KV_BYTES_PER_POSITION / MIB;
        double quadratic = 1000.0 * 1000 / 2 * GenerationMemoryProbeMain.KV_BYTES_PER_POSITION / MIB;
        System.out.printf("peak native growth: %.1f MiB at 250 new tokens, %.1f MiB at 1000 (cache %.1f MiB; every step's copy kept: %.0f MiB)%n",
                growth.get(250), growth.get(1000), cache, quadratic);
        assertTrue(growth.get(1000) < cache + 24, "peak native memory grew by " + growth.get(1000) + " MiB over 1000 new tokens; the cache is " + cache + " MiB");
        assertTrue(growth.get(1000) - growth.get(250) < 3 * cache + 8,
                "4x the tokens cost " + (growth.get(1000) - growth.get(250)) + " MiB more: growth is not linear in the cache");
    }

    private static Map<Integer, Double> probe(int... lengths) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms96m", "-Xmx96m", "-XX:+AlwaysPreTouch", "-Dai.djl.pytorch.num_threads=1", "-cp", System.getProperty("java.class.path"), GenerationMemoryProbeMain.class.getName()));
        for (int n : lengths) {
            cmd.add(Integer.toString(n));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        String cache = System.getProperty("DJL_CACHE_DIR");
        if (cache != null) {
            pb.environment().put("DJL_CACHE_DIR", cache);
        }
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "probe timed out");
        assertEquals(0, p.exitValue(), () -> "probe failed:\n" + text);
        assumeFalse(text.contains("NO-PEAK-RESET"), "needs a writable /proc/self/clear_refs");
        Map<Integer, Double> out = new HashMap<>();
        for (String line : text.split("\\R")) {
            if (line.startsWith("GROWTH ")) {
                String[] f = line.split(" ");
                out.put(Integer.parseInt(f[1]), Double.parseDouble(f[2]));
            }
        }
        assertEquals(lengths.length, out.size(), () -> "probe output:\n" + text);
        return out;
    }
}
