"""The registered model as an MLflow pyfunc: the same answers as Triton's `assistant`, in-process.

`mlflow.pyfunc.load_model("models:/mtassist-assistant@champion").predict(["turn on the lights"])`
returns one answer dict per text, from the same `Assistant` that Triton's `assistant` model runs.
The registry assigns the version number after the bundle is logged, so these answers carry
`model_version` "unregistered"; Triton's carry the version that deploy wrote into the card.
"""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc

from mtassist.contracts import MLFLOW_BUNDLE_ARTIFACT


class AssistantPyfunc(mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        from mtassist.assistant import Assistant
        from mtassist.cores import available_cores

        bundle = Path(context.artifacts[MLFLOW_BUNDLE_ARTIFACT])
        self.assistant = Assistant.from_dir(bundle, threads=available_cores())

    def predict(self, context, model_input: list[str], params=None) -> list[dict]:
        return self.assistant.answer(list(model_input))
