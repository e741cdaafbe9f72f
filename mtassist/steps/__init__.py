"""The pipeline's steps as plain functions over local paths, one module per lifecycle stage.

Each KFP component parses its arguments, calls one function here (or in the library) and
writes its artifacts; tests call these functions directly. What each step writes:

| step            | function                          | writes                                           |
|-----------------|-----------------------------------|--------------------------------------------------|
| ingest          | `data.dataset.build_dataset`      | dataset dir: examples.jsonl, labels.json, manifest.json |
| validate        | `data.validation.check_dataset`   | HTML report (and its JSON)                       |
| train_teacher   | `steps.train.train_teacher`       | model dir (`model.storage`)                      |
| distill_student | `steps.train.distill_student`     | model dir, with fewer encoder layers             |
| evaluate        | `steps.evaluate.evaluate`         | evaluation.json ({"models": {name: metrics}})    |
| export          | `steps.export.export`             | bundle dir (contracts.BUNDLE_*)                  |
| register        | `steps.release.register`          | an MLflow model version, alias `challenger`      |
| promote         | `steps.release.promote`           | alias `champion`, when the gate says so          |
| deploy          | `mtassist.serving.deploy.deploy`  | the Triton model repository                      |
| smoke_test      | `mtassist.serving.smoke.smoke_test` | nothing: gRPC answers, checked                 |

The core never imports the serving layer: deploy and smoke test live there.
"""
