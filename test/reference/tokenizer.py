"""Reference token ids for slipkit's `clip-bpe` tokenizer, from open_clip's SimpleTokenizer
(CLIP's own BPE with ftfy + html cleanup, lowercasing), imported from its file because
`import open_clip` needs torchvision.

Writes
  test/fixtures/tokenizer/clip-bpe.json    captions, their raw BPE ids, open_clip's padded
                                           rows at contexts 77 and 32 (truncation keeps the
                                           end token) and SLIP's rows at 32 (truncation drops it)
  plugins/tokenizers/html-entities.json    Python's HTML5 entity table and its special cases
                                           for numeric references, which CLIP's cleanup
                                           (html.unescape, ftfy) relies on; slipkit reads it

Run: .venv/bin/python test/reference/tokenizer.py
"""
import glob
import html
import html.entities
import importlib.util
import json
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SITE = glob.glob(os.path.join(ROOT, ".venv", "lib", "python3*", "site-packages"))[0]

spec = importlib.util.spec_from_file_location("open_clip_tokenizer", os.path.join(SITE, "open_clip", "tokenizer.py"))
tokenizer_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tokenizer_module)
tokenizer = tokenizer_module.SimpleTokenizer()

LONG = ("a very long caption about a small brown dog that runs across a green field of grass "
        "while children play with a red ball near an old wooden fence under a cloudy grey sky, ") * 3

CAPTIONS = [
    "a photo of a cat.",
    "A Photo of a DOG!!",
    "the number 7.",
    "3.14159 and 2,718 and 1000000 and 42nd street",
    "Hello, world... what's up? I'll be there; we've done it & you're fine.",
    "DON'T stop: can't, won't, it's, she'd, they'll, I'm",
    "  multiple   spaces\tand\nnewlines\r\nand a carriage return  ",
    "café crème brûlée à la mode, naïve façade, Ærøskøbing",
    "Ünïcödé ÅNGSTRÖM and Greek ΣΊΣΥΦΟΣ",
    "curly “double” and ‘single’ quotes — an em dash – an en dash…",
    "東京タワーの写真",
    "한국어 문장입니다 and 中文字符",
    "emoji 😀 party 🎉🎉 and a ninja cat 🐱‍👤 with skin tone 👍🏽",
    "fish &amp; chips &quot;yum&quot; &#39;ok&#39; &#x263A; &eacute;t&eacute; &AMP; &NTILDE;",
    "html with a tag <b>bold</b> &amp; not decoded twice",
    "references: &#128512; &#xD800; &#0; &#150; &copy2020 &notit; &#1114112;",
    "ﬁne ﬂowers in a ﬀ ligature",
    "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ １２３ and ﾊﾝｶｸ katakana",
    "e\u0301 composed and decomposed é",
    "control\x00chars\x07and\u200bzero width\ufeffbom",
    "url http://example.com/a_b?c=d#e and email someone@example.org",
    "x",
    "",
    "a medium caption that is longer than thirty two tokens but much shorter than seventy seven tokens in all, "
    "so that it is cut only at the smaller context length of thirty two tokens and never at the larger one",
    LONG,
]


def slip_rows(all_tokens, context_length):
    # SLIP's tokenizer.__call__ (CLIP's original): tokens[:context_length], end token lost
    return [(tokens[:context_length] + [0] * context_length)[:context_length] for tokens in all_tokens]


def main():
    sot, eot = tokenizer.sot_token_id, tokenizer.eot_token_id
    encoded = [tokenizer.encode(c) for c in CAPTIONS]
    fixture = {
        "about": "test/reference/tokenizer.py: open_clip SimpleTokenizer (CLIP BPE, ftfy, html unescape, lowercase)",
        "sot": sot,
        "eot": eot,
        "vocabSize": tokenizer.vocab_size,
        "captions": CAPTIONS,
        "encoded": encoded,
        "openClip77": tokenizer(CAPTIONS, context_length=77).tolist(),
        "openClip32": tokenizer(CAPTIONS, context_length=32).tolist(),
        "slip32": slip_rows([[sot] + e + [eot] for e in encoded], 32),
    }
    out = os.path.join(ROOT, "test", "fixtures", "tokenizer", "clip-bpe.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {out}; lengths {[len(e) for e in encoded]}")

    entities = {
        "about": "Python's html.entities.html5 and html._invalid_charrefs / _invalid_codepoints, written by test/reference/tokenizer.py",
        "html5": html.entities.html5,
        "invalidCharrefs": {str(k): v for k, v in html._invalid_charrefs.items()},
        "invalidCodepoints": sorted(html._invalid_codepoints),
    }
    out = os.path.join(ROOT, "plugins", "tokenizers", "html-entities.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(entities, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
