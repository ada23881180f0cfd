package io.github.dgpo.data.read;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.PreferenceExample;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.Source;
import java.nio.file.Path;
import java.util.List;

/**
 * UltraFeedback, binarized (the {@code HuggingFaceH4/ultrafeedback_binarized} schema): {@code
 * prompt}, {@code prompt_id}, {@code chosen} and {@code rejected} as message lists ending with
 * the assistant's message, {@code score_chosen}, {@code score_rejected}; from Parquet (through
 * DuckDB) or JSONL, a file or a folder of split files ({@code train_prefs}, {@code test_prefs}).
 */
public final class UltraFeedbackReader {

    private UltraFeedbackReader() {}

    /**
     * Reads a dataset.
     *
     * @param path a file or a folder
     * @param split split name to select files in a folder, or null
     * @param report counts
     * @return the pairs
     */
    public static List<PreferenceExample> read(Path path, String split, ReadReport report) {
        return RowSources.collect(path, split, report, (row, source) -> List.of(parse(row, source)));
    }

    static PreferenceExample parse(JsonNode row, Source source) {
        List<Message> chosen = RowFields.messages(row, "chosen");
        List<Message> rejected = RowFields.messages(row, "rejected");
        Message chosenMessage = RowFields.lastAssistant(chosen, "chosen");
        Message rejectedMessage = RowFields.lastAssistant(rejected, "rejected");
        List<Message> prompt = chosen.subList(0, chosen.size() - 1);
        if (!prompt.equals(rejected.subList(0, rejected.size() - 1))) {
            throw new BadRowException(DropReasons.PROMPT_MISMATCH, "chosen[:-1] and rejected[:-1] differ");
        }
        if (prompt.isEmpty()) {
            prompt = List.of(Message.user(RowFields.text(row, "prompt")));
        }
        if (chosenMessage.equals(rejectedMessage)) {
            throw new BadRowException(DropReasons.IDENTICAL, "chosen and rejected responses are identical");
        }
        return new PreferenceExample(prompt, chosenMessage, rejectedMessage, List.of(), RowFields.optionalNumber(row, "score_chosen"), RowFields.optionalNumber(row, "score_rejected"), source);
    }
}
