//! Turns desired composed resources into what Crossplane and the AWS
//! provider would report once AWS has them: a generated `metadata.name`
//! (`<xr>-<5 characters>`), the external name, references resolved
//! (`role`, `roleArn`, `clusterName`), `status.atProvider` with what AWS
//! assigned, and `Ready` and `Synced` True. Day-2 tests compose, feed the
//! result back through [`observe`], change one field and compose again.
//!
//! A resource observed before keeps its name, external name and what AWS
//! fixed at creation (an association's cluster, namespace and service
//! account; a role's name and path): an update in place cannot change
//! them, so a test sees whether the function ever asked for that.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// The AWS account every resource lives in.
pub const ACCOUNT: &str = "111122223333";

/// When the provider created every resource: after the XR (see
/// [`XR_CREATED`]), so that no role reads as adopted.
pub const CREATED: &str = "2026-06-01T10:00:05Z";

/// When the XR was created.
pub const XR_CREATED: &str = "2026-06-01T10:00:00Z";

/// What the provider reports for each of `desired` (composed for the XR
/// named `xr`, namespaced in `namespace` or cluster-scoped), given what it
/// reported before (`earlier`); keys no longer desired are gone.
pub fn observe(
    xr: &str,
    namespace: Option<&str>,
    desired: &BTreeMap<String, Value>,
    earlier: &BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    let mut observed = BTreeMap::new();
    // The role first: the others resolve their references to it.
    let role_key = desired
        .iter()
        .find(|(_, body)| body["kind"] == "Role")
        .map(|(key, _)| key.clone());
    let mut role = None;
    if let Some(key) = &role_key {
        let body = report(xr, namespace, key, &desired[key], earlier.get(key), None);
        role = Some(body.clone());
        observed.insert(key.clone(), body);
    }
    for (key, body) in desired {
        if Some(key) == role_key.as_ref() {
            continue;
        }
        let reported = report(xr, namespace, key, body, earlier.get(key), role.as_ref());
        observed.insert(key.clone(), reported);
    }
    observed
}

/// The external name of an observed resource.
pub fn external_name(observed: &Value) -> Option<&str> {
    observed["metadata"]["annotations"]["crossplane.io/external-name"].as_str()
}

fn report(
    xr: &str,
    namespace: Option<&str>,
    key: &str,
    desired: &Value,
    earlier: Option<&Value>,
    role: Option<&Value>,
) -> Value {
    let mut body = desired.clone();
    let name = earlier.map_or_else(
        || format!("{xr}-{}", suffix(key, 5)),
        |earlier| earlier["metadata"]["name"].as_str().unwrap().to_owned(),
    );
    let metadata = object(&mut body, "metadata");
    metadata.insert("name".into(), json!(name));
    // A namespaced XR's composed resources live in its namespace.
    if let Some(namespace) = namespace {
        metadata.insert("namespace".into(), json!(namespace));
    }
    let labels = object(&mut body, "metadata")
        .entry("labels")
        .or_insert_with(|| json!({}));
    labels["crossplane.io/composite"] = json!(xr);
    let annotations = object(&mut body, "metadata")
        .entry("annotations")
        .or_insert_with(|| json!({}));
    annotations["crossplane.io/composition-resource-name"] = json!(key);
    if desired["kind"] == "Usage" {
        body["status"] = json!({"conditions": [condition("Ready", "Available")]});
        return body;
    }
    let resource = Resource {
        key,
        name: &name,
        desired,
        earlier,
        role_name: role
            .and_then(|role| role["status"]["atProvider"]["id"].as_str())
            .unwrap_or("unresolved-role"),
        role_arn: role
            .and_then(|role| role["status"]["atProvider"]["arn"].as_str())
            .unwrap_or("unresolved-role-arn"),
    };
    let (external, at_provider) = match desired["kind"].as_str().unwrap_or_default() {
        "Role" => resource.role(),
        "RolePolicyAttachment" => resource.attachment(&mut body),
        "RolePolicy" => resource.inline_policy(&mut body),
        "PodIdentityAssociation" => resource.association(&mut body),
        "Addon" => resource.addon(&mut body),
        other => panic!("{key}: no provider report for kind {other:?}"),
    };
    body["metadata"]["annotations"]["crossplane.io/external-name"] = json!(external);
    body["status"] = json!({
        "atProvider": at_provider,
        "conditions": [condition("Ready", "Available"), condition("Synced", "ReconcileSuccess")],
    });
    body
}

/// One desired managed resource being reported.
struct Resource<'a> {
    key: &'a str,
    /// Its generated `metadata.name`.
    name: &'a str,
    desired: &'a Value,
    earlier: Option<&'a Value>,
    /// The role's name and ARN, which references to it resolve to.
    role_name: &'a str,
    role_arn: &'a str,
}

impl Resource<'_> {
    fn asked(&self, field: &str) -> Value {
        self.desired["spec"]["forProvider"][field].clone()
    }

    /// What AWS fixed when it created the resource, if it did.
    fn fixed(&self, field: &str) -> Option<Value> {
        self.earlier
            .and_then(|earlier| earlier["status"]["atProvider"].get(field))
            .cloned()
    }

    fn role(&self) -> (String, Value) {
        // IAM fixed the name and path when it created the role.
        let external = self
            .earlier
            .and_then(external_name)
            .or_else(|| external_name(self.desired))
            .unwrap_or(self.name)
            .to_owned();
        let path = self.fixed("path").unwrap_or_else(|| {
            Some(self.asked("path"))
                .filter(Value::is_string)
                .unwrap_or_else(|| json!("/"))
        });
        let at = json!({
            "arn": format!("arn:aws:iam::{ACCOUNT}:role{}{external}", path.as_str().unwrap()),
            "id": external,
            "path": path,
            "createDate": self.fixed("createDate").unwrap_or_else(|| json!(CREATED)),
            "uniqueId": format!("AROA{}", suffix(self.key, 16).to_uppercase()),
            "assumeRolePolicy": self.asked("assumeRolePolicy"),
        });
        (external, at)
    }

    fn attachment(&self, body: &mut Value) -> (String, Value) {
        body["spec"]["forProvider"]["role"] = json!(self.role_name);
        let external = self.earlier.and_then(external_name).map_or_else(
            || format!("{}-{}", self.role_name, suffix(self.key, 26)),
            str::to_owned,
        );
        let at =
            json!({"id": external, "policyArn": self.asked("policyArn"), "role": self.role_name});
        (external, at)
    }

    fn inline_policy(&self, body: &mut Value) -> (String, Value) {
        body["spec"]["forProvider"]["role"] = json!(self.role_name);
        let external = external_name(self.desired).unwrap_or(self.name).to_owned();
        let at = json!({
            "id": format!("{}:{external}", self.role_name),
            "policy": self.asked("policy"),
            "role": self.role_name,
        });
        (external, at)
    }

    fn association(&self, body: &mut Value) -> (String, Value) {
        // A literal roleArn (an existing role) needs no resolving.
        let role_arn = self
            .asked("roleArn")
            .as_str()
            .unwrap_or(self.role_arn)
            .to_owned();
        body["spec"]["forProvider"]["roleArn"] = json!(role_arn);
        let resolved = resolved_cluster(&self.desired["spec"]["forProvider"]);
        body["spec"]["forProvider"]["clusterName"] = json!(resolved);
        let id = self
            .earlier
            .and_then(external_name)
            .or_else(|| external_name(self.desired))
            .map_or_else(|| format!("a-{}", suffix(self.name, 17)), str::to_owned);
        // EKS fixed these when it created the association.
        let cluster = self.fixed("clusterName").unwrap_or_else(|| json!(resolved));
        let region = self.fixed("region").unwrap_or_else(|| self.asked("region"));
        let mut at = json!({
            "associationArn": format!(
                "arn:aws:eks:{}:{ACCOUNT}:podidentityassociation/{}/{id}",
                region.as_str().unwrap(),
                cluster.as_str().unwrap()
            ),
            "associationId": id,
            "id": id,
            "clusterName": cluster,
            "region": region,
            "namespace": self.fixed("namespace").unwrap_or_else(|| self.asked("namespace")),
            "serviceAccount": self
                .fixed("serviceAccount")
                .unwrap_or_else(|| self.asked("serviceAccount")),
            "roleArn": role_arn,
        });
        for field in ["targetRoleArn", "disableSessionTags"] {
            let value = self.asked(field);
            if !value.is_null() {
                at[field] = value;
            }
        }
        (id, at)
    }

    fn addon(&self, body: &mut Value) -> (String, Value) {
        let resolved = resolved_cluster(&self.desired["spec"]["forProvider"]);
        body["spec"]["forProvider"]["clusterName"] = json!(resolved);
        let cluster = self.fixed("clusterName").unwrap_or_else(|| json!(resolved));
        let region = self.fixed("region").unwrap_or_else(|| self.asked("region"));
        let addon = self.asked("addonName");
        let addon = addon.as_str().unwrap_or_default();
        let external = format!("{}:{addon}", cluster.as_str().unwrap());
        let at = json!({
            "arn": format!(
                "arn:aws:eks:{}:{ACCOUNT}:addon/{}/{addon}/{}",
                region.as_str().unwrap(),
                cluster.as_str().unwrap(),
                suffix(self.key, 12)
            ),
            "id": external,
            "addonName": addon,
            "clusterName": cluster,
            "region": region,
            "createdAt": self.fixed("createdAt").unwrap_or_else(|| json!(CREATED)),
        });
        (external, at)
    }
}

/// The cluster's name as the provider resolves the association's or
/// add-on's cluster field: a reference resolves to the Cluster it names,
/// a selector to the one it selects (here, by its labels' values).
fn resolved_cluster(asked: &Value) -> String {
    if let Some(name) = asked["clusterName"].as_str() {
        return name.to_owned();
    }
    if let Some(name) = asked["clusterNameRef"]["name"].as_str() {
        return format!("{name}-eks");
    }
    let labels = asked["clusterNameSelector"]["matchLabels"]
        .as_object()
        .map(|labels| {
            labels
                .values()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("-")
        })
        .unwrap_or_default();
    format!("selected-{labels}")
}

fn condition(kind: &str, reason: &str) -> Value {
    json!({
        "type": kind,
        "status": "True",
        "reason": reason,
        "lastTransitionTime": CREATED,
    })
}

fn object<'v>(body: &'v mut Value, key: &str) -> &'v mut Map<String, Value> {
    body.as_object_mut()
        .unwrap()
        .entry(key)
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .unwrap()
}

/// `length` lowercase letters and digits derived from `seed`, the same for
/// the same seed: Crossplane's generated names and AWS's ids look alike.
fn suffix(seed: &str, length: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    (0..length)
        .map(|_| {
            hash = hash
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(ALPHABET[usize::try_from(hash >> 32).unwrap() % ALPHABET.len()])
        })
        .collect()
}
