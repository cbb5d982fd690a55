"""infra/template.yaml deploys: transformed as CloudFormation does, it lints clean, and created on
moto's CloudFormation it makes the queue, dead-letter queue, bucket, roles and functions the code
expects. What moto cannot create is named below, with the reason, and checked in the transformed
template instead.

Run by scripts/test: `.venv/bin/python -m unittest discover -s tests/template -v`.
"""

from __future__ import annotations

import ast
import json
import re
import unittest
import urllib.parse
from typing import Any

import deploy

# Resource types in the transformed template that moto's CloudFormation cannot create (it skips
# them). Each is checked in the transformed template by TransformedTemplate below. When a moto
# upgrade creates one, TheStack fails until it is moved to the checks on the stack.
NOT_CREATED_BY_MOTO = {
    "AWS::ApiGatewayV2::Api": "moto's CloudFormation has no API Gateway v2 (HTTP API) resources",
    "AWS::ApiGatewayV2::Stage": "moto's CloudFormation has no API Gateway v2 (HTTP API) resources",
    "AWS::S3::BucketPolicy": "moto's CloudFormation has no bucket policies",
    "AWS::SQS::QueueInlinePolicy": "moto's CloudFormation has no SQS inline queue policies",
    "AWS::Scheduler::Schedule": "moto's CloudFormation has no EventBridge Scheduler",
}

# Properties moto's CloudFormation accepts but does not apply: why, and the test of
# TransformedTemplate below that checks them in the transformed template instead.
BUCKET_IN_TEMPLATE = "test_the_bucket_keeps_versions_blocks_public_access_and_expires_replay_entries"
NOT_APPLIED_BY_MOTO = {
    ("AWS::S3::Bucket", "VersioningConfiguration"): ("moto leaves it unversioned", BUCKET_IN_TEMPLATE),
    ("AWS::S3::Bucket", "PublicAccessBlockConfiguration"): ("moto blocks nothing", BUCKET_IN_TEMPLATE),
    ("AWS::S3::Bucket", "OwnershipControls"): ("moto sets no ownership", BUCKET_IN_TEMPLATE),
    ("AWS::S3::Bucket", "LifecycleConfiguration"): ("moto sets no rules", BUCKET_IN_TEMPLATE),
    ("AWS::S3::Bucket", "CorsConfiguration"): (
        "moto sets no CORS rules",
        "test_the_bucket_lets_only_the_consoles_origin_put_uploads_across_origins",
    ),
    ("AWS::Lambda::Function", "Architectures"): (
        "moto reports every function as x86_64",
        "test_each_function_runs_on_arm64_graviton_from_provided_al2023",
    ),
    ("AWS::IAM::Role", "ManagedPolicyArns"): (
        "moto attaches no AWS managed policy",
        "test_each_role_of_a_function_may_log_and_nothing_more_than_its_statements",
    ),
}

# The variables whose values come from the stack: each function that reads one gets exactly
# this (other variables must merely be set). `stack` is a deploy.Stack.
STACK_VALUES = {
    "TENURE_BUCKET": lambda stack: stack.resource("DataBucket"),
    "TENURE_QUEUE_URL": lambda stack: stack.resource("WorkQueue"),
    "TENURE_DEAD_LETTER_QUEUE_URL": lambda stack: stack.resource("WorkDeadLetterQueue"),
    "RUST_LOG": lambda stack: stack.parameters["LogLevel"],
    "TENURE_APP_CLIENT_ID": lambda stack: stack.parameters["TenureAppClientId"] or None,
    "TENURE_APP_CLIENT_SECRET_ID": lambda stack: (
        stack.parameters["TenureAppClientSecretName"]
        if stack.parameters["TenureAppClientId"]
        else None
    ),
    "TENURE_PUBLIC_URL": lambda stack: stack.parameters["PublicUrl"] or None,
    "TENURE_OPERATORS": lambda stack: stack.parameters["Operators"] or None,
}

SECRET_KINDS_ALL_ACCESS = [
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecretVersionStage",
]


def allow(actions: str | list[str], *resources: str, prefix: str | None = None) -> set:
    """The (action, resource, listing prefix) grants of one statement."""
    actions = [actions] if isinstance(actions, str) else actions
    return {(action, resource, prefix) for action in actions for resource in resources}


# The admin layer and sign-in open and seal session cookies with the deployment's session key,
# made on first use.
SESSION_KEY = allow(
    ["secretsmanager:GetSecretValue", "secretsmanager:CreateSecret"],
    "{secret}tenure/_deployment/session-??????",
)

# The functions behind the admin layer that take API tokens check them against each
# connection's tokens with the deployment's API-token key, made on first use, and audit every
# admin request they answer.
TOKEN_KEY = allow(
    ["secretsmanager:GetSecretValue", "secretsmanager:CreateSecret"],
    "{secret}tenure/_deployment/api-token-hmac-??????",
)

# provision and plugin-upload, the functions that write compiled plugin code, seal and check it
# with the deployment's compiled-code key, made on first use; hr-webhook and scheduled-sync, which
# run the plugin to judge a whole change, check it (they never write compiled code).
CODE_KEY = allow(
    ["secretsmanager:GetSecretValue", "secretsmanager:CreateSecret"],
    "{secret}tenure/_deployment/plugin-code-hmac-??????",
)

# What each binary's role grants, and nothing more: the S3 prefixes of the key layout at the top
# of infra/template.yaml, the queues, and the secret kinds tenure/<connection>/<kind>. {bucket},
# {queue}, {dead_letters}, {secret} (an ARN up to "secret:") and {app_secret} are the stack's.
GRANTS = {
    "consent": allow("s3:GetObject", "{bucket}/connections/*")
    | allow(SECRET_KINDS_ALL_ACCESS, "{secret}tenure/*/authorization-??????")
    | SESSION_KEY
    | allow("secretsmanager:GetSecretValue", "{app_secret}"),
    "oauth-callback": allow(["s3:GetObject", "s3:PutObject"], "{bucket}/connections/*")
    | allow(
        SECRET_KINDS_ALL_ACCESS,
        "{secret}tenure/*/authorization-??????",
        "{secret}tenure/*/refresh-token-??????",
    )
    | SESSION_KEY
    | allow("secretsmanager:GetSecretValue", "{app_secret}"),
    "sign-in": SESSION_KEY | allow("secretsmanager:GetSecretValue", "{app_secret}"),
    "hr-webhook": allow(
        ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "{bucket}/webhook-replay/*"
    )
    | allow(
        "s3:GetObject", "{bucket}/connections/*", "{bucket}/plugins/*", "{bucket}/compiled/*"
    )
    | allow("s3:PutObject", "{bucket}/connections/*/approvals/*")
    | allow("s3:PutObject", "{bucket}/connections/*/deliveries/*")
    | CODE_KEY
    | allow("secretsmanager:GetSecretValue", "{secret}tenure/*/webhook-key-??????")
    | allow("sqs:SendMessage", "{queue}"),
    "provision": allow(
        [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
            # The rest of work not finished before the invocation's deadline, re-queued.
            "sqs:SendMessage",
        ],
        "{queue}",
    )
    | allow("sqs:SendMessage", "{dead_letters}")
    | allow(["s3:GetObject", "s3:PutObject"], "{bucket}/connections/*")
    | allow("s3:ListBucket", "{bucket}", prefix="connections/*/runs/*")
    | allow("s3:ListBucket", "{bucket}", prefix="connections/*/approvals/*")
    | allow("s3:DeleteObject", "{bucket}/connections/*/in-flight/*")
    | allow("s3:ListBucket", "{bucket}", prefix="connections/*/in-flight/*")
    | allow("s3:ListBucket", "{bucket}", prefix="audit/*")
    | allow("s3:GetObject", "{bucket}/plugins/*")
    | allow(["s3:GetObject", "s3:PutObject"], "{bucket}/compiled/*")
    | CODE_KEY
    | allow(["s3:GetObject", "s3:PutObject"], "{bucket}/audit/*")
    | allow(
        "secretsmanager:GetSecretValue",
        "{secret}tenure/*/client-secret-??????",
        "{secret}tenure/*/certificate-key-??????",
    )
    | allow(
        [
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage",
        ],
        "{secret}tenure/*/refresh-token-??????",
    )
    | allow("secretsmanager:GetSecretValue", "{app_secret}"),
    "scheduled-sync": allow("s3:ListBucket", "{bucket}", prefix="connections/*")
    | allow("s3:GetObject", "{bucket}/connections/*")
    | allow("s3:GetObject", "{bucket}/plugins/*", "{bucket}/compiled/*")
    | allow("s3:PutObject", "{bucket}/connections/*/approvals/*")
    | allow(
        "s3:DeleteObject",
        "{bucket}/connections/*/runs/*",
        "{bucket}/connections/*/deliveries/*",
        "{bucket}/connections/*/hr/known/*",
    )
    | CODE_KEY
    | allow("sqs:SendMessage", "{queue}"),
    "plugin-upload": allow(["s3:GetObject", "s3:PutObject"], "{bucket}/connections/*")
    | allow("s3:ListBucket", "{bucket}", prefix="plugins/*")
    | allow(["s3:GetObject", "s3:PutObject"], "{bucket}/plugins/*", "{bucket}/compiled/*")
    | allow("s3:DeleteObject", "{bucket}/plugins/*")
    | allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "{bucket}/plugin-uploads/*")
    | allow("s3:ListBucket", "{bucket}", prefix="plugin-uploads/*")
    | CODE_KEY
    | SESSION_KEY
    | TOKEN_KEY
    | allow("secretsmanager:GetSecretValue", "{secret}tenure/*/api-tokens-??????")
    | allow("s3:PutObject", "{bucket}/audit/*"),
    "admin-api": SESSION_KEY
    | TOKEN_KEY
    | allow(SECRET_KINDS_ALL_ACCESS, "{secret}tenure/*/api-tokens-??????")
    | allow(["s3:GetObject", "s3:PutObject"], "{bucket}/connections/*")
    | allow("s3:DeleteObject", "{bucket}/connections/*/hr/*")
    | allow("s3:ListBucket", "{bucket}", prefix="connections/*")
    | allow("s3:PutObject", "{bucket}/audit/*")
    | allow("sqs:SendMessage", "{queue}"),
    "console": allow("s3:GetObject", "{bucket}/connections/*", "{bucket}/audit/*")
    | allow("s3:ListBucket", "{bucket}", prefix="connections/*")
    | allow("s3:ListBucket", "{bucket}", prefix="audit/*")
    | allow("s3:PutObject", "{bucket}/connections/*")
    | allow("s3:DeleteObject", "{bucket}/connections/*/hr/*")
    | allow("s3:PutObject", "{bucket}/audit/*")
    | allow(
        SECRET_KINDS_ALL_ACCESS,
        "{secret}tenure/*/client-secret-??????",
        "{secret}tenure/*/certificate-key-??????",
        "{secret}tenure/*/webhook-key-??????",
    )
    | allow("s3:ListBucket", "{bucket}", prefix="plugins/*")
    | allow(["s3:GetObject", "s3:PutObject"], "{bucket}/plugins/*", "{bucket}/compiled/*")
    | allow("s3:DeleteObject", "{bucket}/plugins/*")
    | allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "{bucket}/plugin-uploads/*")
    | allow("s3:ListBucket", "{bucket}", prefix="plugin-uploads/*")
    | CODE_KEY
    | allow("sqs:SendMessage", "{queue}")
    | allow(
        ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"],
        "{dead_letters}",
    )
    | allow("secretsmanager:GetSecretValue", "{app_secret}")
    | allow(
        [
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage",
        ],
        "{secret}tenure/*/refresh-token-??????",
    )
    | SESSION_KEY,
}

# AWS keeps this much of an account's concurrency unreserved, of a default quota of 1,000.
DEFAULT_ACCOUNT_CONCURRENCY = 1000
UNRESERVED_MINIMUM = 100

moto: deploy.Moto | None = None


def setUpModule() -> None:  # noqa: N802 (unittest's name)
    global moto
    moto = deploy.Moto()


def tearDownModule() -> None:  # noqa: N802
    if moto is not None:
        moto.stop()


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def refers_to(value: Any, logical_id: str) -> bool:
    """Whether a property value refers to a resource (Ref, GetAtt or inside a Sub)."""
    text = json.dumps(value)
    return any(
        needle in text
        for needle in (
            f'{{"Ref": "{logical_id}"}}',
            f'"Fn::GetAtt": ["{logical_id}"',
            f'"Fn::GetAtt": "{logical_id}.',
            "${" + logical_id + "}",
            "${" + logical_id + ".",
        )
    )


def routes(template: dict[str, Any]) -> dict[str, str]:
    """Each route of the HTTP API ("GET /path") and the function it invokes (a Lambda proxy
    integration, payload format 2.0, which is what lambda_http reads)."""
    (api,) = resources_of(template, "AWS::ApiGatewayV2::Api").values()
    routed = {}
    for path, methods in api["Properties"]["Body"]["paths"].items():
        for method, operation in methods.items():
            integration = operation["x-amazon-apigateway-integration"]
            assert integration["type"] == "aws_proxy", path
            assert integration["payloadFormatVersion"] == "2.0", path
            (function,) = re.findall(r"\$\{(\w+)\.Arn\}", integration["uri"]["Fn::Sub"])
            routed[f"{method.upper()} {path}"] = function
    return routed


def section(markdown: str, heading: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = markdown.index(f"\n{heading}\n") + len(heading) + 2
    ends = [
        markdown.find(f"\n{'#' * depth} ", start) for depth in range(1, len(level) + 1)
    ]
    ends = [end for end in ends if end != -1]
    return markdown[start : min(ends, default=len(markdown))]


def table_rows(text: str) -> dict[str, list[str]]:
    """The rows of the first Markdown table in the text whose first cell is a `name`: the name
    and the other cells."""
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and cells[0].startswith("`") and cells[0].endswith("`"):
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def policy_document(text: str) -> dict[str, Any]:
    """A policy document IAM answered as text: URL-encoded JSON, as AWS sends it, or the Python
    repr of the document, which is what moto keeps for a role made by CloudFormation."""
    try:
        return json.loads(urllib.parse.unquote(text))
    except json.JSONDecodeError:
        return ast.literal_eval(text)


class TransformedTemplate(unittest.TestCase):
    """The template as CloudFormation receives it on deploy, and what moto cannot create."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.template = deploy.transformed()
        cls.contract = deploy.contract()
        cls.functions = resources_of(cls.template, "AWS::Lambda::Function")

    def test_the_source_template_lints_clean(self) -> None:
        self.assertEqual(deploy.lint(deploy.TEMPLATE.read_text()), [])

    def test_the_transformed_template_lints_clean(self) -> None:
        # E3004 (a circular dependency) appears only here, once SAM has built the API from
        # the functions' events.
        self.assertEqual(deploy.lint(json.dumps(self.template, indent=1)), [])

    def test_each_function_runs_a_binary_of_the_code_and_each_binary_is_deployed(self) -> None:
        deployed = deploy.binaries(self.template)
        for logical_id, binary in deployed.items():
            self.assertIn(
                binary,
                self.contract["functions"],
                f"{logical_id} builds binary {binary!r}, which is not in tenure_lambda::FUNCTIONS",
            )
            self.assertTrue(
                (deploy.REPO / "functions/lambda/src/bin" / f"{binary}.rs").is_file(),
                f"{logical_id}: functions/lambda/src/bin/{binary}.rs is missing",
            )
        self.assertEqual(
            sorted(self.contract["functions"]),
            sorted(deployed.values()),
            "every binary in tenure_lambda::FUNCTIONS is deployed once",
        )

    def test_each_function_runs_on_arm64_graviton_from_provided_al2023(self) -> None:
        for logical_id, function in self.functions.items():
            properties = function["Properties"]
            self.assertEqual(properties["Architectures"], ["arm64"], logical_id)
            self.assertEqual(properties["Runtime"], "provided.al2023", logical_id)
            self.assertEqual(properties["Handler"], "bootstrap", logical_id)

    def test_each_role_of_a_function_may_log_and_nothing_more_than_its_statements(self) -> None:
        # SAM adds the one managed policy itself, with the partition of the region it runs in.
        logs = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        for logical_id, function in self.functions.items():
            role = self.template["Resources"][function["Properties"]["Role"]["Fn::GetAtt"][0]]
            self.assertEqual(role["Properties"]["ManagedPolicyArns"], [logs], logical_id)

    def test_no_function_refers_to_the_api_its_routes_refer_to(self) -> None:
        # The circular dependency of issue 16: a function's environment built from the API,
        # while the API's routes are built from the functions.
        for api_id in resources_of(self.template, "AWS::ApiGatewayV2::Api"):
            for logical_id, function in self.functions.items():
                self.assertFalse(
                    refers_to(function["Properties"], api_id),
                    f"{logical_id} refers to {api_id}, whose routes refer to the functions",
                )

    def test_the_api_routes_each_path_to_its_function(self) -> None:
        binaries = deploy.binaries(self.template)
        routed = {route: binaries[function] for route, function in routes(self.template).items()}
        callback = f"GET {self.contract['callback_path']}"
        self.assertEqual(routed.get(callback), "oauth-callback", routed)
        self.assertEqual(routed.get("POST /connections/{id}/hr-events"), "hr-webhook", routed)
        self.assertEqual(routed.get("GET /connections/{id}/consent"), "consent", routed)
        for route in (
            "POST /connections/{id}/plugins",
            "GET /connections/{id}/plugins",
            "POST /connections/{id}/plugins/{sha256}/activate",
            "POST /connections/{id}/plugins/uploads",
            "POST /connections/{id}/plugins/uploads/{upload}",
        ):
            self.assertEqual(routed.get(route), "plugin-upload", route)
        for route in ("GET /", "GET /console", "GET /console/{proxy+}", "POST /console/{proxy+}"):
            self.assertEqual(routed.get(route), "console", route)
        for route in (
            "POST /connections/{id}/tokens",
            "GET /connections/{id}/tokens",
            "DELETE /connections/{id}/tokens/{token_id}",
            "GET /connections/{id}/approvals",
            "POST /connections/{id}/approvals/{approval_id}/approve",
            "PUT /connections/{id}/hr/export",
            "POST /connections/{id}/hr/export",
            "POST /connections/{id}/matches/confirm",
        ):
            self.assertEqual(routed.get(route), "admin-api", route)

    def test_the_redirect_uri_output_is_the_callback_route_under_the_public_url(self) -> None:
        value = self.template["Outputs"]["OAuthRedirectUri"]["Value"]["Fn::If"]
        callback = self.contract["callback_path"]
        self.assertEqual(value[0], "HasPublicUrl")
        self.assertEqual(value[1], {"Fn::Sub": "${PublicUrl}" + callback})
        # API Gateway's requestContext.domainName for the API's own endpoint, which the
        # functions put https:// before (tenure_lambda::with_public_url).
        own = "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
        self.assertEqual(value[2], {"Fn::Sub": own + callback})
        api = self.template["Outputs"]["ApiUrl"]["Value"]["Fn::If"]
        self.assertEqual(api[1:], [{"Fn::Sub": "${PublicUrl}/"}, {"Fn::Sub": own + "/"}])

    def test_the_api_stage_deploys_itself_and_throttles(self) -> None:
        (stage,) = resources_of(self.template, "AWS::ApiGatewayV2::Stage").values()
        properties = stage["Properties"]
        self.assertEqual(properties["StageName"], "$default")
        self.assertTrue(properties["AutoDeploy"])
        throttle = properties["DefaultRouteSettings"]
        self.assertGreater(throttle["ThrottlingRateLimit"], 0)
        self.assertGreater(throttle["ThrottlingBurstLimit"], 0)

    def test_bucket_and_queues_refuse_plain_http(self) -> None:
        policies = resources_of(self.template, "AWS::S3::BucketPolicy") | resources_of(
            self.template, "AWS::SQS::QueueInlinePolicy"
        )
        guarded = set()
        for policy in policies.values():
            properties = policy["Properties"]
            target = properties.get("Bucket") or properties.get("Queue")
            guarded.add(target["Ref"])
            (statement,) = properties["PolicyDocument"]["Statement"]
            self.assertEqual(statement["Effect"], "Deny")
            self.assertEqual(statement["Principal"], "*")
            self.assertEqual(statement["Condition"], {"Bool": {"aws:SecureTransport": "false"}})
        self.assertEqual(guarded, {"DataBucket", "WorkQueue", "WorkDeadLetterQueue"})

    def test_the_schedule_invokes_scheduled_sync_for_every_connection(self) -> None:
        (schedule,) = resources_of(self.template, "AWS::Scheduler::Schedule").values()
        target = schedule["Properties"]["Target"]
        binaries = deploy.binaries(self.template)
        function = target["Arn"]["Fn::GetAtt"][0]
        self.assertEqual(binaries[function], "scheduled-sync")
        self.assertEqual(json.loads(target["Input"]), {"connections": "all"})
        role = self.template["Resources"][target["RoleArn"]["Fn::GetAtt"][0]]
        (statement,) = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        self.assertEqual(statement["Action"], "lambda:InvokeFunction")
        self.assertEqual(statement["Resource"], {"Fn::GetAtt": [function, "Arn"]})

    def test_the_bucket_keeps_versions_blocks_public_access_and_expires_replay_entries(
        self,
    ) -> None:
        bucket = self.template["Resources"]["DataBucket"]
        self.assertEqual(bucket["DeletionPolicy"], "Retain")
        properties = bucket["Properties"]
        self.assertEqual(properties["VersioningConfiguration"], {"Status": "Enabled"})
        self.assertTrue(all(properties["PublicAccessBlockConfiguration"].values()))
        self.assertEqual(len(properties["PublicAccessBlockConfiguration"]), 4)
        self.assertEqual(
            properties["OwnershipControls"]["Rules"], [{"ObjectOwnership": "BucketOwnerEnforced"}]
        )
        rules = {rule["Id"]: rule for rule in properties["LifecycleConfiguration"]["Rules"]}
        replay = rules["expire-webhook-replay-entries"]
        self.assertEqual((replay["Prefix"], replay["ExpirationInDays"]), ("webhook-replay/", 1))
        self.assertIn("NoncurrentVersionExpiration", rules["expire-overwritten-versions"])

    def test_the_bucket_lets_only_the_consoles_origin_put_uploads_across_origins(self) -> None:
        bucket = self.template["Resources"]["DataBucket"]["Properties"]
        (rule,) = bucket["CorsConfiguration"]["CorsRules"]
        self.assertEqual(rule["AllowedMethods"], ["PUT"])
        # The headers of an upload URL (tenure::store::objects::S3ObjectStore::upload_url).
        self.assertEqual(rule["AllowedHeaders"], ["if-none-match", "content-type", "x-amz-*"])
        self.assertNotIn("ExposedHeaders", rule)
        ((condition, public, own),) = [origin["Fn::If"] for origin in rule["AllowedOrigins"]]
        self.assertEqual(condition, "HasPublicUrl")
        # Any execute-api host of the region: naming the API's own would be a cycle (the API
        # names the functions, which name the bucket).
        self.assertEqual(own, {"Fn::Sub": "https://*.execute-api.${AWS::Region}.${AWS::URLSuffix}"})

        def evaluate(value: Any, public_url: str) -> Any:
            """The few intrinsic functions of the origin, as CloudFormation evaluates them."""
            if isinstance(value, list):
                return [evaluate(v, public_url) for v in value]
            if not isinstance(value, dict):
                return value
            ((function, argument),) = value.items()
            argument = evaluate(argument, public_url)
            if function == "Ref":
                self.assertEqual(argument, "PublicUrl")
                return public_url
            if function == "Fn::Split":
                return argument[1].split(argument[0])
            if function == "Fn::Select":
                return argument[1][int(argument[0])]
            if function == "Fn::Join":
                return argument[0].join(argument[1])
            raise AssertionError(f"unexpected {function}")

        for public_url, origin in [
            ("https://tenure.example.com/hr", "https://tenure.example.com"),
            ("https://tenure.example.com", "https://tenure.example.com"),
            ("https://tenure.example.com:8443/a/b", "https://tenure.example.com:8443"),
        ]:
            self.assertEqual(evaluate(public, public_url), origin, public_url)

    def test_what_moto_does_not_apply_is_checked_here(self) -> None:
        for (kind, name), (reason, test) in NOT_APPLIED_BY_MOTO.items():
            with self.subTest(type=kind, property=name, moto=reason):
                self.assertTrue(resources_of(self.template, kind), kind)
                self.assertTrue(callable(getattr(self, test, None)), f"no test {test}")

    def test_the_deploy_guide_lists_every_parameter_with_its_default_and_every_output(
        self,
    ) -> None:
        guide = (deploy.REPO / "docs" / "deploy.md").read_text()
        parameters = table_rows(section(guide, "## Parameters"))
        expected = {
            name: f"`{value['Default']}`" if str(value.get("Default", "")) else "empty"
            for name, value in self.template["Parameters"].items()
        }
        self.assertEqual(
            {name: row[0] for name, row in parameters.items()},
            expected,
            "docs/deploy.md's parameter table: `Name` | default (`value` or empty) | what",
        )
        outputs = table_rows(section(guide, "## 4. Use the outputs"))
        self.assertEqual(sorted(outputs), sorted(self.template["Outputs"]))

    def test_each_function_reserves_concurrency_from_a_parameter(self) -> None:
        parameters = self.template["Parameters"]
        reserved = 0
        for logical_id, function in self.functions.items():
            value = function["Properties"].get("ReservedConcurrentExecutions")
            self.assertIsNotNone(value, f"{logical_id} reserves no concurrency")
            condition, when_reserved, otherwise = value["Fn::If"]
            self.assertEqual(condition, "ReservesConcurrency", logical_id)
            self.assertEqual(otherwise, {"Ref": "AWS::NoValue"}, logical_id)
            reserved += int(parameters[when_reserved["Ref"]]["Default"])
        # Lambda refuses a reservation that leaves less than this unreserved.
        self.assertLessEqual(reserved, DEFAULT_ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM)
        guide = (deploy.REPO / "docs" / "deploy.md").read_text()
        for claim in (
            f"reserve {reserved} instances by default",
            f"must be at least {reserved + UNRESERVED_MINIMUM}",
            f"\n{reserved} in all.",
        ):
            self.assertIn(claim, guide, "docs/deploy.md on reserved concurrency")


class TheStack(unittest.TestCase):
    """The stack created on moto with the default parameters; subclasses vary them."""

    PARAMETERS: dict[str, str] = {}

    @classmethod
    def setUpClass(cls) -> None:
        assert moto is not None
        name = "tenure-" + cls.__name__.lower()
        cls.stack = deploy.Stack(moto, name, cls.PARAMETERS)
        cls.contract = deploy.contract()
        cls.binaries = deploy.binaries(cls.stack.template)
        cls.lambda_ = moto.client("lambda")
        cls.sqs = moto.client("sqs")
        cls.s3 = moto.client("s3")
        cls.iam = moto.client("iam")

    def function(self, logical_id: str) -> dict[str, Any]:
        return self.lambda_.get_function(FunctionName=self.stack.resource(logical_id))

    def queue(self, logical_id: str) -> dict[str, str]:
        url = self.stack.resource(logical_id)
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    def test_the_stack_is_created(self) -> None:
        self.assertEqual(self.stack.description["StackStatus"], "CREATE_COMPLETE")

    def test_moto_creates_every_resource_but_those_named_here(self) -> None:
        for logical_id, resource in self.stack.template["Resources"].items():
            kind = resource["Type"]
            with self.subTest(resource=logical_id, type=kind):
                if kind in NOT_CREATED_BY_MOTO:
                    self.assertNotIn(
                        logical_id,
                        self.stack.physical,
                        f"moto now creates {kind}: check it on the stack and remove it from "
                        "NOT_CREATED_BY_MOTO",
                    )
                else:
                    self.assertIn(logical_id, self.stack.physical)

    def test_the_work_queue_is_fifo_deduplicates_and_outlasts_provision_six_times(self) -> None:
        queue = self.queue("WorkQueue")
        self.assertEqual(queue["QueueArn"].rsplit(":", 1)[1], f"{self.stack.name}-work.fifo")
        self.assertEqual(queue["FifoQueue"], "true")
        self.assertEqual(queue["ContentBasedDeduplication"], "true")
        self.assertEqual(queue["SqsManagedSseEnabled"], "true")
        provision = self.function("ProvisionFunction")["Configuration"]
        self.assertEqual(provision["Timeout"], int(self.stack.parameters["ProvisionTimeout"]))
        self.assertEqual(int(queue["VisibilityTimeout"]), 6 * provision["Timeout"])
        redrive = json.loads(queue["RedrivePolicy"])
        dead_letters = self.queue("WorkDeadLetterQueue")["QueueArn"]
        self.assertEqual(redrive["deadLetterTargetArn"], dead_letters)
        self.assertEqual(
            int(redrive["maxReceiveCount"]), int(self.stack.parameters["QueueMaxReceiveCount"])
        )

    def test_the_dead_letter_queue_is_fifo_and_keeps_messages_fourteen_days(self) -> None:
        queue = self.queue("WorkDeadLetterQueue")
        name = queue["QueueArn"].rsplit(":", 1)[1]
        self.assertEqual(name, f"{self.stack.name}-dead-letters.fifo")
        self.assertEqual(queue["FifoQueue"], "true")
        self.assertEqual(queue["MessageRetentionPeriod"], str(14 * 24 * 3600))

    def test_the_bucket_exists_encrypted(self) -> None:
        bucket = self.stack.resource("DataBucket")
        encryption = self.s3.get_bucket_encryption(Bucket=bucket)
        (rule,) = encryption["ServerSideEncryptionConfiguration"]["Rules"]
        self.assertEqual(rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256")

    def test_each_function_has_the_environment_its_binary_reads(self) -> None:
        for logical_id, binary in self.binaries.items():
            with self.subTest(function=logical_id):
                contract = self.contract["functions"][binary]
                reads = set(contract["requires"]) | set(contract["optional"])
                configuration = self.function(logical_id)["Configuration"]
                environment = configuration.get("Environment", {}).get("Variables", {})
                unread = set(environment) - reads
                self.assertFalse(unread, f"{binary} never reads {sorted(unread)}")
                missing = set(contract["requires"]) - set(environment)
                self.assertFalse(missing, f"{binary} cannot start without {sorted(missing)}")
                for name in sorted(reads):
                    value = environment.get(name)
                    if name in STACK_VALUES:
                        self.assertEqual(value, STACK_VALUES[name](self.stack), name)
                    elif name in contract["requires"]:
                        self.assertTrue(value, f"{binary} requires {name}")

    def test_each_function_has_the_timeout_and_memory_its_parameters_say(self) -> None:
        for logical_id in self.binaries:
            configuration = self.function(logical_id)["Configuration"]
            declared = self.stack.template["Resources"][logical_id]["Properties"]
            for name in ("Timeout", "MemorySize"):
                with self.subTest(function=logical_id, setting=name):
                    self.assertEqual(configuration[name], int(self.stack.value(declared[name])))

    def test_each_function_behind_the_api_answers_before_the_api_gives_up(self) -> None:
        # API Gateway's HTTP APIs wait 30 seconds for an integration at most.
        for function in set(routes(self.stack.template).values()):
            timeout = self.function(function)["Configuration"]["Timeout"]
            self.assertLessEqual(timeout, 30, function)

    def test_each_function_reserves_the_concurrency_its_parameter_says(self) -> None:
        reserves = self.stack.parameters["ReserveConcurrency"] == "true"
        for logical_id in self.binaries:
            declared = self.stack.template["Resources"][logical_id]["Properties"][
                "ReservedConcurrentExecutions"
            ]
            parameter = declared["Fn::If"][1]["Ref"]
            concurrency = self.function(logical_id).get("Concurrency", {})
            expected = int(self.stack.parameters[parameter]) if reserves else None
            self.assertEqual(
                concurrency.get("ReservedConcurrentExecutions"), expected, logical_id
            )

    def test_the_queue_drives_provision_no_more_than_its_reservation(self) -> None:
        (mapping,) = self.lambda_.list_event_source_mappings(
            FunctionName=self.stack.resource("ProvisionFunction")
        )["EventSourceMappings"]
        self.assertEqual(mapping["EventSourceArn"], self.queue("WorkQueue")["QueueArn"])
        self.assertEqual(mapping["BatchSize"], int(self.stack.parameters["ProvisionBatchSize"]))
        self.assertEqual(mapping["FunctionResponseTypes"], ["ReportBatchItemFailures"])
        maximum = mapping["ScalingConfig"]["MaximumConcurrency"]
        self.assertEqual(maximum, int(self.stack.parameters["ProvisionMaxConcurrency"]))
        reserved = self.function("ProvisionFunction").get("Concurrency", {})
        if self.stack.parameters["ReserveConcurrency"] == "true":
            self.assertEqual(reserved["ReservedConcurrentExecutions"], maximum)

    def grants(self, role_name: str) -> set:
        """The (action, resource, listing prefix) an IAM role's inline policies allow."""
        grants = set()
        for policy in self.iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
            document = self.iam.get_role_policy(RoleName=role_name, PolicyName=policy)[
                "PolicyDocument"
            ]
            if isinstance(document, str):
                document = policy_document(document)
            for statement in document["Statement"]:
                self.assertEqual(statement["Effect"], "Allow", role_name)
                actions = statement["Action"]
                resources = statement["Resource"]
                condition = statement.get("Condition")
                prefix = None
                if condition is not None:
                    prefix = condition["StringLike"]["s3:prefix"]
                    self.assertEqual(condition, {"StringLike": {"s3:prefix": prefix}})
                for action in [actions] if isinstance(actions, str) else actions:
                    for resource in [resources] if isinstance(resources, str) else resources:
                        grants.add((action, resource, prefix))
        return grants

    def test_each_role_grants_what_its_function_needs_and_nothing_more(self) -> None:
        secret = f"arn:aws:secretsmanager:{deploy.REGION}:{deploy.ACCOUNT}:secret:"
        names = {
            "bucket": f"arn:aws:s3:::{self.stack.resource('DataBucket')}",
            "queue": self.queue("WorkQueue")["QueueArn"],
            "dead_letters": self.queue("WorkDeadLetterQueue")["QueueArn"],
            "secret": secret,
            "app_secret": f"{secret}{self.stack.parameters['TenureAppClientSecretName']}-??????",
        }
        for logical_id, binary in self.binaries.items():
            with self.subTest(function=logical_id):
                self.assertIn(binary, GRANTS, f"say in GRANTS what {binary} may do")
                role_arn = self.function(logical_id)["Configuration"]["Role"]
                role = role_arn.rsplit("/", 1)[1]
                trust = self.iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
                (statement,) = trust["Statement"]
                self.assertEqual(statement["Principal"], {"Service": ["lambda.amazonaws.com"]})
                expected = {
                    (action, resource.format(**names), prefix)
                    for action, resource, prefix in GRANTS[binary]
                }
                granted = self.grants(role)
                self.assertFalse(expected - granted, f"{binary} is not granted these")
                self.assertFalse(granted - expected, f"{binary} is granted more than it needs")

    def test_the_scheduler_may_invoke_scheduled_sync_and_nothing_else(self) -> None:
        role = self.stack.resource("SyncScheduleRole")
        trust = self.iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        (statement,) = trust["Statement"]
        self.assertEqual(statement["Principal"], {"Service": "scheduler.amazonaws.com"})
        function = self.function("ScheduledSyncFunction")["Configuration"]["FunctionArn"]
        self.assertEqual(self.grants(role), {("lambda:InvokeFunction", function, None)})

    def test_the_outputs_name_the_queues_and_the_bucket(self) -> None:
        outputs = self.stack.outputs
        self.assertEqual(outputs["WorkQueueUrl"], self.stack.resource("WorkQueue"))
        self.assertEqual(
            outputs["WorkDeadLetterQueueUrl"], self.stack.resource("WorkDeadLetterQueue")
        )
        self.assertEqual(outputs["DataBucketName"], self.stack.resource("DataBucket"))


class TheStackWithEveryOption(TheStack):
    """Tenure's app, a custom domain, no reserved concurrency, the longest provision runs."""

    PARAMETERS = {
        "TenureAppClientId": "11111111-2222-3333-4444-555555555555",
        "TenureAppClientSecretName": "tenure-app/prod/client-secret",
        "PublicUrl": "https://tenure.example.com/hr",
        "ReserveConcurrency": "false",
        "ProvisionTimeout": "900",
        "ProvisionMaxConcurrency": "20",
        "LogLevel": "debug",
    }

    def test_the_outputs_are_under_the_public_url(self) -> None:
        self.assertEqual(self.stack.outputs["ApiUrl"], "https://tenure.example.com/hr/")
        self.assertEqual(
            self.stack.outputs["OAuthRedirectUri"],
            "https://tenure.example.com/hr" + self.contract["callback_path"],
        )


class TheStackWithOtherReservations(TheStack):
    """Reservations other than the defaults reach their functions."""

    PARAMETERS = {
        "WebhookConcurrency": "80",
        "AdminConcurrency": "3",
        "PluginUploadConcurrency": "1",
        "ScheduledSyncConcurrency": "1",
        "ProvisionMaxConcurrency": "25",
        "ProvisionTimeout": "180",
    }


if __name__ == "__main__":
    unittest.main()
