"""One-seed screen: multilingual knowledge distillation on FLORES for the AfriQA question (not a recipe setting).

Reimers & Gurevych 2020 ("Making monolingual sentence embeddings multilingual using knowledge
distillation", arXiv 2004.09813) train a student so that its embedding of a translation equals the teacher's
embedding of the English source. Here the teacher is multilingual-e5-small itself, frozen; the student starts
from it; the rows are, for the 701 FLORES sentences of each of the six AfriQA languages,
student("query: " + x) -> teacher("query: " + English), plus the English anchors
student("query: " + en) -> teacher("query: " + en) and student("passage: " + en) -> teacher("passage: " + en)
(5,608 rows). sentence-transformers' MSELoss; 150 steps x 32 rows (the recipe's budget). Then:

    codeswitch evaluate --model OUT --query-prefix "query: " --passage-prefix "passage: " \
        --dataset afriqa/dev --dataset tydi/sw --dataset tydi/te --dataset tydi/bn --data-dir ../shared/data

Usage: python benchmarks/african_distill_screen.py --model PATH --out DIR [--seed 1] [--lr 1e-4] [--steps 150]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

LANGS = ("bem_Latn", "hau_Latn", "ibo_Latn", "kin_Latn", "twi_Latn", "zul_Latn")


def read_flores(root: Path, code: str) -> dict[str, str]:
    with open(root / f"{code}.train.tsv", encoding="utf-8", newline="") as f:
        return {r["index_id"]: r["text"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="multilingual-e5-small: hub id or local path")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default="../shared/data/flores-sib200")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--steps", type=int, default=150)
    a = ap.parse_args()

    import datasets
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer import losses

    root = Path(a.data)
    en = read_flores(root, "eng_Latn")
    ids = sorted(en)
    teacher = SentenceTransformer(a.model, device="cpu")
    t_query = teacher.encode(["query: " + en[i] for i in ids], batch_size=64, convert_to_numpy=True)
    t_passage = teacher.encode(["passage: " + en[i] for i in ids], batch_size=64, convert_to_numpy=True)
    texts, labels = [], []
    for code in LANGS:
        x = read_flores(root, code)
        texts += ["query: " + x[i] for i in ids]
        labels += list(t_query)
    for k, i in enumerate(ids):  # the anchors, query and passage form of each sentence in turn
        texts += ["query: " + en[i], "passage: " + en[i]]
        labels += [t_query[k], t_passage[k]]
    rows = datasets.Dataset.from_dict({"text": texts, "label": [v.tolist() for v in labels]})
    student = SentenceTransformer(a.model, device="cpu")
    length = student.max_seq_length
    student.max_seq_length = 128
    args = SentenceTransformerTrainingArguments(
        output_dir=a.out + ".checkpoints", per_device_train_batch_size=32, max_steps=a.steps, learning_rate=a.lr,
        warmup_steps=0.1, seed=a.seed, data_seed=a.seed, logging_steps=10, save_strategy="no", report_to="none",
        use_cpu=True, dataloader_drop_last=True)
    started = time.perf_counter()
    trainer = SentenceTransformerTrainer(model=student, args=args, train_dataset=rows, loss=losses.MSELoss(student))
    trainer.train()
    seconds = time.perf_counter() - started
    student.max_seq_length = length
    student.save(a.out)
    log = [e for e in trainer.state.log_history if "loss" in e]
    Path(a.out, "distill_screen.json").write_text(json.dumps(
        {"rows": len(rows), "seed": a.seed, "lr": a.lr, "steps": a.steps, "train_seconds": round(seconds, 1),
         "loss_first": log[0]["loss"] if log else None, "loss_last": log[-1]["loss"] if log else None}, indent=1))
    print(f"{len(rows):,} rows, {a.steps} steps in {seconds:.0f} s; wrote {a.out}")


if __name__ == "__main__":
    main()
