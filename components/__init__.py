"""The pipeline's Kubeflow components (`mtassist.components`), one `@dsl.component` per module.

Each parses its arguments, calls one library function and records its kfp artifacts; heavy
imports stay inside the function, so the pipeline compiles without torch.
"""
