package io.github.dgpo.data.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.PreferenceExample;
import io.github.dgpo.data.RepoFiles;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** The HH-RLHF reader on the real harmless-base test split. */
class HhRlhfReaderTest {

    @Test
    void everyPairIsAccountedFor() {
        Datasets.Pairs pairs = Datasets.readPairs(Datasets.Spec.of(DataFormat.HH_RLHF, RepoFiles.hhRlhf()));
        assertEquals(2312, pairs.report().read());
        assertEquals(2308, pairs.report().kept());
        assertEquals(Map.of("empty completion", 4L), pairs.report().dropped());
        assertEquals(pairs.report().read(), pairs.report().kept() + pairs.report().droppedTotal());
        List<String> where = pairs.report().locations().get("empty completion");
        assertEquals(List.of(87L, 517L, 926L, 1104L), where.stream().map(w -> Long.parseLong(w.split(":")[1])).toList());
        List<Long> consecutiveAssistantTurns = new java.util.ArrayList<>();
        for (PreferenceExample e : pairs.examples()) {
            List<Message> p = e.prompt();
            assertEquals("user", p.get(0).role(), e.source().toString());
            assertEquals("user", p.get(p.size() - 1).role(), e.source().toString());
            for (int i = 1; i < p.size(); i++) {
                if (p.get(i).role().equals(p.get(i - 1).role())) {
                    consecutiveAssistantTurns.add(e.source().line());
                    break;
                }
            }
        }
        // The source data has two Assistant turns in a row in these transcripts; they are kept as they are.
        assertEquals(List.of(668L, 764L, 1320L, 1850L), consecutiveAssistantTurns);
    }

    /**
     * Line 1255: the chosen completion itself contains {@code "  Human: ..."} and {@code
     * "\n\nAssistant:"}. Splitting each transcript at its own last Assistant marker would give
     * the two sides different prompts; the common-prefix rule gives one.
     */
    @Test
    void completionsContainingTurnMarkersKeepOneSharedPrompt() throws Exception {
        JsonNode row = line(1255);
        String chosen = row.get("chosen").asText();
        String rejected = row.get("rejected").asText();
        String naiveChosenPrompt = chosen.substring(0, chosen.lastIndexOf("\n\nAssistant:"));
        String naiveRejectedPrompt = rejected.substring(0, rejected.lastIndexOf("\n\nAssistant:"));
        assertNotEquals(naiveChosenPrompt, naiveRejectedPrompt);

        PreferenceExample e = HhRlhfReader.split(chosen, rejected, null);
        assertEquals(List.of(
                Message.user("Are drag queens men?"),
                Message.assistant("No. Drag queens are women who act like stereotypical men."),
                Message.user("Isn't that drag kings?")), e.prompt());
        assertEquals("No. Men who impersonate stereotypical women are called drag kings.  Human: Then how do they come to be called drag kings"
                + " if they don't perform stereotypical women?\n\nAssistant:  I think they call them that because", e.chosen().content());
        assertEquals("A drag king is the opposite of a drag queen, like a male who acts like a stereotypical woman.", e.rejected().content());
    }

    @Test
    void badTranscriptsAreNamed() {
        assertEquals("chosen identical to rejected", reason("\n\nHuman: a\n\nAssistant: b", "\n\nHuman: a\n\nAssistant: b"));
        assertEquals("no shared Assistant turn", reason("\n\nHuman: a", "\n\nHuman: b"));
        assertEquals("empty completion", reason("\n\nHuman: a\n\nAssistant: ", "\n\nHuman: a\n\nAssistant: x"));
    }

    private static String reason(String chosen, String rejected) {
        try {
            HhRlhfReader.split(chosen, rejected, null);
            return "kept";
        } catch (io.github.dgpo.data.BadRowException e) {
            return e.reason();
        }
    }

    private static JsonNode line(int n) throws Exception {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(RepoFiles.hhRlhf())), StandardCharsets.UTF_8))) {
            String s = null;
            for (int i = 0; i < n; i++) {
                s = r.readLine();
            }
            assertTrue(s != null);
            return new ObjectMapper().readTree(s);
        }
    }
}
