//! What the function reads off observed composed resources beyond
//! readiness and status, and tells the claim: a role that existed before
//! its XR was adopted, not created; an association EKS says already exists
//! is adopted when the Composition allows it; and composed resources that
//! fail to sync are explained by the `ResourcesSynced` condition and one
//! Warning each, never by a FATAL.

use function_eks_pod_identity::function::{ASSOCIATION_ADOPTED, ROLE_ADOPTED, ROLE_PATH_KEPT};
use function_eks_pod_identity::protocol::structs::struct_to_json;
use function_eks_pod_identity::protocol::v1::{RunFunctionResponse, Severity, Status, Target};
use serde_json::{json, Value};

use crate::support::function::{resource, run_as_served, Call};

const XR_CREATED: &str = "2026-06-01T10:00:00Z";

fn xr() -> Value {
    json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "metadata": {
            "name": "shop-app",
            "creationTimestamp": XR_CREATED,
            "labels": {"crossplane.io/claim-namespace": "shop"},
        },
        "spec": {"parameters": {
            "region": "us-west-2",
            "clusterName": "blue",
            "serviceAccount": {"name": "app", "namespace": "shop"},
            "roleName": "shop.orders",
        }},
    })
}

fn observed_role(create_date: Option<&str>) -> Value {
    let mut at_provider = json!({
        "arn": "arn:aws:iam::111122223333:role/shop.orders",
        "id": "shop.orders",
    });
    if let Some(date) = create_date {
        at_provider["createDate"] = date.into();
    }
    json!({
        "apiVersion": "iam.aws.upbound.io/v1beta1",
        "kind": "Role",
        "metadata": {
            "name": "shop-app-x7k2p",
            "annotations": {"crossplane.io/external-name": "shop.orders"},
        },
        "spec": {"forProvider": {}},
        "status": {"atProvider": at_provider},
    })
}

/// The Warning results of one call, as (reason, message, target).
fn warnings(role: Value) -> Vec<(String, String, i32)> {
    let call = Call {
        xr: Some(xr()),
        observed: vec![("iamRole", role)],
        ..Call::default()
    };
    let response = run_as_served(call.request());
    response
        .results
        .iter()
        .filter(|result| result.severity == i32::from(Severity::Warning))
        .map(|result| {
            (
                result.reason.clone().unwrap_or_default(),
                result.message.clone(),
                result.target.unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_role_created_before_its_xr_was_adopted_and_the_claim_hears_of_it() {
    struct Case {
        name: &'static str,
        reason: &'static str,
        create_date: Option<&'static str>,
        warns: bool,
    }
    let cases = [
        Case {
            name: "created a year before the XR",
            reason: "the external name named a role that already existed",
            create_date: Some("2025-06-01T10:00:00Z"),
            warns: true,
        },
        Case {
            name: "created a second before the XR, in another offset",
            reason: "times compare as instants, not as text",
            create_date: Some("2026-06-01T11:59:59+02:00"),
            warns: true,
        },
        Case {
            name: "created after the XR",
            reason: "the provider created the role for this XR",
            create_date: Some("2026-06-01T10:00:07Z"),
            warns: false,
        },
        Case {
            name: "created in the same second as the XR",
            reason: "a role cannot be adopted before it was made",
            create_date: Some(XR_CREATED),
            warns: false,
        },
        Case {
            name: "not created yet",
            reason: "no createDate: nothing observed, nothing to say",
            create_date: None,
            warns: false,
        },
        Case {
            name: "unreadable createDate",
            reason: "a time that cannot be read proves nothing",
            create_date: Some("yesterday"),
            warns: false,
        },
    ];
    for case in cases {
        let got = warnings(observed_role(case.create_date));
        if !case.warns {
            assert!(got.is_empty(), "{}: {}: {got:?}", case.name, case.reason);
            continue;
        }
        assert_eq!(got.len(), 1, "{}: {}: {got:?}", case.name, case.reason);
        let (reason, message, target) = &got[0];
        assert_eq!(reason, ROLE_ADOPTED, "{}", case.name);
        assert_eq!(
            *target,
            i32::from(Target::CompositeAndClaim),
            "{}",
            case.name
        );
        for part in ["\"shop.orders\"", case.create_date.unwrap(), XR_CREATED] {
            assert!(
                message.contains(part),
                "{}: {message} lacks {part}",
                case.name
            );
        }
    }
}

#[test]
fn a_role_path_the_provider_has_not_reported_is_read_from_what_was_asked() {
    // Before the provider reports `atProvider.path`, the path the role was
    // created with is the one `spec.forProvider` asked for.
    let mut role = observed_role(None);
    role["spec"]["forProvider"]["path"] = json!("/apps/");
    let got = warnings(role);
    let [(reason, message, _)] = got.as_slice() else {
        panic!("want one Warning, got {got:?}");
    };
    assert_eq!(reason, ROLE_PATH_KEPT);
    assert!(message.contains("\"/apps/\""), "{message}");
}

// ---------------------------------------------------------------------------
// The 409 heal: adopting an association EKS says already exists

const KEY: &str = "podIdentityAssociation";
const ADOPTABLE: &str = "a-0123456789abcdefg";

/// The provider's error when EKS refuses to create an association that
/// exists, naming `id`.
fn already_exists(id: &str) -> String {
    format!(
        "create failed: async create failed: failed to create the resource: [{{0 creating EKS Pod Identity Association (blue): operation error EKS: CreatePodIdentityAssociation, https response error StatusCode: 409, RequestID: 7c1d, ResourceInUseException: Association already exists: {id}  []}}]"
    )
}

/// An observed association that failed to sync with `message`, under
/// `external_name` (none when `None`).
fn failing_association(external_name: Option<&str>, message: &str) -> Value {
    let mut metadata = json!({"name": "shop-app-q9z4m"});
    if let Some(name) = external_name {
        metadata["annotations"] = json!({"crossplane.io/external-name": name});
    }
    json!({
        "apiVersion": "eks.aws.upbound.io/v1beta1",
        "kind": "PodIdentityAssociation",
        "metadata": metadata,
        "spec": {"forProvider": {
            "region": "us-west-2",
            "clusterName": "blue",
            "namespace": "shop",
            "serviceAccount": "app",
        }},
        "status": {"conditions": [
            {"type": "Ready", "status": "False", "reason": "Creating"},
            {"type": "Synced", "status": "False", "reason": "ReconcileError", "message": message},
        ]},
    })
}

/// Runs one call with the observed resources as given (by key).
fn run_observed(
    parameters: Option<Value>,
    input: Option<Value>,
    observed: &[(String, Value)],
) -> RunFunctionResponse {
    let mut xr = xr();
    if let Some(parameters) = parameters {
        xr["spec"]["parameters"] = parameters;
    }
    let mut request = Call {
        xr: Some(xr),
        input,
        ..Call::default()
    }
    .request();
    request.observed.as_mut().unwrap().resources = observed
        .iter()
        .map(|(key, body)| (key.clone(), resource(body.clone())))
        .collect();
    run_as_served(request)
}

fn results_of(response: &RunFunctionResponse, reason: &str) -> Vec<String> {
    response
        .results
        .iter()
        .filter(|result| result.reason.as_deref() == Some(reason))
        .map(|result| {
            assert_eq!(result.severity, i32::from(Severity::Warning), "{reason}");
            assert_eq!(
                result.target,
                Some(i32::from(Target::CompositeAndClaim)),
                "{reason}"
            );
            result.message.clone()
        })
        .collect()
}

fn desired_external_name(response: &RunFunctionResponse, key: &str) -> Option<String> {
    let body = response
        .desired
        .as_ref()?
        .resources
        .get(key)?
        .resource
        .as_ref()?;
    let body = Value::Object(struct_to_json(body).unwrap());
    body["metadata"]["annotations"]["crossplane.io/external-name"]
        .as_str()
        .map(str::to_owned)
}

#[test]
// One table reads best in one piece.
#[allow(clippy::too_many_lines)]
fn an_association_eks_says_exists_is_adopted_only_when_allowed_and_unambiguous() {
    struct Case {
        name: &'static str,
        reason: &'static str,
        input: Option<Value>,
        parameters: Option<Value>,
        observed: Vec<(String, Value)>,
        adopted: Option<&'static str>,
    }
    let opt_in = Some(json!({"adoptConflictingAssociations": true}));
    let lone = |external: Option<&str>, message: &str| {
        vec![(KEY.to_owned(), failing_association(external, message))]
    };
    let with_association_id = {
        let mut parameters = xr()["spec"]["parameters"].clone();
        parameters["associationId"] = json!("a-zyxwvutsrqponmlk9");
        parameters
    };
    let cases = [
        Case {
            name: "opted in, no external name",
            reason: "the provider lost the id; EKS names it",
            input: opt_in.clone(),
            parameters: None,
            observed: lone(None, &already_exists(ADOPTABLE)),
            adopted: Some(ADOPTABLE),
        },
        Case {
            name: "opted in, the provider's placeholder",
            reason: "a-stubassocid123456 is the provider's stand-in for no id",
            input: opt_in.clone(),
            parameters: None,
            observed: lone(Some("a-stubassocid123456"), &already_exists(ADOPTABLE)),
            adopted: Some(ADOPTABLE),
        },
        Case {
            name: "opted in, the id ends the message",
            reason: "nothing needs to follow the id",
            input: opt_in.clone(),
            parameters: None,
            observed: lone(None, &format!("Association already exists: {ADOPTABLE}")),
            adopted: Some(ADOPTABLE),
        },
        Case {
            name: "not opted in",
            reason: "adopting takes over what something else may have made: off by default",
            input: None,
            parameters: None,
            observed: lone(None, &already_exists(ADOPTABLE)),
            adopted: None,
        },
        Case {
            name: "opted out explicitly",
            reason: "false is the default",
            input: Some(json!({"adoptConflictingAssociations": false})),
            parameters: None,
            observed: lone(None, &already_exists(ADOPTABLE)),
            adopted: None,
        },
        Case {
            name: "a 16-character id",
            reason: "an id is exactly 17 lowercase letters or digits after a-",
            input: opt_in.clone(),
            parameters: None,
            observed: lone(None, &already_exists("a-0123456789abcdef")),
            adopted: None,
        },
        Case {
            name: "an 18-character id",
            reason: "exactly 17: a longer run is not an id",
            input: opt_in.clone(),
            parameters: None,
            observed: lone(None, &already_exists("a-0123456789abcdefgh")),
            adopted: None,
        },
        Case {
            name: "an upper-case id",
            reason: "EKS ids are lowercase",
            input: opt_in.clone(),
            parameters: None,
            observed: lone(None, &already_exists("a-0123456789ABCDEFG")),
            adopted: None,
        },
        Case {
            name: "another message",
            reason: "nothing but EKS's answer that the association exists triggers adoption",
            input: opt_in.clone(),
            parameters: None,
            observed: lone(None, &format!("AccessDenied while reading {ADOPTABLE}")),
            adopted: None,
        },
        Case {
            name: "already named",
            reason: "an association with an external name is never touched: it keeps its own",
            input: opt_in.clone(),
            parameters: None,
            observed: lone(Some("a-abcdefghijklmnop1"), &already_exists(ADOPTABLE)),
            adopted: Some("a-abcdefghijklmnop1"),
        },
        Case {
            name: "two ids",
            reason: "conditions that name two ids leave it ambiguous",
            input: opt_in.clone(),
            parameters: None,
            observed: vec![(KEY.to_owned(), {
                let mut body = failing_association(None, &already_exists(ADOPTABLE));
                body["status"]["conditions"][0]["message"] =
                    json!(already_exists("a-abcdefghijklmnop1"));
                body
            })],
            adopted: None,
        },
        Case {
            name: "the claim adopts by associationId",
            reason: "the claim's own id wins; nothing is adopted over it",
            input: opt_in.clone(),
            parameters: Some(with_association_id),
            observed: lone(None, &already_exists(ADOPTABLE)),
            adopted: Some("a-zyxwvutsrqponmlk9"),
        },
        Case {
            name: "the id is another association's of this XR",
            reason:
                "an association being replaced holds it until it is deleted: wait, do not adopt it",
            input: opt_in.clone(),
            parameters: None,
            observed: vec![
                (
                    KEY.to_owned(),
                    failing_association(None, &already_exists(ADOPTABLE)),
                ),
                ("assoc-blue-shop-old-12345678".to_owned(), {
                    let mut old = failing_association(Some(ADOPTABLE), "deleting");
                    old["spec"]["forProvider"]["serviceAccount"] = json!("old");
                    old
                }),
            ],
            adopted: None,
        },
    ];
    for case in cases {
        let response = run_observed(case.parameters, case.input, &case.observed);
        let fatal = response
            .results
            .iter()
            .any(|result| result.severity == i32::from(Severity::Fatal));
        assert!(!fatal, "{}: observed state never causes a FATAL", case.name);
        assert_eq!(
            desired_external_name(&response, KEY).as_deref(),
            case.adopted,
            "{}: {}",
            case.name,
            case.reason
        );
        let adoptions = results_of(&response, ASSOCIATION_ADOPTED);
        let from_eks = case.adopted == Some(ADOPTABLE);
        assert_eq!(
            adoptions.len(),
            usize::from(from_eks),
            "{}: {adoptions:?}",
            case.name
        );
        if from_eks {
            assert!(
                adoptions[0].contains(KEY) && adoptions[0].contains(ADOPTABLE),
                "{}: the Warning names the key and the id: {}",
                case.name,
                adoptions[0]
            );
        }
    }
}

#[test]
fn an_association_under_a_derived_key_is_adopted_too() {
    let mut parameters = xr()["spec"]["parameters"].clone();
    parameters["serviceAccounts"] = json!([
        {"name": "app", "namespace": "shop"},
        {"name": "worker", "namespace": "shop"},
    ]);
    parameters.as_object_mut().unwrap().remove("serviceAccount");
    let first = run_observed(Some(parameters.clone()), None, &[]);
    let derived = first
        .desired
        .as_ref()
        .unwrap()
        .resources
        .keys()
        .find(|key| key.starts_with("assoc-"))
        .unwrap()
        .clone();
    let mut worker = failing_association(None, &already_exists(ADOPTABLE));
    worker["spec"]["forProvider"]["serviceAccount"] = json!("worker");
    let response = run_observed(
        Some(parameters),
        Some(json!({"adoptConflictingAssociations": true})),
        &[(derived.clone(), worker)],
    );
    assert_eq!(
        desired_external_name(&response, &derived).as_deref(),
        Some(ADOPTABLE)
    );
    assert_eq!(desired_external_name(&response, KEY), None);
}

// ---------------------------------------------------------------------------
// Failures explained on the claim: ResourcesSynced and Warnings

/// An observed resource of `kind` with the given conditions (an
/// association serving the XR's one pair).
fn with_conditions(kind: &str, conditions: Value) -> Value {
    if kind == "PodIdentityAssociation" {
        let mut association = failing_association(None, "");
        association["status"]["conditions"] = conditions;
        return association;
    }
    json!({
        "apiVersion": "iam.aws.upbound.io/v1beta1",
        "kind": kind,
        "metadata": {"name": "shop-app-x7k2p"},
        "spec": {"forProvider": {}},
        "status": {"conditions": conditions},
    })
}

fn synced(status: &str, message: Option<&str>) -> Value {
    let mut synced = json!([
        {"type": "Ready", "status": "False", "reason": "Creating"},
        {"type": "Synced", "status": status, "reason": if status == "True" { "ReconcileSuccess" } else { "ReconcileError" }},
    ]);
    if let Some(message) = message {
        synced[1]["message"] = json!(message);
    }
    synced
}

/// The `ResourcesSynced` condition of a response, as (holds, reason, message).
fn resources_synced(response: &RunFunctionResponse) -> (bool, String, Option<String>) {
    let conditions: Vec<_> = response
        .conditions
        .iter()
        .filter(|condition| condition.r#type == "ResourcesSynced")
        .collect();
    assert_eq!(conditions.len(), 1, "{:?}", response.conditions);
    let condition = conditions[0];
    assert_eq!(condition.target, Some(i32::from(Target::CompositeAndClaim)));
    let holds = match Status::try_from(condition.status).unwrap() {
        Status::ConditionTrue => true,
        Status::ConditionFalse => false,
        other => panic!("{other:?}"),
    };
    (holds, condition.reason.clone(), condition.message.clone())
}

#[test]
// One table reads best in one piece.
#[allow(clippy::too_many_lines)]
fn failing_resources_are_explained_on_the_claim() {
    const DENIED: &str = "AccessDenied: User: arn:aws:sts::111122223333:assumed-role/crossplane/x is not authorized to perform: iam:CreateRole";
    const QUOTA: &str = "LimitExceeded: Cannot exceed quota for PoliciesPerRole: 10";
    struct Case {
        name: &'static str,
        reason: &'static str,
        observed: Vec<(String, Value)>,
        want: Option<&'static str>,
        warnings: &'static [&'static str],
    }
    let cases = [
        Case {
            name: "all synced",
            reason: "every observed resource reports Synced=True",
            observed: vec![
                ("iamRole".to_owned(), with_conditions("Role", synced("True", None))),
                (KEY.to_owned(), with_conditions("PodIdentityAssociation", synced("True", None))),
            ],
            want: None,
            warnings: &[],
        },
        Case {
            name: "nothing observed",
            reason: "a fresh claim has nothing failing",
            observed: vec![],
            want: None,
            warnings: &[],
        },
        Case {
            name: "no conditions yet",
            reason: "a resource the provider has not reconciled yet is not failing",
            observed: vec![
                ("iamRole".to_owned(), with_conditions("Role", json!([]))),
                (KEY.to_owned(), {
                    let mut body = with_conditions("PodIdentityAssociation", json!([]));
                    body.as_object_mut().unwrap().remove("status");
                    body
                }),
            ],
            want: None,
            warnings: &[],
        },
        Case {
            name: "one failing",
            reason: "its key, kind and the provider's own message",
            observed: vec![
                ("iamRole".to_owned(), with_conditions("Role", synced("False", Some(DENIED)))),
                (KEY.to_owned(), with_conditions("PodIdentityAssociation", synced("True", None))),
            ],
            want: Some(
                "1 composed resource is not synced: iamRole (Role): AccessDenied: User: arn:aws:sts::111122223333:assumed-role/crossplane/x is not authorized to perform: iam:CreateRole",
            ),
            warnings: &["iamRole (Role): AccessDenied: User: arn:aws:sts::111122223333:assumed-role/crossplane/x is not authorized to perform: iam:CreateRole"],
        },
        Case {
            name: "several failing",
            reason: "each listed, in key order, each with its own Warning",
            observed: vec![
                (KEY.to_owned(), with_conditions("PodIdentityAssociation", synced("False", Some("ResourceNotFoundException: No cluster found for name: blue.")))),
                ("iamRole".to_owned(), with_conditions("Role", synced("False", Some(QUOTA)))),
            ],
            want: Some(
                "2 composed resources are not synced: iamRole (Role): LimitExceeded: Cannot exceed quota for PoliciesPerRole: 10; podIdentityAssociation (PodIdentityAssociation): ResourceNotFoundException: No cluster found for name: blue.",
            ),
            warnings: &[
                "iamRole (Role): LimitExceeded: Cannot exceed quota for PoliciesPerRole: 10",
                "podIdentityAssociation (PodIdentityAssociation): ResourceNotFoundException: No cluster found for name: blue.",
            ],
        },
        Case {
            name: "failing without a message",
            reason: "the reason stands in for a message",
            observed: vec![("iamRole".to_owned(), with_conditions("Role", synced("False", None)))],
            want: Some("1 composed resource is not synced: iamRole (Role): ReconcileError"),
            warnings: &["iamRole (Role): ReconcileError"],
        },
        Case {
            name: "failing but no longer desired",
            reason: "only resources the function still composes are judged; one being deleted is Crossplane's business",
            observed: vec![("assoc-blue-shop-old-12345678".to_owned(), {
                let mut old = with_conditions("PodIdentityAssociation", synced("False", Some(DENIED)));
                old["spec"]["forProvider"]["serviceAccount"] = json!("old");
                old
            })],
            want: None,
            warnings: &[],
        },
    ];
    for case in cases {
        let response = run_observed(None, None, &case.observed);
        let what = format!("{}: {}", case.name, case.reason);
        let (holds, reason, message) = resources_synced(&response);
        match case.want {
            None => {
                assert!(holds, "{what}");
                assert_eq!(reason, "Synced", "{what}");
                assert_eq!(message, None, "{what}");
            }
            Some(want) => {
                assert!(!holds, "{what}");
                assert_eq!(reason, "ComposedResourceError", "{what}");
                assert_eq!(message.as_deref(), Some(want), "{what}");
            }
        }
        assert_eq!(
            results_of(&response, "ComposedResourceError"),
            case.warnings,
            "{what}"
        );
        // A failure never stops composition.
        let desired = &response.desired.as_ref().unwrap().resources;
        assert!(
            desired.contains_key("iamRole") && desired.contains_key(KEY),
            "{what}"
        );
    }
}

#[test]
fn a_200_kb_provider_message_is_cut_and_says_how_long_it_was() {
    let long = format!("AccessDenied: {}", "x".repeat(200_000));
    let response = run_observed(
        None,
        None,
        &[(
            "iamRole".to_owned(),
            with_conditions("Role", synced("False", Some(&long))),
        )],
    );
    let (holds, _, message) = resources_synced(&response);
    assert!(!holds);
    let message = message.unwrap();
    assert!(message.len() <= 8 * 1024, "{}", message.len());
    let entry = message
        .strip_prefix("1 composed resource is not synced: iamRole (Role): ")
        .unwrap();
    assert!(entry.len() <= 512, "{}", entry.len());
    assert!(entry.starts_with("AccessDenied: xxx"), "{entry}");
    assert!(
        entry.ends_with(&format!("(message cut: {} bytes in all)", long.len())),
        "{entry}"
    );
    assert_eq!(
        results_of(&response, "ComposedResourceError"),
        [format!("iamRole (Role): {entry}")]
    );
}

#[test]
fn many_failures_stay_within_8_kib_and_say_how_many_were_left_out() {
    let policies: Vec<Value> = (0..40)
        .map(|index| json!({"name": format!("policy-{index:02}"), "policy": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#}))
        .collect();
    let mut parameters = xr()["spec"]["parameters"].clone();
    parameters["inlinePolicy"] = json!(policies);
    let first = run_observed(Some(parameters.clone()), None, &[]);
    let message = format!("MalformedPolicyDocument: {}", "y".repeat(600));
    let observed: Vec<(String, Value)> = first
        .desired
        .as_ref()
        .unwrap()
        .resources
        .keys()
        .filter(|key| key.starts_with("inline-"))
        .map(|key| {
            (
                key.clone(),
                with_conditions("RolePolicy", synced("False", Some(&message))),
            )
        })
        .collect();
    assert_eq!(observed.len(), 40);
    let response = run_observed(Some(parameters), None, &observed);
    let (holds, _, condition) = resources_synced(&response);
    assert!(!holds);
    let condition = condition.unwrap();
    assert!(condition.len() <= 8 * 1024, "{}", condition.len());
    assert!(
        condition.starts_with("40 composed resources are not synced: inline-policy-00-"),
        "{condition}"
    );
    assert!(
        condition.contains("more composed resources not synced"),
        "{condition}"
    );
    let warnings = results_of(&response, "ComposedResourceError");
    let total: usize = warnings.iter().map(String::len).sum();
    assert!(total <= 8 * 1024, "{total}");
    let (last, each) = warnings.split_last().unwrap();
    assert!(each.len() < 40 && !each.is_empty(), "{}", each.len());
    assert!(
        last.starts_with(&format!(
            "and {} more composed resources not synced",
            40 - each.len()
        )),
        "{last}"
    );
}

#[test]
fn an_adopted_association_keeps_its_id_once_named() {
    // Adopted on one call, the association is named on the next: the
    // function keeps naming it, or server-side apply would drop the
    // annotation and the provider create the association again.
    let input = Some(json!({"adoptConflictingAssociations": true}));
    let adopted = run_observed(
        None,
        input.clone(),
        &[(
            KEY.to_owned(),
            failing_association(None, &already_exists(ADOPTABLE)),
        )],
    );
    assert_eq!(
        desired_external_name(&adopted, KEY).as_deref(),
        Some(ADOPTABLE)
    );
    let mut named = failing_association(Some(ADOPTABLE), "");
    named["status"]["conditions"] = json!([
        {"type": "Ready", "status": "True", "reason": "Available"},
        {"type": "Synced", "status": "True", "reason": "ReconcileSuccess"},
    ]);
    for input in [input, None] {
        let response = run_observed(None, input, &[(KEY.to_owned(), named.clone())]);
        assert_eq!(
            desired_external_name(&response, KEY).as_deref(),
            Some(ADOPTABLE)
        );
        assert!(results_of(&response, ASSOCIATION_ADOPTED).is_empty());
    }
}
