//! Validates Kubernetes objects against the CRDs that define them, the way a
//! strict API server would, so a test can prove that what the function emits,
//! and what the packages and examples declare, would be accepted.
//!
//! The CRDs are the unchanged copies under `tests/fixtures/crds/` (its README
//! gives their sources and versions), from two folders:
//!
//! - [`Source::Provider`], `provider-upjet-aws-v2.6.0/`: the managed resources
//!   the function composes;
//! - [`Source::Crossplane`], `crossplane-v2.4/`: Crossplane's own kinds
//!   (`Composition`, `CompositeResourceDefinition`, `DeploymentRuntimeConfig`,
//!   `Usage`, `ClusterUsage`, `ManagedResourceActivationPolicy`).
//!
//! For an object this module:
//!
//! 1. finds the CRD by `apiVersion` (group and version) and `kind`, and checks
//!    that the version is served;
//! 2. validates the whole object against that version's `openAPIV3Schema` with
//!    JSON Schema Draft 4, after closing every object schema that lists
//!    `properties` but neither `additionalProperties` nor
//!    `x-kubernetes-preserve-unknown-fields` (an API server would silently
//!    prune an unknown field; here a misspelled field is an error), and after
//!    turning `x-kubernetes-list-type: set` into `uniqueItems`;
//! 3. checks `metadata`, which the schema leaves open: well-formed labels and
//!    annotations, no `metadata.namespace` on a cluster-scoped kind, and what
//!    the kind of object requires: a desired composed resource has no
//!    `metadata.name` (Crossplane names it), none of the fields the API server
//!    populates and no `status`; a manifest (an object as a user or a package
//!    applies it) has a well-formed `metadata.name`, none of the fields the API
//!    server populates and no `status`; an observed resource may have all;
//! 4. evaluates the CEL rules (`x-kubernetes-validations`): the provider's
//!    "required parameter" rules on `spec`, and Crossplane's rules, written in
//!    the small part of CEL that [`super::cel`] evaluates, on the object after
//!    the schema's defaults are applied (as an API server applies them before
//!    it validates). Transition rules (those naming `oldSelf`) apply only to
//!    updates, so they are not evaluated here; [`check_transitions`]
//!    evaluates them on an old and a new object;
//! 5. applies what distinguishes the provider's namespaced
//!    (`*.aws.m.upbound.io`) kinds: no `spec.deletionPolicy`, and a
//!    `providerConfigRef.kind` that is one of the two provider config kinds.
//!
//! Every CEL rule in the CRDs is read when they are loaded: a rule this module
//! cannot evaluate (for a provider CRD, one that is not the "required
//! parameter" shape) makes loading fail, so a new kind of rule can never be
//! skipped silently.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, OnceLock};

use serde::Deserialize as _;
use serde_json::Value;

use super::cel;

/// Where a CRD comes from, which decides how its CEL rules are read and what
/// is checked beyond its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The provider family whose managed resources the function composes.
    Provider,
    /// Crossplane itself.
    Crossplane,
}

impl Source {
    /// The folder of this source's CRDs, relative to the crate.
    fn dir(self) -> &'static str {
        match self {
            Source::Provider => "tests/fixtures/crds/provider-upjet-aws-v2.6.0",
            Source::Crossplane => "tests/fixtures/crds/crossplane-v2.4",
        }
    }
}

const SOURCES: [Source; 2] = [Source::Provider, Source::Crossplane];

/// How the provider words a CEL "required parameter" rule's message.
const REQUIRED_PREFIX: &str = "spec.forProvider.";
const REQUIRED_SUFFIX: &str = " is a required parameter";

/// The management policies under which a required parameter must be set.
const GATING_POLICIES: [&str; 3] = ["*", "Create", "Update"];

/// The provider config kinds a namespaced managed resource may name.
const NAMESPACED_PROVIDER_CONFIG_KINDS: [&str; 2] = ["ProviderConfig", "ClusterProviderConfig"];

/// `metadata` fields only the API server writes: a desired resource that
/// carries them (typically copied from an observed one) fails to apply.
const SERVER_POPULATED_METADATA: [&str; 8] = [
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

/// `metadata` fields a desired composed resource may carry.
const CLIENT_METADATA: [&str; 6] = [
    "namespace",
    "labels",
    "annotations",
    "generateName",
    "finalizers",
    "ownerReferences",
];

/// Validates a desired composed resource, as a function would emit it.
///
/// Returns every problem found, each prefixed with the field path it is
/// about (`spec.forProvider`, `metadata.name`, or `(root)`).
pub fn validate(resource: &Value) -> Result<(), Vec<String>> {
    check(resource, Mode::Desired)
}

/// Validates an observed composed resource, as the API server would return
/// it: `metadata.name`, server-populated metadata and `status` are allowed
/// (and `status` is validated against the schema).
pub fn validate_observed(resource: &Value) -> Result<(), Vec<String>> {
    check(resource, Mode::Observed)
}

/// Validates an object as a user or a package manager would apply it (a
/// package's `Composition`, an example's `DeploymentRuntimeConfig`): it must
/// be named, and carries neither server-populated metadata nor `status`.
pub fn validate_manifest(object: &Value) -> Result<(), Vec<String>> {
    check(object, Mode::Manifest)
}

/// Where the CRD that defines an object's `apiVersion` group and `kind` comes
/// from, if one does (whether or not it serves that version).
pub fn source_of(object: &Value) -> Option<Source> {
    let catalog = CATALOG.as_ref().ok()?;
    let group = object
        .get("apiVersion")
        .and_then(Value::as_str)?
        .split_once('/')?
        .0;
    let kind = object.get("kind").and_then(Value::as_str)?;
    catalog
        .kinds
        .get(&(group.to_owned(), kind.to_owned()))
        .map(|crd| crd.source)
}

/// Where the CRD that defines `kind` in the API group `group` comes from,
/// and its name, `<spec.names.plural>.<group>`: for a provider's CRD also the
/// name of the `ManagedResourceDefinition` Crossplane v2 makes of it, which is
/// what a `ManagedResourceActivationPolicy` lists. `None` when no vendored CRD
/// defines the kind.
pub fn crd_name(group: &str, kind: &str) -> Option<(Source, &'static str)> {
    let catalog = CATALOG.as_ref().ok()?;
    catalog
        .kinds
        .get(&(group.to_owned(), kind.to_owned()))
        .map(|crd| (crd.source, crd.name.as_str()))
}

/// What the object is, which decides what its `metadata` and `status` may
/// hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A composed resource as a function sends it.
    Desired,
    /// A resource as the cluster holds it.
    Observed,
    /// An object as a user or a package applies it.
    Manifest,
}

/// Every CRD of every [`Source`], by API group and kind.
#[derive(Debug)]
struct Catalog {
    kinds: BTreeMap<(String, String), Crd>,
}

/// One `CustomResourceDefinition`.
#[derive(Debug)]
struct Crd {
    file: String,
    source: Source,
    /// `<plural>.<group>`: the CRD's name, and that of the
    /// `ManagedResourceDefinition` Crossplane v2 makes of a provider's CRD.
    name: String,
    namespaced: bool,
    versions: BTreeMap<String, Version>,
}

/// One version of a CRD, with its schema prepared for validation.
#[derive(Debug)]
struct Version {
    served: bool,
    /// The schema with unknown fields closed (see the module docs).
    schema: Value,
    /// The `spec.forProvider` fields the provider's CEL rules require.
    required_parameters: Vec<String>,
    /// `spec.managementPolicies` when a resource omits it.
    default_management_policies: Vec<String>,
    compiled: OnceLock<Result<jsonschema::Validator, String>>,
}

static CATALOG: LazyLock<Result<Catalog, String>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    load_catalog(
        &SOURCES
            .iter()
            .map(|source| (*source, root.join(source.dir())))
            .collect::<Vec<_>>(),
    )
});

fn check(resource: &Value, mode: Mode) -> Result<(), Vec<String>> {
    let catalog = CATALOG.as_ref().map_err(|error| vec![error.clone()])?;
    let (crd, version) = find(catalog, resource).map_err(|error| vec![error])?;
    let validator = version
        .compiled
        .get_or_init(|| compile(&version.schema).map_err(|error| format!("{}: {error}", crd.file)))
        .as_ref()
        .map_err(|error| vec![error.clone()])?;

    let mut errors: Vec<String> = validator
        .iter_errors(resource)
        .map(|error| {
            format!(
                "{}: {error}",
                display_pointer(error.instance_path().as_str())
            )
        })
        .collect();
    list_map_keys(&version.schema, resource, "", &mut errors);
    check_metadata(resource, crd.namespaced, mode, &mut errors);
    if resource.get("status").is_some() {
        match mode {
            Mode::Desired => errors.push(
                "status: a desired composed resource carries no status (Crossplane ignores it, \
                 and a status copied from an observed resource makes the apply fail)"
                    .to_owned(),
            ),
            Mode::Manifest => errors.push(
                "status: an object to apply carries no status (the API server ignores it; only \
                 its controller writes status)"
                    .to_owned(),
            ),
            Mode::Observed => {}
        }
    }
    match crd.source {
        Source::Provider => {
            check_required_parameters(resource, version, &mut errors);
            if crd.namespaced {
                check_namespaced(resource, &mut errors);
            }
        }
        Source::Crossplane => {
            let mut defaulted = resource.clone();
            apply_defaults(&version.schema, &mut defaulted);
            check_rules(&version.schema, &defaulted, "", &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Finds the CRD version a resource's `apiVersion` and `kind` name.
fn find<'c>(catalog: &'c Catalog, resource: &Value) -> Result<(&'c Crd, &'c Version), String> {
    let Some(object) = resource.as_object() else {
        return Err(format!("(root): want a Kubernetes object, got {resource}"));
    };
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some((group, version)) = api_version.split_once('/') else {
        return Err(format!(
            "apiVersion: want <group>/<version> of a known CRD, got {api_version:?}"
        ));
    };
    let Some(crd) = catalog.kinds.get(&(group.to_owned(), kind.to_owned())) else {
        let known: Vec<String> = catalog
            .kinds
            .keys()
            .map(|(group, kind)| format!("{kind}.{group}"))
            .collect();
        return Err(format!(
            "kind: no CRD for kind {kind:?} in group {group:?}; known: {}",
            known.join(", ")
        ));
    };
    let Some(found) = crd.versions.get(version) else {
        return Err(format!(
            "apiVersion: {} has no version {version:?}; it has {:?}",
            crd.file,
            crd.versions.keys().collect::<Vec<_>>()
        ));
    };
    if !found.served {
        return Err(format!(
            "apiVersion: {api_version} is not served by {}",
            crd.file
        ));
    }
    Ok((crd, found))
}

/// Loads every CRD of every folder into one catalog.
fn load_catalog(dirs: &[(Source, PathBuf)]) -> Result<Catalog, String> {
    let mut kinds = BTreeMap::new();
    for (source, dir) in dirs {
        let entries = std::fs::read_dir(dir)
            .map_err(|error| format!("reading {}: {error}", dir.display()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(format!("no CRDs in {}", dir.display()));
        }
        for path in files {
            let file = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path)
                .map_err(|error| format!("reading {file}: {error}"))?;
            for document in yaml_documents(&text).map_err(|error| format!("{file}: {error}"))? {
                let (key, crd) = load_crd(*source, &file, &document)
                    .map_err(|error| format!("{file}: {error}"))?;
                if kinds.insert(key.clone(), crd).is_some() {
                    return Err(format!("{file}: a second CRD for {key:?}"));
                }
            }
        }
    }
    Ok(Catalog { kinds })
}

/// The non-empty documents of a YAML stream, as JSON values.
pub fn yaml_documents(text: &str) -> Result<Vec<Value>, String> {
    let mut documents = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let value = Value::deserialize(document).map_err(|error| error.to_string())?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}

fn load_crd(
    source: Source,
    file: &str,
    document: &Value,
) -> Result<((String, String), Crd), String> {
    let text = |pointer: &str| {
        document
            .pointer(pointer)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no string at {pointer}"))
    };
    if text("/kind")? != "CustomResourceDefinition" {
        return Err("not a CustomResourceDefinition".to_owned());
    }
    let group = text("/spec/group")?.to_owned();
    let kind = text("/spec/names/kind")?.to_owned();
    let name = format!("{}.{group}", text("/spec/names/plural")?);
    if text("/metadata/name")? != name {
        return Err(format!(
            "metadata.name is not <spec.names.plural>.<spec.group> ({name})"
        ));
    }
    let namespaced = match text("/spec/scope")? {
        "Namespaced" => true,
        "Cluster" => false,
        other => return Err(format!("unknown scope {other:?}")),
    };
    let mut versions = BTreeMap::new();
    let listed = document
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .ok_or("no spec.versions")?;
    for entry in listed {
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .ok_or("a version without a name")?;
        let version =
            load_version(source, entry).map_err(|error| format!("version {name}: {error}"))?;
        versions.insert(name.to_owned(), version);
    }
    let crd = Crd {
        file: file.to_owned(),
        source,
        name,
        namespaced,
        versions,
    };
    Ok(((group, kind), crd))
}

fn load_version(source: Source, entry: &Value) -> Result<Version, String> {
    let served = entry
        .get("served")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let original = entry
        .pointer("/schema/openAPIV3Schema")
        .ok_or("no schema.openAPIV3Schema")?;
    let mut rules = Vec::new();
    collect_rules(original, "", &mut rules);
    let mut required_parameters = Vec::new();
    for (path, rule) in rules {
        match source {
            Source::Provider if path == ".spec" => {
                required_parameters.push(required_parameter(&rule)?);
            }
            Source::Provider => return Err(format!("unsupported CEL rule at {path}: {rule}")),
            Source::Crossplane => {
                let text = rule.get("rule").and_then(Value::as_str).unwrap_or_default();
                cel::Rule::parse(text).map_err(|error| {
                    format!("unsupported CEL rule at {path}: {text:?}: {error}")
                })?;
            }
        }
    }
    let default_management_policies = original
        .pointer("/properties/spec/properties/managementPolicies/default")
        .and_then(Value::as_array)
        .map(|policies| {
            policies
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut schema = original.clone();
    close(&mut schema);
    Ok(Version {
        served,
        schema,
        required_parameters,
        default_management_policies,
        compiled: OnceLock::new(),
    })
}

/// Every `x-kubernetes-validations` entry under `node`, with its schema path.
fn collect_rules(node: &Value, path: &str, rules: &mut Vec<(String, Value)>) {
    let Some(object) = node.as_object() else {
        return;
    };
    if let Some(Value::Array(listed)) = object.get("x-kubernetes-validations") {
        rules.extend(listed.iter().map(|rule| (path.to_owned(), rule.clone())));
    }
    if let Some(Value::Object(properties)) = object.get("properties") {
        for (name, child) in properties {
            collect_rules(child, &format!("{path}.{name}"), rules);
        }
    }
    if let Some(items) = object.get("items") {
        collect_rules(items, &format!("{path}[]"), rules);
    }
    if let Some(values) = object.get("additionalProperties") {
        collect_rules(values, &format!("{path}{{}}"), rules);
    }
}

/// Reads a CEL rule as "`spec.forProvider.X` is a required parameter" and
/// returns `X`, after checking that the rule's text says exactly that:
///
/// ```text
/// !('*' in self.managementPolicies || 'Create' in self.managementPolicies
///   || 'Update' in self.managementPolicies) || has(self.forProvider.X)
///   || (has(self.initProvider) && has(self.initProvider.X))
/// ```
///
/// that is, `X` must be in `forProvider` or `initProvider` whenever the
/// management policies (defaulted by the schema when absent) contain `*`,
/// `Create` or `Update`.
fn required_parameter(rule: &Value) -> Result<String, String> {
    let message = rule
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let text = rule.get("rule").and_then(Value::as_str).unwrap_or_default();
    let unsupported = || format!("unsupported CEL rule on spec: {message:?}: {text:?}");
    let field = message
        .strip_prefix(REQUIRED_PREFIX)
        .and_then(|rest| rest.strip_suffix(REQUIRED_SUFFIX))
        .ok_or_else(unsupported)?;
    let normalized = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let gate = GATING_POLICIES
        .iter()
        .map(|policy| format!("'{policy}' in self.managementPolicies"))
        .collect::<Vec<_>>()
        .join(" || ");
    let escaped = normalized
        .strip_prefix(&format!("!({gate}) || has(self.forProvider."))
        .and_then(|rest| rest.split_once(')'))
        .filter(|(escaped, rest)| {
            *rest == format!(" || (has(self.initProvider) && has(self.initProvider.{escaped}))")
        })
        .map(|(escaped, _)| escaped)
        .ok_or_else(unsupported)?;
    if cel::unescape(escaped) != field {
        return Err(format!(
            "CEL rule names {escaped:?} but its message names {field:?}: {text:?}"
        ));
    }
    Ok(field.to_owned())
}

/// A copy of an `OpenAPI` v3 schema (a CRD's or an XRD's) prepared for strict
/// validation: object schemas closed to unknown fields and `set` lists
/// unique, as [`validate`] does for the provider CRDs.
pub fn closed_schema(schema: &Value) -> Value {
    let mut closed = schema.clone();
    close(&mut closed);
    closed
}

/// Closes object schemas to unknown fields and makes `set` lists unique
/// (see the module docs), recursively.
fn close(node: &mut Value) {
    let Some(object) = node.as_object_mut() else {
        return;
    };
    let preserves = object.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if object.contains_key("properties")
        && !object.contains_key("additionalProperties")
        && !preserves
    {
        object.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    if object.get("x-kubernetes-list-type").and_then(Value::as_str) == Some("set") {
        object.insert("uniqueItems".to_owned(), Value::Bool(true));
    }
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        properties.values_mut().for_each(close);
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = object.get_mut(key) {
            close(child);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(children)) = object.get_mut(key) {
            children.iter_mut().for_each(close);
        }
    }
}

fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::draft4::options()
        .build(schema)
        .map_err(|error| format!("compiling the schema: {error}"))
}

/// The schema of an object's field `name`: its property's, or else the
/// schema of the object's additional properties.
fn field_schema<'s>(schema: &'s Value, name: &str) -> Option<&'s Value> {
    schema
        .get("properties")
        .and_then(|properties| properties.get(name))
        .or_else(|| {
            schema
                .get("additionalProperties")
                .filter(|values| values.is_object())
        })
}

/// Checks `x-kubernetes-list-type: map` lists: no two items may share the
/// values of the `x-kubernetes-list-map-keys`.
fn list_map_keys(schema: &Value, instance: &Value, path: &str, errors: &mut Vec<String>) {
    match instance {
        Value::Object(fields) => {
            for (name, child) in fields {
                if let Some(child_schema) = field_schema(schema, name) {
                    list_map_keys(child_schema, child, &join(path, name), errors);
                }
            }
        }
        Value::Array(items) => {
            if schema.get("x-kubernetes-list-type").and_then(Value::as_str) == Some("map") {
                let keys: Vec<&str> = schema
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|keys| keys.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut seen = BTreeSet::new();
                for (index, item) in items.iter().enumerate() {
                    let identity: Vec<String> = keys
                        .iter()
                        .map(|key| item.get(key).map(Value::to_string).unwrap_or_default())
                        .collect();
                    if !seen.insert(identity.clone()) {
                        errors.push(format!(
                            "{path}[{index}]: duplicate entry for the list-map keys {keys:?} = {identity:?}"
                        ));
                    }
                }
            }
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter().enumerate() {
                    list_map_keys(item_schema, item, &format!("{path}[{index}]"), errors);
                }
            }
        }
        _ => {}
    }
}

/// Applies the schema's `default`s to absent fields, recursively, as an API
/// server does before it validates.
fn apply_defaults(schema: &Value, instance: &mut Value) {
    match instance {
        Value::Object(fields) => {
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    if let Some(default) = property.get("default") {
                        fields
                            .entry(name.clone())
                            .or_insert_with(|| default.clone());
                    }
                }
            }
            for (name, child) in fields.iter_mut() {
                if let Some(child_schema) = field_schema(schema, name) {
                    apply_defaults(child_schema, child);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    apply_defaults(item_schema, item);
                }
            }
        }
        _ => {}
    }
}

/// Evaluates the CEL rules of every schema node the instance reaches, except
/// transition rules (see the module docs).
fn check_rules(schema: &Value, instance: &Value, path: &str, errors: &mut Vec<String>) {
    let here = if path.is_empty() { "(root)" } else { path };
    for rule in schema
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = rule.get("rule").and_then(Value::as_str).unwrap_or_default();
        let message = rule.get("message").and_then(Value::as_str).unwrap_or(text);
        match cel::Rule::parse(text) {
            Ok(parsed) if parsed.is_transition() => {}
            Ok(parsed) => match parsed.holds(instance) {
                Ok(true) => {}
                Ok(false) => errors.push(format!("{here}: {message} (CEL rule {text:?})")),
                Err(error) => errors.push(format!(
                    "{here}: {message} (CEL rule {text:?} could not be evaluated: {error})"
                )),
            },
            Err(error) => errors.push(format!("{here}: unsupported CEL rule {text:?}: {error}")),
        }
    }
    match instance {
        Value::Object(fields) => {
            for (name, child) in fields {
                if let Some(child_schema) = field_schema(schema, name) {
                    check_rules(child_schema, child, &join(path, name), errors);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter().enumerate() {
                    check_rules(item_schema, item, &format!("{path}[{index}]"), errors);
                }
            }
        }
        _ => {}
    }
}

fn check_metadata(resource: &Value, namespaced: bool, mode: Mode, errors: &mut Vec<String>) {
    let Some(metadata) = resource.get("metadata") else {
        if mode == Mode::Manifest {
            errors.push("metadata.name: an object to apply must be named".to_owned());
        }
        return;
    };
    let Some(metadata) = metadata.as_object() else {
        errors.push(format!("metadata: want an object, got {metadata}"));
        return;
    };
    if mode == Mode::Manifest && !metadata.contains_key("name") {
        errors.push("metadata.name: an object to apply must be named".to_owned());
    }
    for (key, value) in metadata {
        let path = format!("metadata.{key}");
        match key.as_str() {
            "name" if mode == Mode::Desired => errors.push(format!(
                "{path}: a composed resource must not set metadata.name (Crossplane generates \
                 it; use the crossplane.io/external-name annotation to name the cloud resource)"
            )),
            "name" if mode == Mode::Manifest => match value.as_str() {
                Some(name) if dns_subdomain(name) => {}
                _ => errors.push(format!(
                    "{path}: want a DNS subdomain (at most 253 characters of lowercase \
                     letters, digits, '-' and '.'), got {value}"
                )),
            },
            "namespace" if !namespaced => errors.push(format!(
                "{path}: the kind is cluster-scoped, so it takes no namespace"
            )),
            "name" | "namespace" | "generateName" => check_string(value, &path, errors),
            "labels" => check_string_map(value, &path, true, errors),
            "annotations" => check_string_map(value, &path, false, errors),
            "finalizers" | "ownerReferences" => {
                if !value.is_array() {
                    errors.push(format!("{path}: want a list, got {value}"));
                }
            }
            key if SERVER_POPULATED_METADATA.contains(&key) => {
                if mode != Mode::Observed {
                    errors.push(format!(
                        "{path}: only the API server sets this; an object to send must not \
                         carry it (strip it when copying from an observed resource)"
                    ));
                }
            }
            _ => errors.push(format!(
                "{path}: not an ObjectMeta field a composed resource may set (want one of \
                 {CLIENT_METADATA:?})"
            )),
        }
    }
}

fn check_string(value: &Value, path: &str, errors: &mut Vec<String>) {
    if !value.is_string() {
        errors.push(format!("{path}: want a string, got {value}"));
    }
}

fn check_string_map(value: &Value, path: &str, labels: bool, errors: &mut Vec<String>) {
    let Some(map) = value.as_object() else {
        errors.push(format!("{path}: want a map of strings, got {value}"));
        return;
    };
    for (key, value) in map {
        let entry = format!("{path}[{key:?}]");
        if let Err(problem) = qualified_name(key) {
            errors.push(format!("{entry}: invalid key: {problem}"));
        }
        match value.as_str() {
            None => errors.push(format!("{entry}: want a string value, got {value}")),
            Some(text) if labels && !label_value(text) => errors.push(format!(
                "{entry}: invalid label value {text:?}: at most 63 characters of [A-Za-z0-9-_.], \
                 starting and ending with a letter or digit"
            )),
            Some(_) => {}
        }
    }
}

/// A Kubernetes qualified name: an optional DNS subdomain prefix and `/`,
/// then a name of at most 63 characters.
fn qualified_name(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if !dns_subdomain(prefix) {
            return Err(format!("prefix {prefix:?} is not a DNS subdomain"));
        }
    }
    if name.is_empty() || !label_value(name) {
        return Err(format!(
            "name {name:?} is not 1 to 63 characters of [A-Za-z0-9-_.] starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// A DNS subdomain (RFC 1123): at most 253 characters, dot-separated labels
/// of lowercase letters, digits and `-` that start and end with a letter or
/// digit.
fn dns_subdomain(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// A label value: empty, or at most 63 characters of `[A-Za-z0-9-_.]`
/// starting and ending with a letter or digit.
fn label_value(text: &str) -> bool {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (None, _) | (_, None) => true,
        (Some(first), Some(last)) => {
            bytes.len() <= 63
                && first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
        }
    }
}

/// Evaluates the CEL "required parameter" rules (see [`required_parameter`]).
fn check_required_parameters(resource: &Value, version: &Version, errors: &mut Vec<String>) {
    if version.required_parameters.is_empty() {
        return;
    }
    let Some(spec) = resource.get("spec").and_then(Value::as_object) else {
        return; // the schema reports a missing spec
    };
    let policies: Vec<&str> = match spec.get("managementPolicies").and_then(Value::as_array) {
        Some(listed) => listed.iter().filter_map(Value::as_str).collect(),
        None => version
            .default_management_policies
            .iter()
            .map(String::as_str)
            .collect(),
    };
    if !policies
        .iter()
        .any(|policy| GATING_POLICIES.contains(policy))
    {
        return;
    }
    let set_in = |block: &str, field: &str| {
        spec.get(block)
            .and_then(Value::as_object)
            .and_then(|block| block.get(field))
            .is_some_and(|value| !value.is_null())
    };
    for field in &version.required_parameters {
        if !set_in("forProvider", field) && !set_in("initProvider", field) {
            errors.push(format!(
                "spec: spec.forProvider.{field} is a required parameter (CEL rule: set \
                 spec.forProvider.{field} or spec.initProvider.{field} while managementPolicies \
                 contain *, Create or Update; absent, they default to {:?})",
                version.default_management_policies
            ));
        }
    }
}

/// What sets the namespaced (`*.aws.m.upbound.io`) kinds apart.
fn check_namespaced(resource: &Value, errors: &mut Vec<String>) {
    let Some(spec) = resource.get("spec").and_then(Value::as_object) else {
        return;
    };
    if spec.contains_key("deletionPolicy") {
        errors.push(
            "spec.deletionPolicy: namespaced managed resources have no deletionPolicy; \
             orphan through managementPolicies without Delete"
                .to_owned(),
        );
    }
    if let Some(reference) = spec.get("providerConfigRef").and_then(Value::as_object) {
        match reference.get("kind").and_then(Value::as_str) {
            Some(kind) if NAMESPACED_PROVIDER_CONFIG_KINDS.contains(&kind) => {}
            other => errors.push(format!(
                "spec.providerConfigRef.kind: want one of {NAMESPACED_PROVIDER_CONFIG_KINDS:?}, got {other:?}"
            )),
        }
    }
}

/// Appends a field name to a dotted path.
fn join(path: &str, name: &str) -> String {
    let plain = name
        .chars()
        .all(|character| character.is_ascii_alphanumeric() || character == '_');
    match (path.is_empty(), plain) {
        (true, true) => name.to_owned(),
        (false, true) => format!("{path}.{name}"),
        (_, false) => format!("{path}[{name:?}]"),
    }
}

/// Renders a JSON pointer (`/spec/forProvider/tags/0`) as a field path
/// (`spec.forProvider.tags[0]`).
pub fn display_pointer(pointer: &str) -> String {
    let mut path = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|byte| byte.is_ascii_digit()) {
            path.push('[');
            path.push_str(&segment);
            path.push(']');
        } else {
            path = join(&path, &segment);
        }
    }
    if path.is_empty() {
        "(root)".to_owned()
    } else {
        path
    }
}

/// Lists the CRDs the catalog knows, as `Kind.group/version` (for tests that
/// want to prove coverage).
pub fn known_kinds() -> Vec<String> {
    CATALOG
        .as_ref()
        .map(|catalog| {
            catalog
                .kinds
                .iter()
                .flat_map(|((group, kind), crd)| {
                    crd.versions
                        .iter()
                        .filter(|(_, version)| version.served)
                        .map(move |(name, _)| format!("{kind}.{group}/{name}"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Evaluates the transition rules (those naming `oldSelf`) of a schema, an
/// XRD's or a CRD's `openAPIV3Schema`, on an update from `old` to `new`, as
/// an API server does: a rule applies at each object field both versions
/// have, with `self` the new value and `oldSelf` the old one. Lists are not
/// correlated (the project's rules sit on object fields). A rule naming
/// `oldSelf` that [`cel`] cannot evaluate is an error; others are creation
/// rules, which [`validate`] and the packages' tests check.
pub fn check_transitions(schema: &Value, old: &Value, new: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    transitions(schema, old, new, "", &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn transitions(schema: &Value, old: &Value, new: &Value, path: &str, errors: &mut Vec<String>) {
    let here = if path.is_empty() { "(root)" } else { path };
    for rule in schema
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = rule.get("rule").and_then(Value::as_str).unwrap_or_default();
        if !text.contains("oldSelf") {
            continue;
        }
        let message = rule.get("message").and_then(Value::as_str).unwrap_or(text);
        match cel::Rule::parse(text).and_then(|parsed| parsed.holds_on_update(new, old)) {
            Ok(true) => {}
            Ok(false) => errors.push(format!("{here}: {message} (CEL rule {text:?})")),
            Err(error) => errors.push(format!(
                "{here}: {message} (CEL rule {text:?} could not be evaluated: {error})"
            )),
        }
    }
    if let (Value::Object(old_fields), Value::Object(new_fields)) = (old, new) {
        for (name, new_child) in new_fields {
            if let (Some(old_child), Some(child_schema)) =
                (old_fields.get(name), field_schema(schema, name))
            {
                transitions(
                    child_schema,
                    old_child,
                    new_child,
                    &join(path, name),
                    errors,
                );
            }
        }
    }
}
