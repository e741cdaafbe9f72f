"""The decorator every mtassist component uses: one image, no kfp install at run time.

The image holds mtassist and its dependencies (infra/docker/Dockerfile); locally kfp's subprocess
runner uses the current interpreter instead, where mtassist is installed.
"""

from __future__ import annotations

import functools

from kfp import dsl

from mtassist.settings import Settings

component = functools.partial(dsl.component, base_image=Settings.from_env().image, install_kfp_package=False)
