//! The `lint` subcommand as a process: exit codes, text and JSON output,
//! on the bundled examples and on a claim with one finding of each
//! severity; and `render` printing the same findings on stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_function-eks-pod-identity");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .current_dir(root())
        .output()
        .expect("run the binary")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A file of this test's own, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str, text: &str) -> Self {
        let path = std::env::temp_dir().join(format!("lint-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Every example file holding a claim or XR, relative to the repository.
fn example_claims() -> Vec<String> {
    let mut files = Vec::new();
    let mut pending = vec![root().join("examples")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "yaml")
                && std::fs::read_to_string(&path)
                    .unwrap()
                    .contains("\n  parameters:")
            {
                files.push(path.strip_prefix(root()).unwrap().display().to_string());
            }
        }
    }
    files.sort();
    files
}

/// Upbound's own example, kept as Upbound wrote it: kms:Decrypt on "*".
const UPBOUND_EXAMPLE: &str = "examples/upbound-v0.1.0-xr.yaml";
/// The strict profile's example of a claim it refuses.
const REFUSED_EXAMPLE: &str = "examples/guardrails/refused-xr.yaml";

#[test]
fn the_examples_lint_clean() {
    let files: Vec<String> = example_claims()
        .into_iter()
        .filter(|file| file != REFUSED_EXAMPLE)
        .collect();
    assert!(files.len() >= 10, "{files:?}");
    let mut args = vec!["lint"];
    args.extend(files.iter().map(String::as_str));
    let output = run(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [format!("{UPBOUND_EXAMPLE}:1: spec.parameters.inlinePolicy[0].policy: Statement[0].Resource \"*\": WARNING RESOURCE_STAR: \"kms:Decrypt\" grants Write actions such as kms:Decrypt on every resource, though they can be limited to named resources; name them in Resource")],
        "only Upbound's unchanged example has a finding"
    );
}

#[test]
fn the_examples_lint_clean_against_their_compositions() {
    let sets = [
        (
            "examples/render/xr.yaml",
            "examples/render/composition.yaml",
        ),
        (
            "examples/render-v2/xr.yaml",
            "examples/render-v2/composition.yaml",
        ),
        (
            "examples/guardrails/allowed-xr.yaml",
            "examples/guardrails/composition.yaml",
        ),
        (
            "examples/topologies/two-clusters/xr.yaml",
            "examples/topologies/composition.yaml",
        ),
        (
            "examples/topologies/usages/xr.yaml",
            "examples/topologies/usages/composition.yaml",
        ),
        (
            "examples/claim.yaml",
            "package/configuration/apis/composition.yaml",
        ),
    ];
    for (xr, composition) in sets {
        let output = run(&["lint", xr, "--input", composition]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{xr}: {}{}",
            stdout(&output),
            stderr(&output)
        );
        assert_eq!(stdout(&output), "", "{xr}");
    }
    let refused = run(&[
        "lint",
        REFUSED_EXAMPLE,
        "--input",
        "examples/guardrails/composition.yaml",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let text = stdout(&refused);
    assert!(
        text.lines().any(|line| line.starts_with(&format!(
            "{REFUSED_EXAMPLE}:1: FATAL: cannot compose EKS Pod Identity: "
        ))),
        "{text}"
    );
}

/// A claim whose one policy has one finding of each severity.
const EACH_SEVERITY: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: aws.platform.upbound.io/v1alpha1
kind: PodIdentity
metadata:
  name: shop-app
  namespace: shop
spec:
  parameters:
    region: us-west-2
    clusterName: blue
    serviceAccount: {name: app, namespace: shop}
    inlinePolicy:
      - name: mixed
        policy: |
          {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObjects", "Resource": "arn:aws:s3:::orders/*"},
            {"Effect": "Allow", "Action": ["sqs:Receive*", "sqs:ReceiveMessage"], "Resource": "arn:aws:sqs:us-west-2:111122223333:orders"}
          ]}
"#;

#[test]
fn one_finding_of_each_severity_fails_with_each_on_a_line() {
    let file = Scratch::new("each.yaml", EACH_SEVERITY);
    let output = run(&["lint", file.path()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let at = format!(
        "{}:2: spec.parameters.inlinePolicy[0].policy: ",
        file.path()
    );
    let want = [
        format!("{at}Statement[0].Action \"iam:PassRole\": SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE: iam:PassRole on \"*\" lets the pod hand any role (an administrator's too) to a service it controls; name the roles in Resource or add the iam:PassedToService condition"),
        format!("{at}Statement[0].Resource \"*\": WARNING RESOURCE_STAR: \"iam:PassRole\" grants Write actions such as iam:PassRole on every resource, though they can be limited to named resources; name them in Resource"),
        format!("{at}Statement[1].Action \"s3:GetObjects\": ERROR INVALID_ACTION: s3 has no action \"GetObjects\"; did you mean s3:GetObject?"),
        format!("{at}Statement[2].Action[1] \"sqs:ReceiveMessage\": SUGGESTION REDUNDANT_ACTION: \"sqs:Receive*\" (Action[0]) already grants it"),
    ];
    assert_eq!(stdout(&output).lines().collect::<Vec<_>>(), want);

    let output = run(&["lint", "--format", "json", file.path()]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["documents"], json!(1));
    assert_eq!(report["failed"], json!(true));
    assert_eq!(report["refusals"], json!([]));
    let severities: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["severity"].as_str().unwrap())
        .collect();
    assert_eq!(
        severities,
        ["SECURITY_WARNING", "WARNING", "ERROR", "SUGGESTION"]
    );
    assert_eq!(
        report["findings"][2],
        json!({
            "file": file.path(),
            "document": 2,
            "field": "spec.parameters.inlinePolicy[0].policy",
            "path": "Statement[1].Action",
            "statement": 1,
            "severity": "ERROR",
            "check": "INVALID_ACTION",
            "value": "s3:GetObjects",
            "message": "s3 has no action \"GetObjects\"; did you mean s3:GetObject?",
        })
    );
}

#[test]
fn warnings_alone_pass() {
    let warned = EACH_SEVERITY.replace(r#""s3:GetObjects""#, r#""s3:GetObject""#);
    let file = Scratch::new("warned.yaml", &warned);
    let output = run(&["lint", "--format", "json", file.path()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["failed"], json!(false));
    assert_eq!(report["findings"].as_array().unwrap().len(), 3);
}

#[test]
fn a_guardrail_refusal_fails() {
    let output = run(&[
        "lint",
        REFUSED_EXAMPLE,
        "--input",
        "examples/guardrails/composition.yaml",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report = run(&[
        "lint",
        "--format",
        "json",
        REFUSED_EXAMPLE,
        "--input",
        "examples/guardrails/composition.yaml",
    ]);
    let report: Value = serde_json::from_str(&stdout(&report)).unwrap();
    let rows = report["refusals"].as_array().unwrap();
    assert!(rows.len() > 1, "one row per refused field: {rows:#?}");
    for row in rows {
        assert_eq!(row["document"], json!(1));
        assert!(
            row["field"]
                .as_str()
                .unwrap()
                .starts_with("spec.parameters."),
            "{row}"
        );
    }
    // Within a policy document, the statement is the row's path, not text
    // of its message.
    assert!(rows.iter().any(|row| {
        row["field"] == "spec.parameters.inlinePolicy[0].policy"
            && row["path"] == "Statement[0]"
            && row["message"]
                .as_str()
                .unwrap()
                .starts_with("Action \"iam:Pass*\" can grant")
    }));
    // The rows are the text report's FATAL sentence, field by field.
    let sentence: Vec<String> = rows
        .iter()
        .map(|row| match row["path"].as_str() {
            Some(path) => format!(
                "{}: {path} {}",
                row["field"].as_str().unwrap(),
                row["message"].as_str().unwrap()
            ),
            None => format!(
                "{}: {}",
                row["field"].as_str().unwrap(),
                row["message"].as_str().unwrap()
            ),
        })
        .collect();
    let text = run(&[
        "lint",
        REFUSED_EXAMPLE,
        "--input",
        "examples/guardrails/composition.yaml",
    ]);
    let fatal = stdout(&text)
        .lines()
        .find_map(|line| {
            line.split_once(": FATAL: ")
                .map(|(_, fatal)| fatal.to_owned())
        })
        .unwrap();
    assert_eq!(
        fatal,
        format!("cannot compose EKS Pod Identity: {}", sentence.join("; "))
    );
}

#[test]
fn unreadable_input_exits_2() {
    let not_yaml = Scratch::new("broken.yaml", "spec: [unclosed\n");
    let no_claim = Scratch::new(
        "no-claim.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
    );
    for (args, says) in [
        (
            vec!["lint", "examples/no-such-file.yaml"],
            "cannot read examples/no-such-file.yaml",
        ),
        (vec!["lint", not_yaml.path()], not_yaml.path()),
        (vec!["lint", no_claim.path()], "holds no claim or XR"),
        (
            vec![
                "lint",
                "examples/claim.yaml",
                "--input",
                "examples/no-such-file.yaml",
            ],
            "cannot read",
        ),
    ] {
        let output = run(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(says),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(stdout(&output), "", "{args:?}");
    }
}

#[test]
fn render_prints_every_finding_on_stderr() {
    let claim = EACH_SEVERITY.split("---\n").nth(1).unwrap();
    let file = Scratch::new("render.yaml", claim);
    let output = run(&["render", file.path()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines: Vec<String> = stderr(&output).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(
        lines
            .iter()
            .all(|line| line.starts_with("spec.parameters.inlinePolicy[0].policy: Statement[")),
        "{lines:#?}"
    );
    assert!(stdout(&output).contains("kind: RolePolicy"));
}

/// A claim attaching a published policy, one at a path AWS does not
/// publish it under, and a customer managed policy.
const MANAGED: &str = r"apiVersion: aws.platform.upbound.io/v1alpha1
kind: PodIdentity
metadata:
  name: volumes
  namespace: storage
spec:
  parameters:
    region: us-west-2
    clusterName: blue
    serviceAccount: {name: ebs-csi-controller-sa, namespace: storage}
    managedPolicyArns:
      - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
      - arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicyV2
      - arn:aws:iam::111122223333:policy/volumes
";

#[test]
fn a_managed_policy_aws_does_not_publish_is_an_error_at_its_field() {
    use function_eks_pod_identity::iam::arn::Partition;
    use function_eks_pod_identity::iam::managed::{self, Lookup};
    // What the vendored data says, not a copy of it: the second ARN is
    // unpublished, and the policy of its name lives elsewhere.
    let wrong = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicyV2";
    let Lookup::Unpublished {
        elsewhere: Some(real),
    } = managed::lookup(wrong)
    else {
        panic!("{wrong} should be unpublished, its name published elsewhere");
    };
    assert!(managed::is_published(
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    ));
    let file = Scratch::new("managed.yaml", MANAGED);
    let output = run(&["lint", file.path()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = format!(
        "AWS publishes no managed policy at this ARN, so AttachRolePolicy fails with NoSuchEntity (404) and the attachment never becomes ready; AWS publishes {} at {}",
        real.name(),
        real.arn(Partition::Aws)
    );
    assert_eq!(
        stdout(&output).lines().collect::<Vec<_>>(),
        [format!(
            "{}:1: spec.parameters.managedPolicyArns[1] {wrong:?}: ERROR UNPUBLISHED_MANAGED_POLICY: {message}",
            file.path()
        )]
    );

    let output = run(&["lint", "--format", "json", file.path()]);
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["failed"], json!(true));
    assert_eq!(
        report["findings"],
        json!([{
            "file": file.path(),
            "document": 1,
            "field": "spec.parameters.managedPolicyArns[1]",
            "path": "",
            "statement": null,
            "severity": "ERROR",
            "check": "UNPUBLISHED_MANAGED_POLICY",
            "value": wrong,
            "message": message,
        }])
    );

    // render composes the claim and says the same on stderr.
    let output = run(&["render", file.path()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stderr(&output).lines().collect::<Vec<_>>(),
        [format!(
            "spec.parameters.managedPolicyArns[1] {wrong:?}: ERROR UNPUBLISHED_MANAGED_POLICY: {message}"
        )]
    );
}
