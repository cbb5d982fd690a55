"""What a deploy does to infra/template.yaml, done here: `sam package` (CodeUri to S3 URIs), the
SAM transform CloudFormation applies (aws-sam-translator), cfn-lint on the result, and the stack
created on moto_server's CloudFormation. Also the functions' environment contract, from the Rust
code (examples/environment.rs of the tenure-lambda crate).

Python because the transform and the linter are Python libraries (called in-process here, not
through their command lines) and boto3 comes with moto, so this check needs no Rust SDK crates
for CloudFormation, IAM and Lambda compiled on top of the workspace.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import logging
import os
import subprocess
import warnings
import zipfile
from pathlib import Path
from typing import Any

import boto3
import cfnlint.api
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "infra" / "template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
# Where `sam package` would have uploaded the functions' code (any bucket and key will do).
ARTIFACTS_BUCKET = "tenure-deploy-artifacts"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def source() -> dict[str, Any]:
    """infra/template.yaml as CloudFormation reads it (short-form intrinsics expanded)."""
    return yaml_parse(TEMPLATE.read_text())


def packaged(template: dict[str, Any]) -> dict[str, Any]:
    """The template as `sam package` leaves it: each function's code at an S3 URI."""
    template = copy.deepcopy(template)
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            uri = f"s3://{ARTIFACTS_BUCKET}/{logical_id}.zip"
            resource.setdefault("Properties", {})["CodeUri"] = uri
    return template


class _NoManagedPolicies:
    """The template names no managed policy for SAM to look up (its own are built in)."""

    def load(self) -> dict[str, str]:
        return {}


@functools.cache
def _transformed_text(text: str) -> str:
    template = packaged(yaml_parse(text))
    session = boto3.session.Session(region_name=REGION, **CREDENTIALS)
    translator = Translator(None, Parser(), boto_session=session)
    result = translator.translate(
        template, parameter_values={}, get_managed_policy_map=_NoManagedPolicies().load
    )
    return json.dumps(result, indent=1)


def transformed() -> dict[str, Any]:
    """The packaged template after the SAM transform (what CloudFormation creates)."""
    return json.loads(_transformed_text(TEMPLATE.read_text()))


def lint(text: str) -> list[str]:
    """cfn-lint's errors and warnings on a template (YAML or JSON text), one line each."""
    return [
        f"{match.rule.id} {match.message} (line {match.linenumber})"
        for match in cfnlint.api.lint(text, regions=[REGION])
        if match.rule.id[:1] in ("E", "W")
    ]


@functools.cache
def contract() -> dict[str, Any]:
    """What each function's binary reads from its environment, from the Rust code."""
    # Built with the whole workspace's features (not `-p`), so the test command's earlier
    # builds are reused instead of compiling the engine a second time.
    cargo = os.environ.get("CARGO", "cargo")
    build = [cargo, "build", "--quiet", "--workspace", "--examples"]
    done = subprocess.run(build, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(build)} failed:\n{done.stderr}")
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    example = target / "debug" / "examples" / "environment"
    done = subprocess.run([str(example)], cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{example} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def binaries(template: dict[str, Any]) -> dict[str, str]:
    """Each function's logical id and the binary it runs (Metadata.BuildProperties.Binary)."""
    return {
        logical_id: resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary", "")
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }


class Moto:
    """moto_server (moto's own server, the one tests/support starts for the Rust tests) on a free
    loopback port in this process, with the functions' code uploaded where the packaged
    template says it is."""

    def __init__(self) -> None:
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # moto says so for each resource it skips; the check names those itself
        # (NOT_CREATED_BY_MOTO) and fails when the list and moto disagree.
        logging.getLogger("moto").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", message="Tried to parse .* not supported by moto")
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        s3 = self.client("s3")
        s3.create_bucket(Bucket=ARTIFACTS_BUCKET)
        for logical_id in binaries(transformed()):
            s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=f"{logical_id}.zip", Body=_code_zip())

    def client(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=REGION, **CREDENTIALS
        )

    def stop(self) -> None:
        self._server.stop()


def _code_zip() -> bytes:
    """A deployment package: moto stores it, nothing runs it (the binaries are tested by
    functions/lambda/tests under cargo-lambda's Runtime API emulator)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bootstrap", "#!/bin/sh\nexit 1\n")
    return buffer.getvalue()


class Stack:
    """The transformed template created as a stack on moto, with these parameters."""

    def __init__(self, moto: Moto, name: str, parameters: dict[str, str]) -> None:
        self.moto = moto
        self.name = name
        self.template = transformed()
        self.parameters = {
            key: str(value.get("Default", ""))
            for key, value in self.template.get("Parameters", {}).items()
        }
        self.parameters.update(parameters)
        cloudformation = moto.client("cloudformation")
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=json.dumps(self.template),
            Parameters=[
                {"ParameterKey": key, "ParameterValue": value}
                for key, value in parameters.items()
            ],
            Capabilities=["CAPABILITY_IAM"],
        )
        self.description = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        summaries = cloudformation.list_stack_resources(StackName=name)[
            "StackResourceSummaries"
        ]
        # moto lists what it could not create without a logical id.
        self.physical = {
            summary["LogicalResourceId"]: summary.get("PhysicalResourceId", "")
            for summary in summaries
            if summary.get("LogicalResourceId")
        }
        self.outputs = {
            output["OutputKey"]: output["OutputValue"]
            for output in self.description.get("Outputs", [])
        }

    def value(self, declared: Any) -> str:
        """A literal or a parameter's value (`{"Ref": "Parameter"}`) with this stack's parameters."""
        if isinstance(declared, dict):
            (name,) = declared.values()
            return self.parameters[name]
        return str(declared)

    def resource(self, logical_id: str) -> str:
        """The physical id (name, URL) of a resource moto created."""
        if logical_id not in self.physical:
            raise AssertionError(f"moto did not create {logical_id} in stack {self.name}")
        return self.physical[logical_id]
