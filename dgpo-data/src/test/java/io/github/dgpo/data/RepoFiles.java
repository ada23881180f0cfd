package io.github.dgpo.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Files bundled at the repository root ({@code data/}, {@code tokenizers/}), found from a module's folder. */
public final class RepoFiles {

    private RepoFiles() {}

    /**
     * Resolves a path under the repository root.
     *
     * @param relative e.g. {@code tokenizers/qwen3}
     * @return the path
     */
    public static Path path(String relative) {
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null) {
            if (Files.exists(dir.resolve(relative))) {
                return dir.resolve(relative);
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("cannot find " + relative + " above " + Paths.get("").toAbsolutePath());
    }

    /** @return the bundled Qwen3 tokenizer folder */
    public static Path qwen3() {
        return path("tokenizers/qwen3");
    }

    /** @return the bundled HH-RLHF split */
    public static Path hhRlhf() {
        return path("data/hh-rlhf/harmless-base-test.jsonl.gz");
    }
}
