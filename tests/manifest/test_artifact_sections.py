"""Validation of the artifact sections: layers, images, provider.build, package.dependencies,
custom.pythonRequirements. Every problem points at file:line:col and the key."""

from __future__ import annotations

import pytest

from tests.manifest.conftest import Env

BASE = "service: svc\nprovider:\n  name: aws\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BASE + "  build:\n    container: sometimes\n",
         "5:16 provider.build.container: 'sometimes' is not a container mode; allowed: auto, always, never"),
        ("service: svc\nprovider:\n  name: aws\npackage:\n  dependencies: vendored\n",
         "5:17 package.dependencies: 'vendored' is not a dependencies mode; allowed: function, layer, none"),
        (BASE + "layers:\n  deps:\n    description: x\n",
         "5:3 layers.deps: a layer needs `path:` (a directory, or one holding requirements.txt)"),
        (BASE + "layers:\n  deps:\n    path: d\n    compatibleArchitectures: [x86]\n",
         "7:31 layers.deps.compatibleArchitectures.0: 'x86' is not x86_64 or arm64"),
        (BASE + "  ecr:\n    images:\n      app:\n        path: ./\n        uri: 1.dkr.ecr.us-east-1.amazonaws.com/a:1"
         "\n",
         "6:7 provider.ecr.images.app: an image needs exactly one of `path:` (build it) or `uri:` (use it as is)"),
        (BASE + "functions:\n  api:\n    image: 1.dkr.ecr.us-east-1.amazonaws.com/app\n",
         "6:12 functions.api.image: image URI '1.dkr.ecr.us-east-1.amazonaws.com/app' needs a tag or a digest "
         "(repo:tag or repo@sha256:...)"),
        (BASE + "custom:\n  pythonRequirements:\n    dockerizePip: maybe\n",
         "6:19 custom.pythonRequirements.dockerizePip: must be true or false, got 'maybe'"),
        (BASE + "functions:\n  api:\n    handler: h.main\n    layers:\n      - arn:aws:lambda:us-east-1:1:layer:x\n",
         "8:9 functions.api.layers.0: 'arn:aws:lambda:us-east-1:1:layer:x' is not a layer version ARN "
         "(arn:aws:lambda:...:layer:NAME:N)"),
        (BASE + "  layers:\n    - Ref: NopeLambdaLayer\nfunctions:\n  api:\n    handler: h.main\n",
         "5:7 provider.layers.0: NopeLambdaLayer is not a layer of this service"),
        (BASE + "  layers: [" + ", ".join(f"arn:aws:lambda:us-east-1:1:layer:l{i}:1" for i in range(6)) + "]\n",
         "4:3 provider.layers: 6 layers is above the Lambda maximum of 5"),
    ],
)  # fmt: skip
def test_artifact_section_problems(env: Env, text, expected):
    assert env.problem(text) == f"serverless.yml:{expected}"


def test_requirements_plugin_layer_and_options(env: Env):
    manifest = env.load(
        BASE + "  build:\n    image: my/build:latest\ncustom:\n  pythonRequirements:\n    layer: true\n"
        "    fileName: req.txt\n"
        "    noDeploy: [boto3]\n    slim: true\nfunctions:\n  api:\n    handler: h.main\n"
    )
    build = manifest.artifacts.build
    assert (build.dependencies, build.requirements_file, build.no_deploy, build.build_image) == (
        "layer", "req.txt", ("boto3",), "my/build:latest"
    )  # fmt: skip
    assert manifest.artifacts.function_layers["api"] == ("pythonRequirements",)
    assert manifest.artifacts.layers["pythonRequirements"].name == "svc-dev-python-requirements"
    assert any("slim ignored" in note for note in manifest.notes)


def test_provider_layers_go_to_functions_without_their_own(env: Env):
    # Serverless: provider.layers apply to every function; a function's own `layers:` replaces them.
    arn = "arn:aws:lambda:us-east-1:123456789012:layer:tools:3"
    manifest = env.load(
        BASE + f"  layers:\n    - Ref: SharedLambdaLayer\n    - {arn}\nlayers:\n  shared:\n    path: layer\n"
        "functions:\n  api:\n    handler: h.main\n  own:\n    handler: h.main\n    layers: [shared]\n"
        "  none:\n    handler: h.main\n    layers: []\n"
    )
    assert manifest.artifacts.function_layers == {"api": ("shared", arn), "own": ("shared",), "none": ()}


def test_image_function_with_config_overrides(env: Env):
    manifest = env.load(
        BASE + "  ecr:\n    images:\n      app:\n        path: ./img\n        buildArgs:\n          V: 1\n"
        "functions:\n  api:\n    image:\n      name: app\n      command: [app.handler]\n      workingDirectory: /w\n"
    )
    image = manifest.artifacts.function_images["api"]
    assert (image.image, image.command, image.working_directory) == ("app", ("app.handler",), "/w")
    assert manifest.artifacts.images["app"].build_args == {"V": "1"}
