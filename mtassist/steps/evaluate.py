"""The evaluate step: every head of every trained model on the test split (also noisy) and on unseen values."""

from __future__ import annotations

import logging
from pathlib import Path

from mtassist.contracts import CARD_MAX_LENGTH
from mtassist.data.dataset import rows_by_split

log = logging.getLogger(__name__)


def evaluate(dataset_dir: Path, model_dirs: dict[str, Path]) -> dict:
    """{"models": {name: {"metrics", "confusion", "per_intent"}}, "labels": ..., "test_rows": N} on the test split."""
    from mtassist.evaluation import evaluate_splits
    from mtassist.inference import REPLIES_FROM, EmbeddedBy, TorchForward
    from mtassist.model.storage import load_trained

    splits = rows_by_split(dataset_dir)
    test_rows = splits["test"]
    results: dict[str, dict] = {}
    labels: dict = {}
    loaded: dict[str, TorchForward] = {}
    for name, directory in model_dirs.items():
        model, tokenizer, run = load_trained(directory)
        source = loaded.get(REPLIES_FROM.get(name, ""))
        loaded[name] = TorchForward(model, replies=EmbeddedBy(source) if source is not None else None)
        evaluation = evaluate_splits(loaded[name], tokenizer, splits, run[CARD_MAX_LENGTH])
        results[name] = {
            "metrics": evaluation.metrics,
            "confusion": evaluation.confusion,
            "per_intent": evaluation.per_intent,
            "sentiment_by_source": evaluation.sentiment_by_source,
            "probe_misses": evaluation.probe_misses,
        }
        labels = model.labels.to_dict()
        log.info("%s test score %.4f", name, evaluation.metrics["score"])
    return {"models": results, "labels": labels, "test_rows": len(test_rows)}


def report_markdown(evaluation: dict) -> str:
    """Markdown: every metric, then the accuracy of every intent, one column per model."""
    names = list(evaluation["models"])
    metrics = list(next(iter(evaluation["models"].values()))["metrics"])
    lines = [
        f"# mtassist evaluation ({evaluation['test_rows']} test rows)",
        "",
        "| metric | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for metric in metrics:
        values = " | ".join(f"{evaluation['models'][n]['metrics'][metric]:.4f}" for n in names)
        lines.append(f"| {metric} | {values} |")
    intents = sorted({intent for n in names for intent in evaluation["models"][n].get("per_intent", {})})
    if intents:
        lines += ["", "## Accuracy per intent", "", "| intent | test rows | " + " | ".join(names) + " |"]
        lines.append("|---" * (len(names) + 2) + "|")
        for intent in intents:
            cells = [evaluation["models"][n]["per_intent"].get(intent, {}) for n in names]
            rows = next((cell["rows"] for cell in cells if cell), 0)
            values = " | ".join(f"{cell['accuracy']:.3f}" if cell else "" for cell in cells)
            lines.append(f"| {intent} | {rows} | {values} |")
    return "\n".join(lines) + "\n"
