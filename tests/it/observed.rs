//! What the function reads off observed composed resources beyond
//! readiness and status, and tells the claim as Warning results: a role
//! that existed before its XR was adopted, not created.

use function_eks_pod_identity::function::{Function, ROLE_ADOPTED};
use function_eks_pod_identity::protocol::v1::{Severity, Target};
use serde_json::{json, Value};

use crate::support::function::Call;

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
    let response = Function::default().run(call.request());
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
