"""Renders chat-template fixtures with HF transformers (run once; outputs are committed).

    /work/pyref/bin/python tools/generate_template_fixtures.py /work/shared/tokenizers dgpo-data/src/test/resources/templates

For the Qwen3 and Llama 3 templates of the bundled tokenizer configs, the original
Mistral-7B-Instruct-v0.2 template and Zephyr's, renders a set of conversations with
tokenizer.apply_chat_template(tokenize=False), recording the exact string or the error:
plain role/content conversations, and conversations with a `tools` list, assistant
`tool_calls` (arguments as a mapping or a JSON string, nested and flat call forms),
`reasoning_content`, the `tool` role and chat_template_kwargs (Qwen3's `enable_thinking`),
passed as transformers passes them (`tools=`, `**kwargs`).

pairs.json holds preference rows in dgpo's JSONL form (`prompt`, `chosen`, `rejected`
message lists, `tools`) with what TRL 1.13's DPOTrainer tokenizes for them: prompt ids
(`apply_chat_template(prompt, add_generation_prompt=True, tools=..., **kwargs)`), and for
each completion the ids of `apply_chat_template(prompt + [completion])` after the prompt's,
with the rendered texts.
"""
import gzip
import json
import os
import shutil
import sys
import tempfile

from transformers import AutoTokenizer

SRC, OUT = sys.argv[1], sys.argv[2]

MISTRAL = ("{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
           "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
           "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
           "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
           "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}")
ZEPHYR = ("{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n"
          "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
          "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n"
          "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}")

S, U, A = "system", "user", "assistant"
CONVERSATIONS = [
    [(U, "Hi there")],
    [(S, "You are a helpful assistant."), (U, "What is 2+2?")],
    [(S, "Be brief."), (U, "Hello"), (A, "Hi! How can I help?"), (U, "Tell me a joke.")],
    [(U, "First question"), (A, "First answer"), (U, "Second question"), (A, "Second answer")],
    [(U, "Line one\nLine two\n\n  indented \"quoted\" 'single' {{ braces }} {% not a tag %} ünïcødé 🙂")],
    [(U, "Think first"), (A, "<think>\nsome reasoning\n</think>\n\nThe answer is 4."), (U, "And now?")],
    [(U, "Ends oddly"), (A, "text before</think>")],
    [(U, "<tool_response>\nresult\n</tool_response>")],
    [(S, "sys"), (U, "q1"), (A, "a1"), (U, "<tool_response>x</tool_response>"), (A, "a2")],
    [(U, "  leading and trailing spaces  "), (A, "\n\nanswer with leading newlines")],
    [(U, "\x01control chars\x02 and\ttabs\x0b"), (A, "\x1fend\x01")],
]


WEATHER = {"type": "function", "function": {
    "name": "get_weather",
    "description": "Current weather in a city. Says \"hot\" or \u2018cold\u2019.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "The city, e.g. Z\u00fcrich"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"]}}}
SEARCH = {"type": "function", "function": {
    "name": "search",
    "description": "Search the web.\nReturns a list.",
    "parameters": {"type": "object", "properties": {
        "query": {"type": "string"},
        "max_results": {"type": "integer", "default": 5, "minimum": 1},
        "threshold": {"type": "number", "default": 0.25, "minimum": 1e-05, "maximum": 12345678.5, "scale": 1e16}},
        "required": ["query"]},
    "return": {"type": "array", "nullable": None, "strict": True}}}
TOOLS = [WEATHER, SEARCH]


def call(name, arguments, flat=False):
    return {"name": name, "arguments": arguments} if flat else {"type": "function", "function": {"name": name, "arguments": arguments}}


def msg(role, content, **fields):
    return {"role": role, "content": content, **fields}


PARIS = call("get_weather", {"city": "Paris", "unit": "celsius"})
# (messages, tools, chat_template_kwargs)
STRUCTURED = [
    ([msg(U, "What's the weather in Paris?")], TOOLS, None),
    ([msg(S, "You are a weather bot."), msg(U, "Weather in Paris?")], [WEATHER], None),
    ([msg(U, "Hi")], [], None),
    ([msg(S, "sys"), msg(U, "Weather in Paris?"), msg(A, "", tool_calls=[PARIS]), msg("tool", '{"temperature": 21}')], TOOLS, None),
    ([msg(S, "sys"), msg(U, "Weather in Paris?"), msg(A, "", tool_calls=[PARIS]), msg("tool", '{"temperature": 21}'),
      msg(A, "It is 21 \u00b0C in Paris.")], TOOLS, None),
    ([msg(U, "Weather in Paris and Rome?"),
      msg(A, "Let me check both.", tool_calls=[PARIS, call("get_weather", '{"city": "Rome"}')]),
      msg("tool", "21"), msg("tool", "25")], TOOLS, None),
    ([msg(U, "Find it"), msg(A, "", tool_calls=[call("search", {"query": "q\u00fc \"x\"\n", "max_results": 3, "threshold": 0.5,
      "tiny": 1e-05, "huge": 1e16, "mid": 12345678.5, "neg": -0.0, "ok": True, "none": None, "list": [1, 2.5, "s"]}, flat=True)])], TOOLS, None),
    ([msg(U, "2+2?"), msg(A, "4", reasoning_content="2 plus 2\nis 4")], None, None),
    ([msg(U, "2+2?"), msg(A, "4", reasoning_content="\nstrip me\n\n")], None, None),
    ([msg(U, "2+2?"), msg(A, "4", reasoning_content="old thoughts"), msg(U, "and 3+3?")], None, None),
    ([msg(U, "Weather?"), msg(A, "", reasoning_content="I should call the tool.", tool_calls=[PARIS]), msg("tool", "21"),
      msg(A, "21 degrees.", reasoning_content="The tool said 21.")], TOOLS, None),
    ([msg(U, "Hi")], None, {"enable_thinking": False}),
    ([msg(U, "Hi")], None, {"enable_thinking": True}),
    ([msg(U, "Hi"), msg(A, "Hello")], None, {"enable_thinking": False}),
    ([msg(U, "Weather in Paris?")], [WEATHER], {"enable_thinking": False, "custom_flag": 3}),
]

# (prompt, chosen, rejected, tools, chat_template_kwargs): completions are single assistant messages
PAIRS = [
    ([msg(U, "What's the weather in Paris?")], msg(A, "", tool_calls=[PARIS]), msg(A, "I cannot know that."), TOOLS, None),
    ([msg(S, "sys"), msg(U, "Weather in Paris?"), msg(A, "", tool_calls=[PARIS]), msg("tool", '{"temperature": 21}')],
     msg(A, "It is 21 \u00b0C.", reasoning_content="The tool says 21."), msg(A, "It is cold.", reasoning_content="Guess."), TOOLS, None),
    ([msg(U, "Find cats")], msg(A, "Searching.", tool_calls=[call("search", '{"query": "cats", "max_results": 2}')]),
     msg(A, "", tool_calls=[call("search", {"query": "dogs", "threshold": 0.5}, flat=True)]), TOOLS, None),
    ([msg(U, "2+2?")], msg(A, "4", reasoning_content="2 plus 2 is 4"), msg(A, "5", reasoning_content="I guess"), None, None),
    ([msg(U, "2+2?")], msg(A, "It is 4."), msg(A, "It is 5."), None, {"enable_thinking": False}),
    ([msg(U, "Weather in Paris?")], msg(A, "", tool_calls=[PARIS]), msg(A, "No idea."), [WEATHER], {"enable_thinking": False}),
]


def tokenizer_dir(name):
    d = tempfile.mkdtemp()
    src = os.path.join(SRC, name)
    shutil.copy(os.path.join(src, "tokenizer_config.json"), d)
    gz = os.path.join(src, "tokenizer.json.gz")
    if os.path.exists(gz):
        with gzip.open(gz, "rb") as f, open(os.path.join(d, "tokenizer.json"), "wb") as g:
            g.write(f.read())
    else:
        shutil.copy(os.path.join(src, "tokenizer.json"), d)
    return d


def render(tok, template, name):
    cases = []
    conversations = [([{"role": r, "content": c} for r, c in conv], None, None) for conv in CONVERSATIONS] + STRUCTURED
    for messages, tools, kwargs in conversations:
        for gen in (True, False):
            if gen and messages[-1]["role"] == A:
                continue
            case = {"messages": messages, "add_generation_prompt": gen}
            if tools is not None:
                case["tools"] = tools
            if kwargs is not None:
                case["chat_template_kwargs"] = kwargs
            try:
                case["expected"] = tok.apply_chat_template(messages, tools=tools, tokenize=False, add_generation_prompt=gen,
                                                           chat_template=template, **(kwargs or {}))
            except Exception as e:  # noqa: BLE001 - the error is the fixture
                case["error"] = str(e)
            cases.append(case)
    return {"name": name, "template": template if template else tok.chat_template,
            "bos_token": tok.bos_token, "eos_token": tok.eos_token, "cases": cases}


def pairs(tok):
    """What TRL 1.13's DPOTrainer (tokenize_fn in _prepare_dataset) computes for each pair."""
    out = []
    for prompt, chosen, rejected, tools, kwargs in PAIRS:
        extra = {"tools": tools, **(kwargs or {})}
        prompt_text = tok.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True, **extra)
        prompt_ids = tok.apply_chat_template(prompt, tokenize=True, return_dict=True, add_generation_prompt=True, **extra)["input_ids"]
        case = {"row": {"prompt": prompt, "chosen": [chosen], "rejected": [rejected]}, "prompt_text": prompt_text, "prompt_ids": prompt_ids}
        if tools is not None:
            case["row"]["tools"] = tools
        if kwargs is not None:
            case["chat_template_kwargs"] = kwargs
        for side, completion in (("chosen", chosen), ("rejected", rejected)):
            full_text = tok.apply_chat_template(prompt + [completion], tokenize=False, **extra)
            full_ids = tok.apply_chat_template(prompt + [completion], tokenize=True, return_dict=True, **extra)["input_ids"]
            assert full_text.startswith(prompt_text) and full_ids[:len(prompt_ids)] == prompt_ids
            case[side + "_text"] = full_text[len(prompt_text):]
            case[side + "_ids"] = full_ids[len(prompt_ids):]
        out.append(case)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    qwen = AutoTokenizer.from_pretrained(tokenizer_dir("qwen3"))
    llama3 = AutoTokenizer.from_pretrained(tokenizer_dir("llama3"))
    mistral = AutoTokenizer.from_pretrained(tokenizer_dir("mistral"))
    for name, tok, template in [("qwen3", qwen, None), ("llama3", llama3, None), ("mistral-instruct", mistral, MISTRAL), ("zephyr", mistral, ZEPHYR)]:
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(render(tok, template, name), f, indent=1, ensure_ascii=False)
    with open(os.path.join(OUT, "pairs.json"), "w") as f:
        json.dump({"qwen3": pairs(qwen), "llama3": pairs(llama3)}, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
