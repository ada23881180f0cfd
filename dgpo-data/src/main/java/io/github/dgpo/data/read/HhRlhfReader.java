package io.github.dgpo.data.read;

import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.PreferenceExample;
import io.github.dgpo.data.ReadReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Anthropic's HH-RLHF format: {@code {"chosen": "...", "rejected": "..."}} holding whole
 * transcripts {@code "\n\nHuman: ...\n\nAssistant: ..."}.
 *
 * <p>The prompt is the longest common prefix of the two transcripts cut back to the last
 * {@code "\n\nAssistant:"} that lies entirely inside that prefix; what follows it in each
 * transcript is the completion. Splitting each transcript at its own last {@code
 * "\n\nAssistant:"} would be wrong: some completions in the real data contain that marker or
 * the word {@code Human:} themselves, and chosen and rejected would get different prompts.
 */
public final class HhRlhfReader {

    static final String ASSISTANT = "\n\nAssistant:";
    private static final Pattern TURN = Pattern.compile("\n\n(Human|Assistant):");

    private HhRlhfReader() {}

    /**
     * Reads a file.
     *
     * @param file {@code .jsonl} or {@code .jsonl.gz}
     * @param report counts
     * @return the pairs
     */
    public static List<PreferenceExample> read(Path file, ReadReport report) {
        return RowSources.collect(file, null, report,
                (row, source) -> List.of(split(RowFields.text(row, "chosen"), RowFields.text(row, "rejected"), source)));
    }

    /** Splits two transcripts into the shared prompt and the two completions. */
    static PreferenceExample split(String chosen, String rejected, io.github.dgpo.data.Source source) {
        if (chosen.equals(rejected)) {
            throw new BadRowException(DropReasons.IDENTICAL, "the two transcripts are identical");
        }
        int common = 0;
        int max = Math.min(chosen.length(), rejected.length());
        while (common < max && chosen.charAt(common) == rejected.charAt(common)) {
            common++;
        }
        int cut = chosen.lastIndexOf(ASSISTANT, common - ASSISTANT.length());
        if (cut < 0) {
            throw new BadRowException(DropReasons.NO_SHARED_TURN, "the transcripts share no \"\\n\\nAssistant:\" boundary");
        }
        String promptText = chosen.substring(0, cut);
        String chosenCompletion = RowFields.nonEmpty(chosen.substring(cut + ASSISTANT.length()).strip(), "chosen");
        String rejectedCompletion = RowFields.nonEmpty(rejected.substring(cut + ASSISTANT.length()).strip(), "rejected");
        if (chosenCompletion.equals(rejectedCompletion)) {
            throw new BadRowException(DropReasons.IDENTICAL, "the final Assistant turns are identical");
        }
        return new PreferenceExample(turns(promptText), chosenCompletion, rejectedCompletion, null, null, source);
    }

    /** The {@code Human}/{@code Assistant} turns of a transcript prefix as messages. */
    static List<Message> turns(String text) {
        List<Message> out = new ArrayList<>();
        Matcher m = TURN.matcher(text);
        int start = -1;
        String role = null;
        while (m.find()) {
            if (role != null) {
                out.add(new Message(role, text.substring(start, m.start()).strip()));
            } else if (!text.substring(0, m.start()).isBlank()) {
                out.add(Message.user(text.substring(0, m.start()).strip()));
            }
            role = m.group(1).equals("Human") ? "user" : "assistant";
            start = m.end();
        }
        if (role != null) {
            out.add(new Message(role, text.substring(start).strip()));
        } else if (!text.isBlank()) {
            out.add(Message.user(text.strip()));
        }
        return out;
    }
}
