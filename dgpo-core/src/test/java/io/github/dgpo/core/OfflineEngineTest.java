package io.github.dgpo.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Proves the engine loads with the network unused: a fresh JVM, without any of the offline
 * variables surefire sets, records every URL it opens while {@link OfflineEngine} loads
 * PyTorch. The negative control loads DJL directly and must be seen calling home, so the
 * probe is known to be able to see a call.
 */
class OfflineEngineTest {

    @Test
    void engineLoadsWithoutOpeningAnyUrl() throws Exception {
        List<String> out = runProbe("dgpo");
        assertTrue(out.contains("SUM 6.0"), () -> "engine did not run: " + out);
        assertTrue(out.contains("URLS 0"), () -> "URLs were opened: " + out);
    }

    @Test
    void probeSeesDjlCallHomeWhenNotOffline() throws Exception {
        List<String> out = runProbe("raw");
        assertTrue(out.contains("SUM 6.0"), () -> "engine did not run: " + out);
        assertTrue(
                out.stream().anyMatch(l -> l.contains("169.254.169.254")),
                () -> "control run should try the EC2 metadata address: " + out);
    }

    @Test
    void theDefaultBuildNeverAllowsADownloadOfNativesUnlessTheUserOptsIn() {
        assertEquals(false, OfflineEngine.nativeDownloadAllowed(), "the CPU build ships its natives (natives.properties: natives.download=false)");
        System.setProperty(OfflineEngine.ALLOW_DOWNLOAD, "true");
        try {
            assertTrue(OfflineEngine.nativeDownloadAllowed());
        } finally {
            System.clearProperty(OfflineEngine.ALLOW_DOWNLOAD);
        }
    }

    private static List<String> runProbe(String mode) throws IOException, InterruptedException {
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb =
                new ProcessBuilder(
                        java.toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        NetworkProbeMain.class.getName(),
                        mode);
        Map<String, String> env = pb.environment();
        env.remove("DJL_OFFLINE");
        env.remove("OPT_OUT_TRACKING");
        String cache = System.getProperty("DJL_CACHE_DIR");
        if (cache != null) {
            env.put("DJL_CACHE_DIR", cache);
        }
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe timed out");
        assertEquals(0, p.exitValue(), () -> "probe failed:\n" + text);
        return new ArrayList<>(List.of(text.split("\\R")));
    }
}
