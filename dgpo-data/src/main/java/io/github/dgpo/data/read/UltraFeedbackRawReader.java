package io.github.dgpo.data.read;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.PreferenceExample;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.Source;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * UltraFeedback, raw (the {@code openbmb/UltraFeedback} schema): {@code instruction} and {@code
 * completions}, each with a {@code response} and an {@code overall_score} and/or fine-grained
 * {@code annotations} whose {@code Rating}s may be {@code "N/A"}. A completion's score is its
 * {@code overall_score}, or, when that is absent (or {@code fine_grained} is asked for), the
 * mean of its numeric annotation ratings; completions without a score are not rated. Pairs are
 * built by a {@link PairRule}. Rows with fewer than two rated completions, ties, and (all-pairs)
 * rows without a pair reaching the gap are dropped and counted; with all-pairs one row can give
 * several examples.
 */
public final class UltraFeedbackRawReader {

    /**
     * Pairing settings.
     *
     * @param rule the pairing rule
     * @param minGap all-pairs: the minimum score gap
     * @param fineGrained score by the mean of annotation ratings instead of overall_score
     * @param seed best-vs-random: the seed (each row uses {@code seed} and its row number)
     */
    public record Options(PairRule rule, double minGap, boolean fineGrained, long seed) {
        /** best vs random, overall scores, seed 42. */
        public static final Options DEFAULT = new Options(PairRule.BEST_VS_RANDOM, 1.0, false, 42);
    }

    private record Rated(String response, double score) {}

    private UltraFeedbackRawReader() {}

    /**
     * Reads a dataset.
     *
     * @param path a file or folder
     * @param split split name to select files in a folder, or null
     * @param options pairing settings
     * @param report counts
     * @return the pairs
     */
    public static List<PreferenceExample> read(Path path, String split, Options options, ReadReport report) {
        return RowSources.collect(path, split, report, (row, source) -> pairs(row, source, options));
    }

    static List<PreferenceExample> pairs(JsonNode row, Source source, Options o) {
        String instruction = RowFields.text(row, "instruction");
        JsonNode completions = RowFields.required(row, "completions");
        if (!completions.isArray()) {
            throw new BadRowException(DropReasons.WRONG_TYPE, "field 'completions' must be a list");
        }
        List<Rated> rated = new ArrayList<>();
        for (JsonNode c : completions) {
            JsonNode response = c.get("response");
            Double score = score(c, o.fineGrained());
            if (response != null && response.isTextual() && !response.asText().isBlank() && score != null) {
                rated.add(new Rated(response.asText(), score));
            }
        }
        if (rated.size() < 2) {
            throw new BadRowException(DropReasons.TOO_FEW_RATED, rated.size() + " rated completion(s)");
        }
        List<Message> prompt = List.of(Message.user(instruction));
        List<PreferenceExample> out = new ArrayList<>();
        switch (o.rule()) {
            case ALL_PAIRS -> {
                for (Rated a : rated) {
                    for (Rated b : rated) {
                        if (a.score() - b.score() >= o.minGap() && a.score() > b.score() && !a.response().equals(b.response())) {
                            out.add(new PreferenceExample(prompt, a.response(), b.response(), a.score(), b.score(), source));
                        }
                    }
                }
                if (out.isEmpty()) {
                    throw new BadRowException(DropReasons.NO_PAIR_WITH_GAP, "no two completions differ by at least " + o.minGap());
                }
            }
            case BEST_VS_WORST, BEST_VS_RANDOM -> {
                Rated best = rated.get(0);
                for (Rated r : rated) {
                    if (r.score() > best.score()) {
                        best = r;
                    }
                }
                Rated other;
                if (o.rule() == PairRule.BEST_VS_WORST) {
                    other = rated.get(0);
                    for (Rated r : rated) {
                        if (r.score() < other.score()) {
                            other = r;
                        }
                    }
                } else {
                    List<Rated> rest = new ArrayList<>(rated);
                    rest.remove(best);
                    other = rest.get(new Random(o.seed() * 1_000_003L + source.line()).nextInt(rest.size()));
                }
                if (other.score() >= best.score()) {
                    throw new BadRowException(DropReasons.TIE, "best and compared completions both score " + best.score());
                }
                if (other.response().equals(best.response())) {
                    throw new BadRowException(DropReasons.IDENTICAL, "the compared responses are identical");
                }
                out.add(new PreferenceExample(prompt, best.response(), other.response(), best.score(), other.score(), source));
            }
            default -> throw new IllegalStateException(o.rule().toString());
        }
        return out;
    }

    private static Double score(JsonNode completion, boolean fineGrained) {
        JsonNode overall = completion.get("overall_score");
        if (!fineGrained && overall != null && overall.isNumber()) {
            return overall.asDouble();
        }
        JsonNode annotations = completion.get("annotations");
        if (annotations == null || !annotations.isObject()) {
            return null;
        }
        double sum = 0;
        int n = 0;
        for (Iterator<JsonNode> it = annotations.elements(); it.hasNext(); ) {
            JsonNode a = it.next();
            JsonNode rating = a.isObject() ? a.get("Rating") : a;
            Double v = rating == null ? null : number(rating);
            if (v != null) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? null : sum / n;
    }

    private static Double number(JsonNode v) {
        if (v.isNumber()) {
            return v.asDouble();
        }
        if (v.isTextual()) {
            try {
                return Double.parseDouble(v.asText().trim());
            } catch (NumberFormatException e) {
                return null; // "N/A"
            }
        }
        return null;
    }
}
