//! Proves that `crd::validate` accepts minimal valid managed
//! resources of every kind the function emits, in both the cluster-scoped and
//! the namespaced world, and rejects each kind of mistake it exists to catch.

use serde_json::{json, Value};

use crate::support::crd;

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
const INLINE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#;

/// The two API worlds a managed resource can live in.
#[derive(Debug, Clone, Copy)]
enum World {
    Cluster,
    Namespaced,
}

impl World {
    fn iam(self) -> &'static str {
        match self {
            World::Cluster => "iam.aws.upbound.io/v1beta1",
            World::Namespaced => "iam.aws.m.upbound.io/v1beta1",
        }
    }

    fn eks(self) -> &'static str {
        match self {
            World::Cluster => "eks.aws.upbound.io/v1beta1",
            World::Namespaced => "eks.aws.m.upbound.io/v1beta1",
        }
    }

    /// A managed resource with this world's provider config reference (and,
    /// in the cluster world, a deletion policy).
    fn managed(self, api_version: &str, kind: &str, for_provider: &Value) -> Value {
        match self {
            World::Cluster => json!({
                "apiVersion": api_version,
                "kind": kind,
                "spec": {
                    "forProvider": for_provider,
                    "providerConfigRef": {"name": "default"},
                    "deletionPolicy": "Delete",
                },
            }),
            World::Namespaced => json!({
                "apiVersion": api_version,
                "kind": kind,
                "metadata": {"namespace": "team-a"},
                "spec": {
                    "forProvider": for_provider,
                    "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"},
                },
            }),
        }
    }

    fn role(self) -> Value {
        let mut role = self.managed(
            self.iam(),
            "Role",
            &json!({"assumeRolePolicy": TRUST_POLICY}),
        );
        role["metadata"]["annotations"] = json!({"crossplane.io/external-name": "my-controller"});
        role
    }

    fn attachment(self) -> Value {
        self.managed(
            self.iam(),
            "RolePolicyAttachment",
            &json!({
                "policyArn": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
                "roleSelector": {"matchControllerRef": true},
            }),
        )
    }

    fn inline_policy(self) -> Value {
        self.managed(
            self.iam(),
            "RolePolicy",
            &json!({
                "policy": INLINE_POLICY,
                "roleSelector": {"matchControllerRef": true},
            }),
        )
    }

    fn association(self) -> Value {
        self.managed(
            self.eks(),
            "PodIdentityAssociation",
            &json!({
                "region": "us-west-2",
                "clusterName": "prod",
                "namespace": "kube-system",
                "serviceAccount": "my-controller",
                "roleArnSelector": {"matchControllerRef": true},
            }),
        )
    }

    fn addon(self) -> Value {
        self.managed(
            self.eks(),
            "Addon",
            &json!({
                "region": "us-west-2",
                "clusterName": "prod",
                "addonName": "eks-pod-identity-agent",
            }),
        )
    }

    fn all(self) -> [Value; 5] {
        [
            self.role(),
            self.attachment(),
            self.inline_policy(),
            self.association(),
            self.addon(),
        ]
    }
}

const WORLDS: [World; 2] = [World::Cluster, World::Namespaced];

#[track_caller]
fn assert_valid(resource: &Value) {
    if let Err(errors) = crd::validate(resource) {
        panic!("expected valid, got {errors:#?} for {resource:#}");
    }
}

/// Asserts the resource is rejected with an error containing every needle.
#[track_caller]
fn assert_rejected(resource: &Value, needles: &[&str]) -> Vec<String> {
    let Err(errors) = crd::validate(resource) else {
        panic!("expected rejection ({needles:?}) of {resource:#}");
    };
    assert!(
        errors
            .iter()
            .any(|error| needles.iter().all(|needle| error.contains(needle))),
        "no error contains all of {needles:?}: {errors:#?}"
    );
    errors
}

#[test]
fn accepts_minimal_resources_of_every_emitted_kind_in_both_worlds() {
    for world in WORLDS {
        for resource in world.all() {
            assert_valid(&resource);
        }
    }
}

#[test]
fn accepts_the_resources_without_optional_settings() {
    // providerConfigRef and deletionPolicy have defaults; metadata is optional.
    for world in WORLDS {
        for mut resource in world.all() {
            let spec = resource["spec"].as_object_mut().unwrap();
            spec.remove("providerConfigRef");
            spec.remove("deletionPolicy");
            resource.as_object_mut().unwrap().remove("metadata");
            assert_valid(&resource);
        }
    }
}

#[test]
fn catalog_covers_every_kind_in_both_worlds() {
    let known = crd::known_kinds();
    for expected in [
        "Role.iam.aws.upbound.io/v1beta1",
        "RolePolicy.iam.aws.upbound.io/v1beta1",
        "RolePolicyAttachment.iam.aws.upbound.io/v1beta1",
        "Policy.iam.aws.upbound.io/v1beta1",
        "PodIdentityAssociation.eks.aws.upbound.io/v1beta1",
        "Addon.eks.aws.upbound.io/v1beta1",
        "Cluster.eks.aws.upbound.io/v1beta2",
        "Role.iam.aws.m.upbound.io/v1beta1",
        "RolePolicy.iam.aws.m.upbound.io/v1beta1",
        "RolePolicyAttachment.iam.aws.m.upbound.io/v1beta1",
        "PodIdentityAssociation.eks.aws.m.upbound.io/v1beta1",
        "Addon.eks.aws.m.upbound.io/v1beta1",
    ] {
        assert!(
            known.iter().any(|kind| kind == expected),
            "{expected} missing from {known:?}"
        );
    }
}

#[test]
fn rejects_a_misspelled_for_provider_field() {
    for world in WORLDS {
        let mut role = world.role();
        role["spec"]["forProvider"]["maxSessionDurations"] = json!(3600);
        assert_rejected(&role, &["spec.forProvider", "maxSessionDurations"]);

        let mut association = world.association();
        let for_provider = association["spec"]["forProvider"].as_object_mut().unwrap();
        let value = for_provider.remove("serviceAccount").unwrap();
        for_provider.insert("serviceAccountName".into(), value);
        let errors = assert_rejected(&association, &["serviceAccountName"]);
        // The rename also drops a CEL-required field.
        assert!(
            errors
                .iter()
                .any(|error| error
                    .contains("spec.forProvider.serviceAccount is a required parameter")),
            "{errors:#?}"
        );
    }
}

#[test]
fn rejects_misspelled_fields_outside_for_provider() {
    for world in WORLDS {
        let mut role = world.role();
        role["spec"]["providerConfigRef"]["nmae"] = json!("default");
        assert_rejected(&role, &["spec.providerConfigRef", "nmae"]);

        let mut role = world.role();
        role["spec"]["forProviders"] = json!({});
        assert_rejected(&role, &["spec", "forProviders"]);

        let mut role = world.role();
        role["spce"] = json!({});
        assert_rejected(&role, &["(root)", "spce"]);

        let mut attachment = world.attachment();
        attachment["spec"]["forProvider"]["roleSelector"]["matchControlerRef"] = json!(true);
        assert_rejected(
            &attachment,
            &["spec.forProvider.roleSelector", "matchControlerRef"],
        );
    }
}

#[test]
fn rejects_wrong_types_and_enum_values() {
    for world in WORLDS {
        let mut role = world.role();
        role["spec"]["forProvider"]["maxSessionDuration"] = json!("3600");
        assert_rejected(&role, &["spec.forProvider.maxSessionDuration"]);

        let mut role = world.role();
        role["spec"]["managementPolicies"] = json!(["Everything"]);
        assert_rejected(&role, &["spec.managementPolicies[0]"]);

        let mut role = world.role();
        role["spec"]["forProvider"]["tags"] = json!({"team": 7});
        assert_rejected(&role, &["spec.forProvider.tags.team"]);
    }
    let mut role = World::Cluster.role();
    role["spec"]["deletionPolicy"] = json!("Keep");
    assert_rejected(&role, &["spec.deletionPolicy"]);
}

#[test]
fn rejects_a_duplicate_in_a_set_list() {
    for world in WORLDS {
        let mut role = world.role();
        role["spec"]["forProvider"]["managedPolicyArns"] = json!([
            "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
            "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        ]);
        assert_rejected(&role, &["spec.forProvider.managedPolicyArns"]);
    }
}

#[test]
fn rejects_metadata_name() {
    for world in WORLDS {
        for mut resource in world.all() {
            resource["metadata"]["name"] = json!("my-role");
            assert_rejected(&resource, &["metadata.name", "must not set"]);
        }
    }
}

#[test]
fn rejects_server_populated_metadata_and_status() {
    for world in WORLDS {
        let mut role = world.role();
        role["metadata"]["resourceVersion"] = json!("42");
        role["metadata"]["uid"] = json!("0b6ed1ea-1b7e-4d5c-9a3e-4b1b2f6f0a11");
        assert_rejected(&role, &["metadata.resourceVersion"]);
        assert_rejected(&role, &["metadata.uid"]);

        let mut role = world.role();
        role["status"] =
            json!({"atProvider": {"arn": "arn:aws:iam::111122223333:role/my-controller"}});
        assert_rejected(&role, &["status"]);

        let mut role = world.role();
        role["metadata"]["labelz"] = json!({});
        assert_rejected(&role, &["metadata.labelz"]);
    }
}

#[test]
fn rejects_malformed_labels_and_annotations() {
    let mut role = World::Cluster.role();
    role["metadata"]["labels"] = json!({"team": "a b"});
    assert_rejected(&role, &["metadata.labels", "invalid label value"]);

    let mut role = World::Cluster.role();
    role["metadata"]["annotations"] = json!({"Example.com/x": "y"});
    assert_rejected(&role, &["metadata.annotations", "prefix"]);

    let mut role = World::Cluster.role();
    role["metadata"]["annotations"] = json!({"crossplane.io/external-name": 3});
    assert_rejected(&role, &["metadata.annotations", "want a string"]);
}

#[test]
fn rejects_a_role_without_its_cel_required_trust_policy() {
    for world in WORLDS {
        let mut role = world.role();
        role["spec"]["forProvider"]
            .as_object_mut()
            .unwrap()
            .remove("assumeRolePolicy");
        assert_rejected(
            &role,
            &["spec.forProvider.assumeRolePolicy is a required parameter"],
        );

        // Each of the gating policies enforces it.
        for policies in [
            json!(["*"]),
            json!(["Create"]),
            json!(["Observe", "Update"]),
        ] {
            role["spec"]["managementPolicies"] = policies;
            assert_rejected(&role, &["assumeRolePolicy is a required parameter"]);
        }
        // An observe-only resource need not set it.
        role["spec"]["managementPolicies"] = json!(["Observe"]);
        assert_valid(&role);
        role["spec"]["managementPolicies"] = json!(["Observe", "Delete", "LateInitialize"]);
        assert_valid(&role);
        // initProvider counts as set.
        role["spec"]["managementPolicies"] = json!(["*"]);
        role["spec"]["initProvider"] = json!({"assumeRolePolicy": TRUST_POLICY});
        assert_valid(&role);
    }
}

#[test]
fn rejects_every_missing_cel_required_field_of_the_other_kinds() {
    type Build = fn(World) -> Value;
    let cases: [(Build, &str); 4] = [
        (World::inline_policy, "policy"),
        (World::association, "namespace"),
        (World::association, "serviceAccount"),
        (World::addon, "addonName"),
    ];
    for world in WORLDS {
        for (build, field) in cases {
            let mut resource = build(world);
            resource["spec"]["forProvider"]
                .as_object_mut()
                .unwrap()
                .remove(field);
            assert_rejected(
                &resource,
                &[&format!("spec.forProvider.{field} is a required parameter")],
            );
        }
    }
}

#[test]
fn rejects_eks_resources_without_the_openapi_required_region() {
    for world in WORLDS {
        for mut resource in [world.association(), world.addon()] {
            resource["spec"]["forProvider"]
                .as_object_mut()
                .unwrap()
                .remove("region");
            assert_rejected(&resource, &["spec.forProvider", "region"]);
        }
    }
    // IAM is global: its kinds have no region at all.
    let mut role = World::Cluster.role();
    role["spec"]["forProvider"]["region"] = json!("us-west-2");
    assert_rejected(&role, &["spec.forProvider", "region"]);
}

#[test]
fn rejects_a_namespaced_resource_with_deletion_policy() {
    for mut resource in World::Namespaced.all() {
        resource["spec"]["deletionPolicy"] = json!("Orphan");
        assert_rejected(&resource, &["spec.deletionPolicy", "namespaced"]);
    }
}

#[test]
fn rejects_a_namespaced_provider_config_ref_without_a_valid_kind() {
    let mut role = World::Namespaced.role();
    role["spec"]["providerConfigRef"] = json!({"name": "default"});
    assert_rejected(&role, &["spec.providerConfigRef.kind"]);

    role["spec"]["providerConfigRef"] = json!({"kind": "StoreConfig", "name": "default"});
    assert_rejected(&role, &["spec.providerConfigRef.kind", "StoreConfig"]);

    role["spec"]["providerConfigRef"] = json!({"kind": "ProviderConfig", "name": "team-a"});
    assert_valid(&role);
}

#[test]
fn rejects_cluster_world_shapes_mixed_with_namespaced_ones() {
    // A cluster-scoped resource takes neither a namespace nor a config kind.
    let mut role = World::Cluster.role();
    role["metadata"]["namespace"] = json!("team-a");
    assert_rejected(&role, &["metadata.namespace", "cluster-scoped"]);

    let mut role = World::Cluster.role();
    role["spec"]["providerConfigRef"]["kind"] = json!("ClusterProviderConfig");
    assert_rejected(&role, &["spec.providerConfigRef", "kind"]);

    // A namespaced connection secret lives in the resource's own namespace.
    let mut role = World::Namespaced.role();
    role["spec"]["writeConnectionSecretToRef"] = json!({"name": "creds", "namespace": "other"});
    assert_rejected(&role, &["spec.writeConnectionSecretToRef", "namespace"]);
}

#[test]
fn rejects_unknown_api_versions_and_kinds() {
    let mut role = World::Cluster.role();
    role["apiVersion"] = json!("iam.aws.upbound.io/v1beta2");
    assert_rejected(&role, &["apiVersion", "v1beta2"]);

    let mut role = World::Cluster.role();
    role["kind"] = json!("Roles");
    assert_rejected(&role, &["kind", "Roles"]);

    let mut role = World::Cluster.role();
    role["apiVersion"] = json!("v1");
    assert_rejected(&role, &["apiVersion"]);

    assert_rejected(&json!("Role"), &["(root)"]);
}

#[test]
fn accepts_observed_resources_with_name_and_status() {
    for world in WORLDS {
        let mut role = world.role();
        role["metadata"]["name"] = json!("my-xr-4kq8z");
        role["metadata"]["uid"] = json!("0b6ed1ea-1b7e-4d5c-9a3e-4b1b2f6f0a11");
        role["status"] = json!({
            "atProvider": {"arn": "arn:aws:iam::111122223333:role/my-controller", "id": "my-controller"},
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-06-01T10:00:00Z"},
                {"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2026-06-01T10:00:00Z"},
            ],
        });
        if let Err(errors) = crd::validate_observed(&role) {
            panic!("{errors:#?}");
        }
        assert!(crd::validate(&role).is_err());

        // Conditions are a list-map keyed by type.
        role["status"]["conditions"][1]["type"] = json!("Ready");
        let errors = crd::validate_observed(&role).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|error| error.contains("status.conditions[1]")),
            "{errors:#?}"
        );
    }
}
