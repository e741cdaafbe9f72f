"""The registered model as an MLflow pyfunc: the same answers as Triton's `assistant`, in-process.

`mlflow.pyfunc.load_model("models:/mtassist-assistant@champion").predict(["turn on the lights"])`
returns one answer dict per text, decoded by the same `AnswerDecoder` the Triton models use.
The registry assigns the version number after the bundle is logged, so these answers carry
`model_version` "unregistered"; Triton's carry the version that deploy wrote into the card.
"""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc

from mtassist.contracts import BUNDLE_ONNX, BUNDLE_TOKENIZER_DIR, MLFLOW_BUNDLE_ARTIFACT, ONNX_INPUTS


class AssistantPyfunc(mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        import json

        import onnxruntime as ort

        from mtassist.answers import AnswerDecoder
        from mtassist.contracts import BUNDLE_CARD, CARD_MAX_LENGTH
        from mtassist.tokenization import load_tokenizer

        bundle = Path(context.artifacts[MLFLOW_BUNDLE_ARTIFACT])
        self.tokenizer = load_tokenizer(bundle / BUNDLE_TOKENIZER_DIR)
        self.session = ort.InferenceSession(str(bundle / BUNDLE_ONNX), providers=["CPUExecutionProvider"])
        self.max_length = int(json.loads((bundle / BUNDLE_CARD).read_text())[CARD_MAX_LENGTH])
        self.decoder = AnswerDecoder.from_dir(bundle)

    def predict(self, context, model_input: list[str], params=None) -> list[dict]:
        from mtassist.tokenization import encode

        texts = list(model_input)
        encoded = encode(self.tokenizer, texts, self.max_length)
        names = [output.name for output in self.session.get_outputs()]
        outputs = dict(zip(names, self.session.run(names, {name: encoded[name] for name in ONNX_INPUTS})))
        return self.decoder.decode(texts, encoded["offsets"], outputs)
