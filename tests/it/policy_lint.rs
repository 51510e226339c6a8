//! The policy lint, check by check: each check fires on a policy with the
//! problem and stays quiet on a valid policy of the same shape; the
//! catalogue's actions are never reported unknown and a one-letter change
//! of one is either another action or reported; and the trust policy the
//! function writes lints clean.

use std::sync::OnceLock;

use function_eks_pod_identity::compose::trust::{trust_policy, Clusters};
use function_eks_pod_identity::iam::budget::Budget;
use function_eks_pod_identity::iam::catalogue;
use function_eks_pod_identity::iam::lint::{lint, Check, Finding, Kind, Severity};
use function_eks_pod_identity::iam::policy::Document;
use function_eks_pod_identity::params::aws::RoleArn;
use function_eks_pod_identity::params::{self, Scope};
use proptest::prelude::{prop, proptest, ProptestConfig};
use serde_json::{json, Value};

fn findings_with(document: &Value, kind: Kind, budget: &Budget) -> Vec<Finding> {
    lint(&Document::read(document), kind, budget)
}

fn findings(document: &Value, kind: Kind) -> Vec<Finding> {
    findings_with(document, kind, &Budget::unlimited())
}

/// A permissions policy of `statements`.
fn identity(statements: Value) -> Value {
    let mut policy = json!({"Version": "2012-10-17"});
    policy["Statement"] = statements;
    policy
}

/// One `Allow` statement with `actions` on `resources`.
fn allow(actions: Value, resources: Value) -> Value {
    let mut statement = json!({"Effect": "Allow"});
    statement["Action"] = actions;
    statement["Resource"] = resources;
    identity(Value::Array(vec![statement]))
}

fn trust(statement: Value) -> Value {
    identity(Value::Array(vec![statement]))
}

struct Case {
    name: &'static str,
    reason: &'static str,
    kind: Kind,
    policy: Value,
    check: Check,
    /// Where the finding must be; `None`: the check must not fire.
    at: Option<&'static str>,
    /// The value the finding must quote, when it must fire.
    value: &'static str,
}

fn fires(
    name: &'static str,
    reason: &'static str,
    policy: Value,
    check: Check,
    at: &'static str,
    value: &'static str,
) -> Case {
    Case {
        name,
        reason,
        kind: Kind::Identity,
        policy,
        check,
        at: Some(at),
        value,
    }
}

fn quiet(name: &'static str, reason: &'static str, policy: Value, check: Check) -> Case {
    Case {
        name,
        reason,
        kind: Kind::Identity,
        policy,
        check,
        at: None,
        value: "",
    }
}

fn in_trust(mut case: Case) -> Case {
    case.kind = Kind::Trust;
    case
}

const BUCKET_OBJECTS: &str = "arn:aws:s3:::orders/*";
const ROLE: &str = "arn:aws:iam::111122223333:role/app";

#[allow(clippy::too_many_lines)] // One table: splitting it would scatter the cases.
fn cases() -> Vec<Case> {
    vec![
        fires(
            "unknown prefix",
            "no service is s4",
            allow(json!(["s4:GetObject"]), json!("*")),
            Check::InvalidServiceInAction,
            "Statement[0].Action[0]",
            "s4:GetObject",
        ),
        fires(
            "prefix pattern matching no service",
            "no prefix starts with x and ends with z",
            allow(json!("x*z:Get*"), json!("*")),
            Check::InvalidServiceInAction,
            "Statement[0].Action",
            "x*z:Get*",
        ),
        quiet(
            "known prefix",
            "s3 is a service",
            allow(json!(["s3:GetObject"]), json!(BUCKET_OBJECTS)),
            Check::InvalidServiceInAction,
        ),
        quiet(
            "prefix pattern",
            "s* matches s3",
            allow(json!("s*:GetObject"), json!("*")),
            Check::InvalidServiceInAction,
        ),
        fires(
            "misspelt action",
            "s3 has GetObject, not GetObjects",
            allow(json!(["s3:GetObjects"]), json!(BUCKET_OBJECTS)),
            Check::InvalidAction,
            "Statement[0].Action[0]",
            "s3:GetObjects",
        ),
        fires(
            "misspelt query",
            "the issue's example",
            allow(json!("dynamodb:Querry"), json!("*")),
            Check::InvalidAction,
            "Statement[0].Action",
            "dynamodb:Querry",
        ),
        fires(
            "pattern matching no action",
            "sqs has no action starting with Nothing",
            allow(json!(["sqs:ReceiveMessage", "sqs:Nothing*"]), json!("*")),
            Check::InvalidAction,
            "Statement[0].Action[1]",
            "sqs:Nothing*",
        ),
        fires(
            "no prefix",
            "an action is service:Action",
            allow(json!(["kms"]), json!("*")),
            Check::InvalidAction,
            "Statement[0].Action[0]",
            "kms",
        ),
        quiet(
            "known action",
            "the same policy spelt right",
            allow(
                json!(["s3:GetObject", "dynamodb:Query", "sqs:Receive*"]),
                json!("*"),
            ),
            Check::InvalidAction,
        ),
        fires(
            "unknown condition operator",
            "StringEqualz is a typo",
            identity(
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS, "Condition": {"StringEqualz": {"aws:SourceVpc": "vpc-1"}}}]),
            ),
            Check::InvalidConditionOperator,
            "Statement[0].Condition.StringEqualz",
            "StringEqualz",
        ),
        quiet(
            "known condition operators",
            "prefixes and IfExists are part of the grammar",
            identity(
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS, "Condition": {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}, "ForAnyValue:StringLike": {"aws:TagKeys": "team*"}, "Null": {"aws:SourceVpc": "false"}}}]),
            ),
            Check::InvalidConditionOperator,
        ),
        fires(
            "ARN of the wrong resource type",
            "GetObject acts on objects, not buckets",
            allow(
                json!("s3:GetObject"),
                json!(["arn:aws:s3:::orders", BUCKET_OBJECTS]),
            ),
            Check::ResourceMismatch,
            "Statement[0].Resource[0]",
            "arn:aws:s3:::orders",
        ),
        fires(
            "ARN of another service",
            "an SQS queue is nothing s3:GetObject acts on",
            allow(
                json!("s3:GetObject"),
                json!("arn:aws:sqs:us-west-2:111122223333:orders"),
            ),
            Check::ResourceMismatch,
            "Statement[0].Resource",
            "arn:aws:sqs:us-west-2:111122223333:orders",
        ),
        fires(
            "ARN for an action without resources",
            "sts:GetCallerIdentity only takes *: a WARNING, as AWS's own policies do it and the reference may lag",
            allow(json!("sts:GetCallerIdentity"), json!(ROLE)),
            Check::ArnForStarOnlyAction,
            "Statement[0].Resource",
            ROLE,
        ),
        quiet(
            "star for an action without resources",
            "* is what sts:GetCallerIdentity takes",
            allow(json!("sts:GetCallerIdentity"), json!("*")),
            Check::ArnForStarOnlyAction,
        ),
        quiet(
            "star ending a field spans colons",
            "IAM lets the account's * reach over log-group: (logs ARN formats)",
            allow(
                json!("logs:PutLogEvents"),
                json!("arn:aws:logs:*:*:/aws/eks/*"),
            ),
            Check::ResourceMismatch,
        ),
        quiet(
            "star ending the account spans into a secret's name",
            "Redshift's secret:sqlworkbench!* form",
            allow(
                json!("secretsmanager:GetSecretValue"),
                json!("arn:aws:secretsmanager:*:*:sqlworkbench!*"),
            ),
            Check::ResourceMismatch,
        ),
        fires(
            "a star inside a field does not span",
            "ord*ers is not a colon-spanning star: a queue is still no object",
            allow(
                json!("s3:GetObject"),
                json!("arn:aws:sqs:us-west-2:111122223333:ord*ers"),
            ),
            Check::ResourceMismatch,
            "Statement[0].Resource",
            "arn:aws:sqs:us-west-2:111122223333:ord*ers",
        ),
        quiet(
            "API Gateway V2 path",
            "apigateway is shared by two service pages; GET acts on /apis too",
            allow(json!("apigateway:GET"), json!("arn:aws:apigateway:*::/apis")),
            Check::ResourceMismatch,
        ),
        fires(
            "action with no usable resource",
            "SendMessage acts on queues, and the statement names objects only",
            allow(
                json!(["s3:GetObject", "sqs:SendMessage"]),
                json!(BUCKET_OBJECTS),
            ),
            Check::NoResourceForAction,
            "Statement[0].Action[1]",
            "sqs:SendMessage",
        ),
        quiet(
            "every action has its resource",
            "objects for GetObject, the queue for SendMessage",
            allow(
                json!(["s3:GetObject", "sqs:SendMessage"]),
                json!([BUCKET_OBJECTS, "arn:aws:sqs:us-west-2:111122223333:orders"]),
            ),
            Check::NoResourceForAction,
        ),
        fires(
            "unfilled placeholder",
            "${AWS_PARTITION} is a template's, not IAM's: read as text",
            allow(
                json!("s3:GetObject"),
                json!("arn:${AWS_PARTITION}:s3:::orders/*"),
            ),
            Check::UnsubstitutedPlaceholder,
            "Statement[0].Resource",
            "arn:${AWS_PARTITION}:s3:::orders/*",
        ),
        quiet(
            "policy variables",
            "${aws:username} and the ${*} escape are IAM's own",
            allow(
                json!("s3:GetObject"),
                json!(["arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::star${*}/*"]),
            ),
            Check::UnsubstitutedPlaceholder,
        ),
        quiet(
            "a CloudFormation transform",
            "CloudFormation's guide grants CreateChangeSet on AWS's transforms, an ARN the reference omits (data/iam-extra)",
            allow(
                json!("cloudformation:CreateChangeSet"),
                json!("arn:aws:cloudformation:*:aws:transform/Serverless-2016-10-31"),
            ),
            Check::ResourceMismatch,
        ),
        quiet(
            "a connection under the other prefix",
            "CodeStar Connections was renamed CodeConnections: either prefix's actions use either prefix's connections (data/iam-extra)",
            identity(json!([
                {"Effect": "Allow", "Action": "codestar-connections:UseConnection", "Resource": "arn:aws:codeconnections:*:*:connection/*"},
                {"Effect": "Allow", "Action": "codeconnections:UseConnection", "Resource": "arn:aws:codestar-connections:*:*:connection/*"}
            ])),
            Check::ResourceMismatch,
        ),
        fires(
            "a transform ARN for a stack action",
            "the extra format is for the actions of stacks, and an SQS action still does not act on it",
            allow(
                json!("sqs:SendMessage"),
                json!("arn:aws:cloudformation:us-east-1:aws:transform/Serverless-2016-10-31"),
            ),
            Check::ResourceMismatch,
            "Statement[0].Resource",
            "arn:aws:cloudformation:us-east-1:aws:transform/Serverless-2016-10-31",
        ),
        fires(
            "not an ARN",
            "a resource is an ARN or *",
            allow(json!("s3:GetObject"), json!("orders/*")),
            Check::ResourceMismatch,
            "Statement[0].Resource",
            "orders/*",
        ),
        quiet(
            "ARN of the right type",
            "objects, for an object action; a variable stands for any text",
            allow(
                json!(["s3:GetObject", "s3:ListBucket"]),
                json!([
                    BUCKET_OBJECTS,
                    "arn:aws:s3:::orders",
                    "arn:aws:s3:::home/${aws:username}/*"
                ]),
            ),
            Check::ResourceMismatch,
        ),
        fires(
            "no version",
            "without it IAM reads the 2008 grammar",
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS}]}),
            Check::MissingVersion,
            "Version",
            "",
        ),
        quiet(
            "version",
            "the same policy with its version",
            allow(json!("s3:GetObject"), json!(BUCKET_OBJECTS)),
            Check::MissingVersion,
        ),
        fires(
            "unknown version",
            "IAM has two versions",
            json!({"Version": "2012-10-18", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS}]}),
            Check::InvalidVersion,
            "Version",
            "2012-10-18",
        ),
        quiet(
            "current version",
            "2012-10-17 is valid",
            allow(json!("s3:GetObject"), json!(BUCKET_OBJECTS)),
            Check::InvalidVersion,
        ),
        fires(
            "no statement",
            "a policy says something",
            json!({"Version": "2012-10-17"}),
            Check::MissingStatement,
            "Statement",
            "",
        ),
        fires(
            "empty statement list",
            "a policy says something",
            json!({"Version": "2012-10-17", "Statement": []}),
            Check::MissingStatement,
            "Statement",
            "",
        ),
        quiet(
            "a statement",
            "one statement, as an object",
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS}}),
            Check::MissingStatement,
        ),
        fires(
            "no effect",
            "a statement allows or denies",
            identity(json!([{"Action": "s3:GetObject", "Resource": BUCKET_OBJECTS}])),
            Check::MissingEffect,
            "Statement[0]",
            "",
        ),
        quiet(
            "effect",
            "Allow",
            allow(json!("s3:GetObject"), json!(BUCKET_OBJECTS)),
            Check::MissingEffect,
        ),
        fires(
            "misspelt effect",
            "IAM knows Allow, not allow",
            identity(
                json!([{"Effect": "allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS}]),
            ),
            Check::InvalidEffect,
            "Statement[0].Effect",
            "allow",
        ),
        quiet(
            "deny",
            "Deny is the other effect",
            identity(
                json!([{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": BUCKET_OBJECTS}]),
            ),
            Check::InvalidEffect,
        ),
        fires(
            "no action",
            "a statement names its actions",
            identity(json!([{"Effect": "Allow", "Resource": BUCKET_OBJECTS}])),
            Check::MissingAction,
            "Statement[0]",
            "",
        ),
        fires(
            "empty action list",
            "IAM refuses an empty list",
            allow(json!([]), json!(BUCKET_OBJECTS)),
            Check::MissingAction,
            "Statement[0].Action",
            "",
        ),
        quiet(
            "an action",
            "one action as a string",
            allow(json!("s3:GetObject"), json!(BUCKET_OBJECTS)),
            Check::MissingAction,
        ),
        fires(
            "no resource",
            "a permissions policy names its resources",
            identity(json!([{"Effect": "Allow", "Action": "s3:GetObject"}])),
            Check::MissingResource,
            "Statement[0]",
            "",
        ),
        in_trust(quiet(
            "no resource in a trust policy",
            "the role is the resource",
            trust(
                json!({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"}),
            ),
            Check::MissingResource,
        )),
        in_trust(fires(
            "trust policy without principal",
            "a trust policy names who may assume the role",
            trust(json!({"Effect": "Allow", "Action": "sts:AssumeRole"})),
            Check::MissingPrincipal,
            "Statement[0]",
            "",
        )),
        in_trust(quiet(
            "trust policy with principal",
            "the same with its principal",
            trust(
                json!({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"}),
            ),
            Check::MissingPrincipal,
        )),
        fires(
            "principal in a permissions policy",
            "IAM refuses Principal in an identity policy",
            identity(
                json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS}]),
            ),
            Check::UnsupportedPrincipal,
            "Statement[0].Principal",
            "",
        ),
        in_trust(quiet(
            "principal in a trust policy",
            "where it belongs",
            trust(
                json!({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"}),
            ),
            Check::UnsupportedPrincipal,
        )),
        fires(
            "Action and NotAction",
            "a statement has one of them",
            identity(
                json!([{"Effect": "Deny", "Action": "s3:GetObject", "NotAction": "s3:PutObject", "Resource": BUCKET_OBJECTS}]),
            ),
            Check::UnsupportedElementCombination,
            "Statement[0].NotAction",
            "",
        ),
        quiet(
            "NotAction alone",
            "Deny with NotAction is valid",
            identity(
                json!([{"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": BUCKET_OBJECTS}]),
            ),
            Check::UnsupportedElementCombination,
        ),
        fires(
            "unknown element",
            "Resources is not Resource",
            identity(
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS, "Resources": "*"}]),
            ),
            Check::InvalidPolicyElement,
            "Statement[0].Resources",
            "",
        ),
        quiet(
            "known elements",
            "every element of a statement",
            identity(
                json!([{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]),
            ),
            Check::InvalidPolicyElement,
        ),
        fires(
            "action of the wrong type",
            "an action is a string",
            identity(json!([{"Effect": "Allow", "Action": 5, "Resource": BUCKET_OBJECTS}])),
            Check::DataTypeMismatch,
            "Statement[0].Action",
            "",
        ),
        quiet(
            "actions as a list",
            "a list of strings",
            allow(json!(["s3:GetObject"]), json!([BUCKET_OBJECTS])),
            Check::DataTypeMismatch,
        ),
        fires(
            "element given twice",
            "IAM reads element names without case",
            identity(
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "action": "s3:PutObject", "Resource": BUCKET_OBJECTS}]),
            ),
            Check::DuplicateKeysWithDifferentCase,
            "Statement[0].action",
            "",
        ),
        quiet(
            "element once, in another case",
            "lower case alone is read as the element",
            identity(
                json!([{"effect": "Allow", "action": "s3:GetObject", "resource": BUCKET_OBJECTS}]),
            ),
            Check::DuplicateKeysWithDifferentCase,
        ),
        fires(
            "pass role on everything",
            "any role, to any service",
            allow(json!(["iam:PassRole"]), json!("*")),
            Check::PassRoleWithStarInResource,
            "Statement[0].Action[0]",
            "iam:PassRole",
        ),
        quiet(
            "pass role on named roles",
            "the roles are listed",
            allow(json!(["iam:PassRole"]), json!(ROLE)),
            Check::PassRoleWithStarInResource,
        ),
        quiet(
            "pass role to one service",
            "the condition limits where the role goes",
            identity(
                json!([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}]),
            ),
            Check::PassRoleWithStarInResource,
        ),
        fires(
            "pattern covering pass role on everything",
            "iam:Pass* reaches iam:PassRole",
            allow(json!(["ec2:Describe*", "iam:Pass*"]), json!("*")),
            Check::PassRoleWithStarInActionAndResource,
            "Statement[0].Action[1]",
            "iam:Pass*",
        ),
        quiet(
            "pattern missing pass role",
            "iam:Get* does not reach it",
            allow(json!(["iam:Get*"]), json!("*")),
            Check::PassRoleWithStarInActionAndResource,
        ),
        fires(
            "allow with NotAction",
            "grants what is not listed",
            identity(json!([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}])),
            Check::AllowWithNotAction,
            "Statement[0].NotAction",
            "",
        ),
        quiet(
            "deny with NotAction",
            "denies what is not listed",
            identity(json!([{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}])),
            Check::AllowWithNotAction,
        ),
        fires(
            "allow with NotResource",
            "grants on what is not listed",
            identity(
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}]),
            ),
            Check::AllowWithNotResource,
            "Statement[0].NotResource",
            "",
        ),
        quiet(
            "deny with NotResource",
            "denies on what is not listed",
            identity(
                json!([{"Effect": "Deny", "Action": "s3:GetObject", "NotResource": BUCKET_OBJECTS}]),
            ),
            Check::AllowWithNotResource,
        ),
        fires(
            "write on everything",
            "PutObject can be limited to objects",
            allow(json!(["s3:GetObject", "s3:PutObject"]), json!("*")),
            Check::ResourceStar,
            "Statement[0].Resource",
            "*",
        ),
        quiet(
            "list on everything",
            "ListAllMyBuckets cannot be limited",
            allow(
                json!(["s3:ListAllMyBuckets", "ec2:DescribeInstances"]),
                json!("*"),
            ),
            Check::ResourceStar,
        ),
        quiet(
            "write on named objects",
            "the same actions, limited",
            allow(
                json!(["s3:GetObject", "s3:PutObject"]),
                json!(BUCKET_OBJECTS),
            ),
            Check::ResourceStar,
        ),
        fires(
            "misspelt service key",
            "s3 has s3:prefix, not s3:prefixes",
            identity(
                json!([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::orders", "Condition": {"StringLike": {"s3:prefixes": "home/*"}}}]),
            ),
            Check::InvalidServiceConditionKey,
            "Statement[0].Condition.StringLike.s3:prefixes",
            "s3:prefixes",
        ),
        fires(
            "key of another service",
            "an sqs statement may never see s3 keys",
            identity(
                json!([{"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*", "Condition": {"StringLike": {"s3:prefix": "home/*"}}}]),
            ),
            Check::ConditionKeyOfOtherService,
            "Statement[0].Condition.StringLike.s3:prefix",
            "s3:prefix",
        ),
        quiet(
            "key of the statement's service",
            "s3:prefix in an s3 statement",
            identity(
                json!([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::orders", "Condition": {"StringLike": {"s3:prefix": "home/*"}}}]),
            ),
            Check::ConditionKeyOfOtherService,
        ),
        fires(
            "key its own service lacks",
            "Access Analyzer reports lakeformation:GlueARN as an ERROR",
            identity(
                json!([{"Effect": "Allow", "Action": "lakeformation:GetDataAccess", "Resource": "*", "Condition": {"Null": {"lakeformation:GlueARN": "false"}}}]),
            ),
            Check::InvalidServiceConditionKey,
            "Statement[0].Condition.Null.lakeformation:GlueARN",
            "lakeformation:GlueARN",
        ),
        quiet(
            "object tag key",
            "the reference writes s3:ExistingObjectTag/<key>",
            identity(
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS, "Condition": {"StringEquals": {"s3:ExistingObjectTag/team": "a"}}}]),
            ),
            Check::InvalidServiceConditionKey,
        ),
        quiet(
            "service key",
            "s3:prefix, with a tag key template",
            identity(
                json!([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::orders", "Condition": {"StringLike": {"s3:prefix": "home/*", "aws:ResourceTag/team": "a"}}}]),
            ),
            Check::InvalidServiceConditionKey,
        ),
        fires(
            "misspelt global key",
            "aws:SourceIpz is no key",
            identity(
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS, "Condition": {"IpAddress": {"aws:SourceIpz": "10.0.0.0/8"}}}]),
            ),
            Check::InvalidGlobalConditionKey,
            "Statement[0].Condition.IpAddress.aws:SourceIpz",
            "aws:SourceIpz",
        ),
        quiet(
            "global key",
            "aws:SourceIp, in any case",
            identity(
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS, "Condition": {"IpAddress": {"AWS:sourceip": "10.0.0.0/8"}}}]),
            ),
            Check::InvalidGlobalConditionKey,
        ),
        fires(
            "multivalued global key without a set operator",
            "aws:TagKeys holds every tag key of the request: StringLike compares the set as one value",
            identity(
                json!([{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*", "Condition": {"StringLike": {"aws:TagKeys": "team*"}}}]),
            ),
            Check::MissingQualifier,
            "Statement[0].Condition.StringLike.aws:TagKeys",
            "aws:TagKeys",
        ),
        fires(
            "multivalued service key without a set operator",
            "the reference types kms:EncryptionContextKeys ArrayOfString",
            identity(
                json!([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:EncryptionContextKeys": "team"}}}]),
            ),
            Check::MissingQualifier,
            "Statement[0].Condition.StringEquals.kms:EncryptionContextKeys",
            "kms:EncryptionContextKeys",
        ),
        quiet(
            "multivalued keys with set operators, and Null",
            "ForAnyValue:/ForAllValues: compare sets; Null only asks whether the key is there",
            identity(
                json!([{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*", "Condition": {"ForAnyValue:StringLike": {"aws:TagKeys": "team*"}, "ForAllValues:StringEquals": {"aws:CalledVia": "cloudformation.amazonaws.com"}, "Null": {"aws:TagKeys": "false"}}}]),
            ),
            Check::MissingQualifier,
        ),
        quiet(
            "single-valued key with a plain operator",
            "aws:CalledViaFirst names one service",
            identity(
                json!([{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*", "Condition": {"StringEquals": {"aws:CalledViaFirst": "cloudformation.amazonaws.com"}}}]),
            ),
            Check::MissingQualifier,
        ),
        fires(
            "2008 version",
            "variables are plain text there",
            json!({"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS}]}),
            Check::OutdatedVersion,
            "Version",
            "2008-10-17",
        ),
        quiet(
            "2012 version",
            "the current grammar",
            allow(json!("s3:GetObject"), json!(BUCKET_OBJECTS)),
            Check::OutdatedVersion,
        ),
        fires(
            "action covered by a pattern",
            "s3:Get* already grants s3:GetObject",
            allow(json!(["s3:Get*", "s3:GetObject"]), json!(BUCKET_OBJECTS)),
            Check::RedundantAction,
            "Statement[0].Action[1]",
            "s3:GetObject",
        ),
        fires(
            "action listed twice",
            "once is enough",
            allow(
                json!(["s3:GetObject", "S3:getobject"]),
                json!(BUCKET_OBJECTS),
            ),
            Check::RedundantAction,
            "Statement[0].Action[1]",
            "S3:getobject",
        ),
        quiet(
            "actions beside a pattern",
            "s3:Get* does not grant s3:PutObject",
            allow(json!(["s3:Get*", "s3:PutObject"]), json!(BUCKET_OBJECTS)),
            Check::RedundantAction,
        ),
        fires(
            "duplicate statement ids",
            "each statement its own Sid",
            identity(
                json!([{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS}, {"Sid": "A", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": BUCKET_OBJECTS}]),
            ),
            Check::DuplicateSid,
            "Statement[1].Sid",
            "A",
        ),
        quiet(
            "distinct statement ids",
            "A and B",
            identity(
                json!([{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS}, {"Sid": "B", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": BUCKET_OBJECTS}]),
            ),
            Check::DuplicateSid,
        ),
    ]
}

#[test]
fn each_check_fires_on_its_problem_and_not_on_a_valid_twin() {
    for case in cases() {
        let found = findings(&case.policy, case.kind);
        let of_check: Vec<&Finding> = found
            .iter()
            .filter(|finding| finding.check == case.check)
            .collect();
        if let Some(at) = case.at {
            let hit = of_check.iter().find(|finding| finding.path == at);
            let hit = hit.unwrap_or_else(|| {
                panic!(
                    "{}: {} ({}): want {} at {at}, found {found:#?}",
                    case.name, case.reason, case.check, case.check
                )
            });
            assert_eq!(hit.value, case.value, "{}: the value", case.name);
            assert_eq!(
                hit.statement,
                at.strip_prefix("Statement[")
                    .and_then(|rest| rest.split(']').next())
                    .and_then(|index| index.parse().ok()),
                "{}: the statement",
                case.name
            );
        } else {
            assert!(
                of_check.is_empty(),
                "{}: {}: {} must not fire: {of_check:#?}",
                case.name,
                case.reason,
                case.check
            );
            // The valid twin is valid throughout.
            let errors: Vec<_> = found
                .iter()
                .filter(|finding| finding.severity() == Severity::Error)
                .collect();
            assert!(
                errors.is_empty(),
                "{}: errors in a valid policy: {errors:#?}",
                case.name
            );
        }
    }
}

#[test]
fn every_check_has_a_case_that_fires_and_one_that_must_not() {
    let cases = cases();
    for check in Check::ALL {
        // The bound is tested on its own, below; an unpublished managed
        // policy is an ARN, not a document (tests/it/lint_command.rs).
        if matches!(
            check,
            Check::PolicyTooComplex | Check::UnpublishedManagedPolicy
        ) {
            continue;
        }
        assert!(
            cases
                .iter()
                .any(|case| case.check == *check && case.at.is_some()),
            "{check} never fires"
        );
        let has_quiet = cases
            .iter()
            .any(|case| case.check == *check && case.at.is_none());
        // Some problems have no valid twin of their own: the quiet case of
        // a neighbouring check is that policy without the problem.
        let twinned_elsewhere = matches!(
            check,
            Check::MissingAction
                | Check::MissingStatement
                | Check::MissingEffect
                | Check::MissingResource
        );
        assert!(
            has_quiet || twinned_elsewhere,
            "{check} has no case that must not fire"
        );
    }
}

#[test]
fn suggestions_name_the_closest_action() {
    let cases = [
        ("s3:GetObjects", "did you mean s3:GetObject?"),
        ("dynamodb:Querry", "did you mean dynamodb:Query?"),
        ("s4:GetObject", "did you mean s3:GetObject?"),
        ("sqs:RecieveMessage", "did you mean sqs:ReceiveMessage?"),
    ];
    for (action, hint) in cases {
        let found = findings(&allow(json!(action), json!("*")), Kind::Identity);
        assert!(
            found[0].message.ends_with(hint),
            "{action}: {}",
            found[0].message
        );
    }
    let far = findings(&allow(json!("s3:Frobnicate"), json!("*")), Kind::Identity);
    assert!(
        !far[0].message.contains("did you mean"),
        "{}",
        far[0].message
    );
}

#[test]
fn a_valid_policy_has_no_findings_at_all() {
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Queue", "Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": "arn:aws:sqs:us-west-2:111122223333:orders"},
            {"Sid": "Objects", "Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS, "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
            {"Sid": "Tls", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "Identity", "Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}
        ]
    });
    assert_eq!(findings(&policy, Kind::Identity), Vec::new());
}

#[test]
fn the_bound_stops_the_lint_and_says_so() {
    let policy = allow(json!(["*:*zz*", "*:*qq*"]), json!("*"));
    let found = findings_with(&policy, Kind::Identity, &Budget::new(100));
    assert!(
        found
            .iter()
            .any(|finding| finding.check == Check::PolicyTooComplex),
        "{found:#?}"
    );
    // Undecided patterns are not reported as matching nothing.
    assert!(
        !found
            .iter()
            .any(|finding| finding.check == Check::InvalidAction),
        "{found:#?}"
    );
    let unbounded = findings(&policy, Kind::Identity);
    assert!(!unbounded
        .iter()
        .any(|finding| finding.check == Check::PolicyTooComplex));
    assert_eq!(
        unbounded
            .iter()
            .filter(|finding| finding.check == Check::InvalidAction)
            .count(),
        2,
        "{unbounded:#?}"
    );
}

#[test]
fn findings_quote_at_most_a_bounded_value() {
    let long = format!("s3:{}", "A".repeat(5000));
    let found = findings(&allow(json!(long), json!("*")), Kind::Identity);
    assert_eq!(found[0].check, Check::InvalidAction);
    assert!(found[0].value.len() < 200, "{}", found[0].value.len());
}

/// Every action of the catalogue, as `service:Name`.
fn all_actions() -> &'static [String] {
    static ACTIONS: OnceLock<Vec<String>> = OnceLock::new();
    ACTIONS.get_or_init(|| {
        catalogue::get()
            .services()
            .flat_map(|service| service.actions())
            .map(|action| action.to_string())
            .collect()
    })
}

fn unknown(action: &str) -> bool {
    findings(&allow(json!(action), json!("*")), Kind::Identity)
        .iter()
        .any(|finding| {
            matches!(
                finding.check,
                Check::InvalidAction | Check::InvalidServiceInAction
            ) && finding.path == "Statement[0].Action"
        })
}

fn exists(action: &str) -> bool {
    let (service, name) = action.split_once(':').unwrap();
    catalogue::action(service, name).is_some()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_catalogue_action_is_never_unknown(pick in prop::num::usize::ANY, upper in prop::collection::vec(prop::bool::ANY, 64)) {
        let actions = all_actions();
        let action = &actions[pick % actions.len()];
        // IAM compares actions without case, and so does the lint.
        let cased: String = action
            .chars()
            .zip(upper.iter().cycle())
            .map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect();
        assert!(!unknown(action), "{action}");
        assert!(!unknown(&cased), "{cased}");
    }

    #[test]
    fn a_one_letter_change_is_another_action_or_reported(pick in prop::num::usize::ANY, at in prop::num::usize::ANY, letter in prop::char::ranges(vec!['a'..='z', 'A'..='Z'].into())) {
        let actions = all_actions();
        let action = &actions[pick % actions.len()];
        let positions: Vec<usize> = action.char_indices().filter(|(_, c)| *c != ':').map(|(i, _)| i).collect();
        let position = positions[at % positions.len()];
        let mut changed = action.clone();
        changed.replace_range(position..=position, &letter.to_string());
        assert!(exists(&changed) || unknown(&changed), "{action} -> {changed}: neither known nor reported");
        assert_eq!(unknown(&changed), !exists(&changed), "{action} -> {changed}");
    }
}

/// Parameters for a claim, as the function reads them.
fn parameters(edits: &Value) -> params::Parameters {
    let mut parameters = json!({
        "region": "us-west-2",
        "clusterName": "blue",
        "serviceAccount": {"name": "app", "namespace": "shop"},
    });
    for (key, value) in edits.as_object().unwrap() {
        if value.is_null() {
            parameters.as_object_mut().unwrap().remove(key);
        } else {
            parameters[key] = value.clone();
        }
    }
    params::read(Some(&parameters), None, Scope::Cluster).unwrap()
}

#[test]
fn the_trust_policy_the_function_writes_lints_clean() {
    let variants = [
        json!({}),
        json!({"disableSessionTags": true}),
        json!({"serviceAccount": null, "serviceAccounts": [{"name": "a", "namespace": "x"}, {"name": "b", "namespace": "y"}]}),
        json!({"clusterName": null, "clusters": [{"clusterName": "blue"}, {"clusterName": "green", "region": "eu-west-1"}]}),
    ];
    for edits in variants {
        let parameters = parameters(&edits);
        let text = trust_policy(&parameters, &Clusters::literal(&parameters));
        let document = Document::parse(&text).unwrap();
        let found = lint(&document, Kind::Trust, &Budget::unlimited());
        assert_eq!(found, Vec::new(), "{edits}: {text}");
    }
}

#[test]
fn the_target_role_permission_the_function_writes_lints_clean() {
    let target = RoleArn::parse("arn:aws:iam::444455556666:role/data/orders-reader").unwrap();
    let policy = target.assume_policy();
    let found = lint(policy.elements(), Kind::Identity, &Budget::unlimited());
    assert_eq!(found, Vec::new(), "{}", policy.as_str());
}

#[test]
fn a_claims_policies_are_linted_once_when_read() {
    let parameters = parameters(&json!({"inlinePolicy": [
        {"name": "ok", "policy": allow(json!("s3:GetObject"), json!(BUCKET_OBJECTS)).to_string()},
        {"name": "typo", "policy": allow(json!("s3:GetObjects"), json!(BUCKET_OBJECTS)).to_string()},
    ]}));
    assert_eq!(parameters.inline_policies[0].findings, Vec::new());
    let typo = &parameters.inline_policies[1].findings;
    assert_eq!(typo.len(), 1, "{typo:#?}");
    assert_eq!(typo[0].check, Check::InvalidAction);
}
