"""Build a target's corpus of labelled quotes from gold-annotated article sets, with people's names removed.

Each gold quote becomes one row as the stance model reads it (the quote with its cue and sentence,
``evidence.quote_context``), where the quote is in it, its gold stance, and the set it came from, written as JSON lines. Every name of a
person (each speaker the gold names in any set, and any capitalised name after a title such as "President" or
"Sen.") is replaced by "the speaker", so the corpus teaches how stance is worded, never who holds it. The default
target's corpus (``annotate/stance/targets/s400-corpus.jsonl``) is built from the S-400 sets of benchmarks/data:

    .venv/bin/python tools/build_corpus.py benchmarks/data/s400_* benchmarks/data/x9_* benchmarks/data/x10_* \
        benchmarks/data/x11_* benchmarks/data/x12_* benchmarks/data/x13_* benchmarks/data/x14_* \
        benchmarks/data/x15_* --output annotate/stance/targets/s400-corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotate.extract import Layout  # noqa: E402
from annotate.extract.lexicon import ORG_WORDS, TITLE_WORDS  # noqa: E402
from annotate.gold import read_gold_json  # noqa: E402
from annotate.stance.evidence import quote_context  # noqa: E402

PLACEHOLDER = "the speaker"
# Capitalised words of a gold speaker that are no part of a person's name.
NOT_NAME_WORDS = TITLE_WORDS | {w.upper() for w in TITLE_WORDS} | {"The", "THE", "MS", "MR", "MRS", "DR"}
# Countries, capitals and peoples that gold speakers' aliases hold ("Turkish officials", "Washington").
PLACE_WORDS = set(
    "Turkey Turkish Türkiye Ankara Istanbul Russia Russian Moscow Kremlin America American Americans United States "
    "Washington Greece Greek Athens Cyprus Cypriot Europe European Brussels Israel Israeli India Indian China "
    "Chinese Beijing Iran Iranian Syria Syrian Kurdish Britain British London France French Paris Germany German "
    "Berlin Ukraine Ukrainian Kyiv Saudi Qatar Egypt Egyptian Pakistan Azerbaijan Armenia Gulf Aegean Black Sea "
    "Western Eastern Northern Southern North South East West Atlantic Capitol Hill Democratic Republican Canada "
    "Bosphorus".split()
)
# Words of organisations' names that gold aliases hold without an organisation word.
ORG_NAME_WORDS = set(
    "Affairs Concern Cooperative Democrats Republicans Electric Forum Global Great International".split()
)
NAME_WORD = r"[A-ZÀ-Þ][\w'’.-]*"
# A capitalised name after a title: "President X", "Sen. X Y", "Defence Minister X".
TITLED_RE = re.compile(
    r"\b((?:President|Minister|Secretary|Senator|Sen\.|Rep\.|Representative|Gen\.|General|Ambassador|Spokesman"
    r"|Spokeswoman|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|Governor|Chancellor|Chairman|Chairwoman|Admiral|Director|Leader)\s+)"
    rf"{NAME_WORD}(?:\s+{NAME_WORD})*"
)


def person_words(aliases: list[str]) -> set[str]:
    """The words of a gold speaker's aliases that name a person: from aliases that, titles aside, are two or more
    capitalised words with no organisation or place among them ("Defence Minister A B" gives A and B)."""
    words = set()
    for alias in aliases:
        raw = alias.replace("’s", "").replace("'s", "").split()
        tokens = [t for t in raw if t not in NOT_NAME_WORDS]
        if (
            len(raw) >= 2
            and tokens
            and all(t[0].isupper() and not any(c.isdigit() for c in t) for t in raw)
            and not any(t.strip(".,").capitalize() in ORG_WORDS | PLACE_WORDS | ORG_NAME_WORDS for t in raw)
        ):
            words |= {t for t in tokens if len(t) > 2}
    return words


# A leader's name before what they lead: "the X administration", "the X government".
LEADER_RE = re.compile(rf"\b({NAME_WORD})(?=\s+(?:administration|government|era|team|campaign|doctrine)\b)")


def mask_names(text: str, names: set[str]) -> str:
    text = TITLED_RE.sub(rf"\1{PLACEHOLDER}", text)
    text = LEADER_RE.sub(lambda m: m.group() if m.group() in PLACE_WORDS | ORG_WORDS else PLACEHOLDER, text)
    if names:
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        run = rf"(?<![\w-])(?:{alternatives})(?:\s+(?:{alternatives}))*(?![\w-])"
        text = re.sub(run, PLACEHOLDER, text)
    return re.sub(rf"(?:{PLACEHOLDER}\s+)+{PLACEHOLDER}", PLACEHOLDER, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path, help="folders holding gold.json and docs/")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    golds = {folder.name: read_gold_json(folder / "gold.json", folder / "docs") for folder in args.sets}
    names: set[str] = set()
    for gold in golds.values():
        for document in gold:
            for reference in document.references:
                names |= person_words(reference.aliases)
    rows = []
    for name, gold in golds.items():
        for document in gold:
            layout = Layout.of(document.document.text)
            for reference in document.references:
                context, (start, end) = quote_context(layout, reference.quote)
                # Masked in three pieces, so that the quote's offsets are known in the masked text.
                before, quote, after = (
                    mask_names(part, names) for part in (context[:start], context[start:end], context[end:])
                )
                text = before + quote + after
                row = {
                    "text": text,
                    "label": reference.stance,
                    "set": name,
                    "quote": [len(before), len(before) + len(quote)],
                }
                rows.append(row)
    unique = list({(row["text"], row["label"], tuple(row["quote"])): row for row in rows}.values())
    args.output.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in unique), encoding="utf-8")
    print(f"{len(unique)} labelled quotes from {len(golds)} sets -> {args.output}")


if __name__ == "__main__":
    main()
