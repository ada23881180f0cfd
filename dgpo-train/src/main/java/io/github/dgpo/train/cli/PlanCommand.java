package io.github.dgpo.train.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.model.ParameterLayout;
import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.train.config.TrainConfig;
import io.github.dgpo.train.plan.MemoryPlan;
import io.github.dgpo.train.plan.MemoryPlanner;
import io.github.dgpo.train.run.RunModels;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dgpo plan}: a run's predicted peak memory by component, before any weights are downloaded. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Predicted peak memory of a training run by component (from the run config and the model's config.json alone), and whether it fits a device.")
public final class PlanCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "the run's YAML config")
    Path config;

    @Option(names = "--model-config", description = "the model's config.json (default: model_name_or_path's, or random_model)")
    Path modelConfig;

    @Option(names = "--set", description = "override a config key (key=value, YAML-typed); repeatable")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--device", description = "cpu or cuda: the runtime allowance (default: the config's device; auto means cuda when --device-memory is given)")
    String device;

    @Option(names = "--device-memory", description = "the device's memory, e.g. 24GB, 80GiB, 16000MB: say whether the run fits")
    String deviceMemory;

    @Option(names = "--json", description = "one JSON object {total_bytes, components, phase, fits}")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        TrainConfig c = ConfigLoader.load(config, overrides);
        ModelConfig model = RunModels.modelConfig(c, modelConfig);
        Long capacity = deviceMemory == null ? null : parseBytes(deviceMemory);
        String d = device != null ? device : c.device;
        boolean cuda = d.startsWith("cuda") || (d.equals("auto") && capacity != null);
        MemoryPlan plan = MemoryPlanner.plan(model, c, cuda);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode o = mapper.createObjectNode();
            o.put("total_bytes", plan.totalBytes());
            ObjectNode comps = o.putObject("components");
            plan.components().forEach(comps::put);
            o.put("phase", plan.phase());
            o.put("device", cuda ? "cuda" : "cpu");
            if (capacity != null) {
                o.put("device_memory_bytes", capacity);
                o.put("fits", plan.fits(capacity));
            }
            o.set("notes", mapper.valueToTree(plan.notes()));
            out.println(mapper.writeValueAsString(o));
            return 0;
        }
        out.printf("%s: %s, %,d parameters; %s%n", config, model.architecture().className(), ParameterLayout.of(model).count(), describe(c));
        for (Map.Entry<String, Long> e : plan.components().entrySet()) {
            out.printf("  %-12s %10s%n", e.getKey(), human(e.getValue()));
        }
        out.printf("  %-12s %10s  (peak in the %s phase, on %s)%n", "total", human(plan.totalBytes()), plan.phase(), cuda ? "cuda" : "cpu");
        if (capacity != null) {
            out.printf("%s %s of device memory%n", plan.fits(capacity) ? "fits in" : "does NOT fit in", human(capacity));
        }
        return 0;
    }

    private static String describe(TrainConfig c) {
        return String.format(Locale.ROOT, "%s, batch %d, max_length %d, %s, base %s, checkpointing %s", c.lossType, c.perDeviceTrainBatchSize, c.maxLength,
                c.usePeft ? "LoRA r " + c.loraR : "full fine-tune", c.baseDtype, c.gradientCheckpointing ? "on" : "off");
    }

    /**
     * Parses a memory size: a number with {@code B}, {@code KB}/{@code MB}/{@code GB}/{@code TB}
     * (powers of 1000) or {@code KiB}/{@code MiB}/{@code GiB}/{@code TiB} (powers of 1024).
     *
     * @param text e.g. {@code 24GB}
     * @return bytes
     */
    static long parseBytes(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\\s*").matcher(text);
        if (!m.matches()) {
            throw new UserInputException("--device-memory: expected a size such as 24GB or 80GiB, got '" + text + "'");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        double scale = switch (unit) {
            case "kb" -> 1e3;
            case "mb" -> 1e6;
            case "gb" -> 1e9;
            case "tb" -> 1e12;
            case "kib" -> 1024.0;
            case "mib" -> 1024.0 * 1024;
            case "gib" -> 1024.0 * 1024 * 1024;
            case "tib" -> 1024.0 * 1024 * 1024 * 1024;
            default -> 1;
        };
        return Math.round(v * scale);
    }

    /** @return e.g. {@code 1.23 GiB} */
    static String human(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%.0f MiB", bytes / (double) (1L << 20));
    }
}
