package io.github.dgpo.data;

/** The reasons rows are dropped, as they appear in reports. */
public final class DropReasons {

    /** The line is not a JSON object. */
    public static final String MALFORMED_JSON = "malformed JSON";
    /** The line is not valid UTF-8 (it is dropped, not read with replacement characters). */
    public static final String INVALID_UTF8 = "invalid UTF-8";
    /** A required field is absent or null. */
    public static final String MISSING_FIELD = "missing field";
    /** A field has the wrong type. */
    public static final String WRONG_TYPE = "wrong field type";
    /** A completion is empty or only whitespace. */
    public static final String EMPTY_COMPLETION = "empty completion";
    /** Chosen and rejected are the same text. */
    public static final String IDENTICAL = "chosen identical to rejected";
    /** A message role is not system, user, assistant or tool. */
    public static final String UNKNOWN_ROLE = "unknown role";
    /** Chosen and rejected conversations have different prompts. */
    public static final String PROMPT_MISMATCH = "chosen and rejected prompts differ";
    /** An HH-RLHF pair shares no Assistant turn boundary. */
    public static final String NO_SHARED_TURN = "no shared Assistant turn";
    /** UltraFeedback raw: the compared completions have equal scores. */
    public static final String TIE = "tie";
    /** UltraFeedback raw: fewer than two completions have a score. */
    public static final String TOO_FEW_RATED = "fewer than two rated completions";
    /** UltraFeedback raw, all-pairs rule: no pair reaches the score gap. */
    public static final String NO_PAIR_WITH_GAP = "no pair with the score gap";
    /** Tokenization: the prompt alone leaves no room for a completion. */
    public static final String PROMPT_TOO_LONG = "prompt too long";

    private DropReasons() {}
}
