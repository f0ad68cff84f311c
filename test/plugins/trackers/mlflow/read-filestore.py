"""Reads a FileStore-layout tracking directory with MLflow's own client and prints it as JSON.

Used by local-store.test.ts to check that slipkit's local store is a store MLflow itself reads.
Usage: .venv-mlflow/bin/python read-filestore.py <store dir>   (needs MLFLOW_ALLOW_FILE_STORE=true)
"""
import json
import math
import pathlib
import sys

from mlflow.tracking import MlflowClient


def number(v):
    return v if math.isfinite(v) else str(v)


def main(store):
    client = MlflowClient(tracking_uri=pathlib.Path(store).resolve().as_uri())
    out = []
    for exp in client.search_experiments():
        for run in client.search_runs([exp.experiment_id]):
            history = {
                key: [[m.step, m.timestamp, number(m.value)] for m in client.get_metric_history(run.info.run_id, key)]
                for key in run.data.metrics
            }
            artifacts = []

            def walk(path=None):
                for f in client.list_artifacts(run.info.run_id, path):
                    if f.is_dir:
                        walk(f.path)
                    else:
                        artifacts.append([f.path, f.file_size])

            walk()
            out.append(
                dict(
                    experiment=exp.name,
                    run_id=run.info.run_id,
                    name=run.info.run_name,
                    status=run.info.status,
                    start_time=run.info.start_time,
                    end_time=run.info.end_time,
                    params=run.data.params,
                    tags=run.data.tags,
                    metrics=history,
                    artifacts=sorted(artifacts),
                )
            )
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
