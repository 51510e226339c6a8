//! The runtime image and the three packages `scripts/build-packages OUT`
//! writes: read back as Crossplane's package manager reads them, built again
//! to the same digests, held to the same facts as the Dockerfile, run from
//! the Function package under `runc` as a pod runs it, and pushed through a
//! registry and pulled back.
//!
//! `FUNCTION_PACKAGES_DIR` names OUT (`.ci/run` builds it and sets it). When
//! it is unset, or a tool is missing, each test prints why it did not run and
//! passes, except under `CI=true`, where that is a failure: CI must run them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::protocol::structs::{json_to_struct, struct_to_json};
use function_eks_pod_identity::protocol::v1::{
    Ready, Resource, RunFunctionRequest, RunFunctionResponse, Severity, State,
};
use serde_json::{json, Map, Value};
use tonic::transport::Endpoint;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::support::crd::yaml_documents;
use crate::support::function::assert_same;

const PACKAGES_DIR: &str = "FUNCTION_PACKAGES_DIR";
const TAG: &str = concat!("v", env!("CARGO_PKG_VERSION"));
const NAME: &str = "function-eks-pod-identity";
/// The layouts the script writes, by the package root each is built from.
const PACKAGES: [(&str, &str); 3] = [
    ("function", "package/function"),
    ("configuration", "package/configuration"),
    ("configuration-v2", "package/configuration-v2"),
];
/// What Crossplane's package manager looks for (crossplane-runtime
/// `pkg/xpkg`: `AnnotationKey`, `PackageAnnotation`, `StreamFile`).
const XPKG_KEY: &str = "io.crossplane.xpkg";
const XPKG_BASE: &str = "base";
const STREAM_FILE: &str = "package.yaml";
/// Where Crossplane mounts a function's server certificates, and the
/// variable that tells the function (its `runtime` package).
const TLS_MOUNT: &str = "/tls/server";
/// The user Crossplane's default `DeploymentRuntimeConfig` runs a package as,
/// whatever the image says.
const CROSSPLANE_USER: u64 = 2000;
/// The largest image the issue allows: what a registry stores and a node
/// pulls, config and compressed layers.
const MAX_IMAGE_BYTES: u64 = 10_000_000;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        || ["/usr/sbin", "/sbin"]
            .iter()
            .any(|dir| Path::new(dir).join(tool).is_file())
}

fn python() -> PathBuf {
    match std::env::var_os("FUNCTION_TEST_PYTHON") {
        Some(path) => PathBuf::from(path),
        None => repo().join("target/py-venv/bin/python"),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// OUT, when the packages are built and `tools` are at hand; otherwise
/// `None`, after saying why, or a failure under CI.
fn packages(test: &str, tools: &[&str]) -> Option<PathBuf> {
    let dir = std::env::var_os(PACKAGES_DIR).map(PathBuf::from);
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|tool| !on_path(tool))
        .collect();
    let reason = match &dir {
        None => Some(format!(
            "{PACKAGES_DIR} is unset; run scripts/build-packages OUT and set it to OUT"
        )),
        Some(dir) if !dir.join("function/index.json").is_file() => Some(format!(
            "{} holds no packages; run scripts/build-packages there",
            dir.display()
        )),
        Some(_) if !missing.is_empty() => Some(format!(
            "missing {} (Debian packages umoci, runc, skopeo, docker-registry)",
            missing.join(", ")
        )),
        Some(_) if tools.contains(&"runc") && !is_root() => Some("runc needs root here".to_owned()),
        Some(_) => None,
    };
    if let Some(reason) = reason {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test} must run in CI: {reason}"
        );
        eprintln!("skipping {test}: {reason}");
        return None;
    }
    dir
}

fn run(command: &mut Command) -> Vec<u8> {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn sha256(path: &Path) -> String {
    let out = run(Command::new("sha256sum").arg(path));
    let hex = String::from_utf8(out).unwrap();
    format!("sha256:{}", hex.split_whitespace().next().unwrap())
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

/// A name no other test of any run on this machine uses at the same time.
fn unique(what: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{NAME}-{what}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl Scratch {
    fn new(what: &str) -> Self {
        let path = std::env::temp_dir().join(unique(what));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One image of an OCI layout, tagged `TAG`, its blobs checked against
/// their digests as a registry client checks them.
struct Image {
    layout: PathBuf,
    manifest_digest: String,
    manifest: Value,
    config: Value,
}

impl Image {
    fn open(layout: &Path) -> Self {
        let index = read_json(&layout.join("index.json"));
        let tagged: Vec<&Value> = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry["annotations"]["org.opencontainers.image.ref.name"] == TAG)
            .collect();
        assert_eq!(
            tagged.len(),
            1,
            "{}: one manifest tagged {TAG}",
            layout.display()
        );
        let manifest_digest = tagged[0]["digest"].as_str().unwrap().to_owned();
        let image = Self {
            layout: layout.to_owned(),
            manifest: Value::Null,
            config: Value::Null,
            manifest_digest,
        };
        let manifest = read_json(&image.blob(&image.manifest_digest));
        let config = read_json(&image.blob(manifest["config"]["digest"].as_str().unwrap()));
        let image = Self {
            manifest,
            config,
            ..image
        };
        for descriptor in std::iter::once(&image.manifest["config"]).chain(image.layers()) {
            let path = image.blob(descriptor["digest"].as_str().unwrap());
            assert_eq!(sha256(&path), descriptor["digest"], "{}", path.display());
            assert_eq!(
                std::fs::metadata(&path).unwrap().len(),
                descriptor["size"].as_u64().unwrap(),
                "{}",
                path.display()
            );
        }
        image
    }

    fn blob(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
        self.layout.join("blobs/sha256").join(hex)
    }

    fn layers(&self) -> &[Value] {
        self.manifest["layers"].as_array().unwrap()
    }

    fn labels(&self) -> &Map<String, Value> {
        self.config["config"]["Labels"].as_object().unwrap()
    }

    /// Config and compressed layers: what a registry stores.
    fn bytes(&self) -> u64 {
        std::iter::once(&self.manifest["config"])
            .chain(self.layers())
            .map(|descriptor| descriptor["size"].as_u64().unwrap())
            .sum()
    }

    /// The layer's entries as `(mode, owner, name)`, as tar lists them.
    fn entries(&self, layer: &Value) -> Vec<(String, String, String)> {
        let listing = run(Command::new("tar")
            .args(["--numeric-owner", "-tvzf"])
            .arg(self.blob(layer["digest"].as_str().unwrap())));
        String::from_utf8(listing)
            .unwrap()
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                (
                    fields[0].to_owned(),
                    fields[1].to_owned(),
                    fields[fields.len() - 1].to_owned(),
                )
            })
            .collect()
    }

    /// The package layer as Crossplane finds it: the one layer the config
    /// labels `io.crossplane.xpkg:<digest>: base`, which must also be the one
    /// layer the manifest annotates `io.crossplane.xpkg: base` (the package
    /// manager reads the annotation; `crossplane xpkg push` makes it from the
    /// label).
    fn package_layer(&self) -> &Value {
        let labelled: Vec<&str> = self
            .labels()
            .iter()
            .filter(|(_, value)| *value == XPKG_BASE)
            .filter_map(|(key, _)| key.strip_prefix(&format!("{XPKG_KEY}:")))
            .collect();
        let annotated: Vec<&Value> = self
            .layers()
            .iter()
            .filter(|layer| layer["annotations"][XPKG_KEY] == XPKG_BASE)
            .collect();
        assert_eq!(
            labelled.len(),
            1,
            "{}: labels {labelled:?}",
            self.layout.display()
        );
        assert_eq!(
            annotated.len(),
            1,
            "{}: {annotated:?}",
            self.layout.display()
        );
        assert_eq!(
            annotated[0]["digest"],
            labelled[0],
            "{}",
            self.layout.display()
        );
        annotated[0]
    }

    /// The documents of `package.yaml`, the package layer's only file.
    fn package_documents(&self) -> Vec<Value> {
        let layer = self.package_layer();
        assert_eq!(
            self.entries(layer),
            [entry("-rw-r--r--", "0/0", STREAM_FILE)],
            "{}",
            self.layout.display()
        );
        let text = run(Command::new("tar")
            .arg("-xzOf")
            .arg(self.blob(layer["digest"].as_str().unwrap()))
            .arg(STREAM_FILE));
        yaml_documents(&String::from_utf8(text).unwrap()).unwrap()
    }
}

/// A layer entry as [`Image::entries`] lists it.
fn entry(mode: &str, owner: &str, name: &str) -> (String, String, String) {
    (mode.to_owned(), owner.to_owned(), name.to_owned())
}

/// The documents of a package root: `crossplane.yaml`, then every other
/// YAML file.
fn source_documents(root: &str) -> Vec<Value> {
    let root = repo().join(root);
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort_by_key(|path| (path.file_name().unwrap() != "crossplane.yaml", path.clone()));
    files
        .iter()
        .flat_map(|file| yaml_documents(&std::fs::read_to_string(file).unwrap()).unwrap())
        .collect()
}

fn kinds(documents: &[Value]) -> Vec<String> {
    documents
        .iter()
        .map(|document| {
            format!(
                "{} {}",
                document["apiVersion"].as_str().unwrap(),
                document["kind"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn the_packages_read_back_as_crossplane_reads_them() {
    let Some(out) = packages("the_packages_read_back_as_crossplane_reads_them", &["tar"]) else {
        return;
    };
    for (layout, root) in PACKAGES {
        let image = Image::open(&out.join(layout));
        let documents = image.package_documents();
        // Everything in the package root, nothing else: Crossplane would
        // install whatever else the stream held.
        assert_same(
            layout,
            "package.yaml holds the package root's documents",
            &Value::Array(source_documents(root)),
            &Value::Array(documents.clone()),
        );
        let mut want_kinds = match layout {
            "function" => vec![
                "meta.pkg.crossplane.io/v1beta1 Function",
                "apiextensions.k8s.io/v1 CustomResourceDefinition",
            ],
            "configuration" => vec![
                "meta.pkg.crossplane.io/v1 Configuration",
                "apiextensions.crossplane.io/v1 Composition",
                "apiextensions.crossplane.io/v1 CompositeResourceDefinition",
            ],
            _ => vec![
                "meta.pkg.crossplane.io/v1 Configuration",
                "apiextensions.crossplane.io/v1 Composition",
                "apiextensions.crossplane.io/v2 CompositeResourceDefinition",
                "apiextensions.crossplane.io/v1alpha1 ManagedResourceActivationPolicy",
            ],
        };
        let mut got_kinds = kinds(&documents);
        got_kinds[1..].sort();
        want_kinds[1..].sort_unstable();
        assert_eq!(got_kinds, want_kinds, "{layout}");
        let meta = &documents[0];
        if layout == "function" {
            assert_eq!(meta["metadata"]["name"], NAME);
            let crd = &documents[1];
            assert_eq!(crd["spec"]["group"], "eks-pod-identity.fn.crossplane.io");
            assert_eq!(crd["spec"]["names"]["kind"], "Input");
            // Every other layer is the runtime image's, unchanged.
            let runtime = Image::open(&out.join("runtime"));
            let (package, rest) = image.layers().split_last().unwrap();
            assert_eq!(package, image.package_layer());
            assert_eq!(rest, runtime.layers(), "the embedded runtime's layers");
            let mut runtime_config = runtime.config.clone();
            let mut function_config = image.config.clone();
            for config in [&mut runtime_config, &mut function_config] {
                let labels = config["config"]["Labels"].as_object_mut().unwrap();
                labels.retain(|key, _| !key.starts_with(XPKG_KEY));
                config.as_object_mut().unwrap().remove("rootfs");
                config.as_object_mut().unwrap().remove("history");
            }
            assert_same(
                layout,
                "the Function package runs as its runtime image does",
                &runtime_config,
                &function_config,
            );
        } else {
            let crossplane = meta["spec"]["crossplane"]["version"].as_str().unwrap();
            assert!(crossplane.starts_with(">=v"), "{layout}: {crossplane}");
            let dependencies: Vec<&str> = meta["spec"]["dependsOn"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|dependency| {
                    dependency["function"]
                        .as_str()
                        .or_else(|| dependency["provider"].as_str())
                })
                .collect();
            assert!(
                dependencies
                    .iter()
                    .any(|package| package.ends_with(&format!("/{NAME}"))),
                "{layout}: {dependencies:?}"
            );
            assert_eq!(image.layers().len(), 1, "{layout}: the package layer only");
        }
    }
}

#[test]
fn the_runtime_image_is_one_static_binary_on_an_empty_base() {
    let Some(out) = packages(
        "the_runtime_image_is_one_static_binary_on_an_empty_base",
        &["tar"],
    ) else {
        return;
    };
    let image = Image::open(&out.join("runtime"));
    let config = &image.config["config"];
    assert_eq!(config["User"], "65532:65532");
    assert_eq!(config["Entrypoint"], json!(["/function"]));
    assert_eq!(config["ExposedPorts"], json!({"9443/tcp": {}}));
    let source = std::fs::read_to_string(repo().join("package/function/crossplane.yaml")).unwrap();
    let source = yaml_documents(&source).unwrap()[0]["metadata"]["annotations"]
        ["meta.crossplane.io/source"]
        .clone();
    assert_same(
        "labels",
        "the OCI labels name the source, version and licence",
        &json!({
            "org.opencontainers.image.title": NAME,
            "org.opencontainers.image.source": source,
            "org.opencontainers.image.version": env!("CARGO_PKG_VERSION"),
            "org.opencontainers.image.licenses": env!("CARGO_PKG_LICENSE"),
        }),
        &Value::Object(image.labels().clone()),
    );
    assert_eq!(image.layers().len(), 1, "an empty base: one layer");
    assert_eq!(
        image.entries(&image.layers()[0]),
        [entry("-rwxr-xr-x", "0/0", "function")]
    );
    assert!(
        image.bytes() < MAX_IMAGE_BYTES,
        "the image weighs {} bytes",
        image.bytes()
    );
}

/// Builds the image and packages again from the binary in OUT's runtime
/// image and the same timestamp: every digest must come out the same.
#[test]
fn a_second_build_gives_the_same_digests() {
    let Some(out) = packages(
        "a_second_build_gives_the_same_digests",
        &["tar", "umoci", "jq"],
    ) else {
        return;
    };
    let runtime = Image::open(&out.join("runtime"));
    let scratch = Scratch::new("rebuild");
    let binary = scratch.0.join("function");
    let contents = run(Command::new("tar")
        .arg("-xzOf")
        .arg(runtime.blob(runtime.layers()[0]["digest"].as_str().unwrap()))
        .arg("function"));
    std::fs::write(&binary, contents).unwrap();
    run(Command::new("chmod").arg("0755").arg(&binary));
    let created = runtime.config["created"].as_str().unwrap();
    let epoch = run(Command::new("date").args(["-u", "-d", created, "+%s"]));
    let epoch = String::from_utf8(epoch).unwrap();
    let again = scratch.0.join("out");
    run(Command::new(repo().join("scripts/build-packages"))
        .arg(&again)
        .env("FUNCTION_BINARY", &binary)
        .env("SOURCE_DATE_EPOCH", epoch.trim()));
    for layout in ["runtime", "function", "configuration", "configuration-v2"] {
        assert_eq!(
            Image::open(&again.join(layout)).manifest_digest,
            Image::open(&out.join(layout)).manifest_digest,
            "{layout}"
        );
    }
}

/// The last stage of the Dockerfile: its base, user, entrypoint, ports and
/// labels, `${ARG}` expanded from the ARG defaults.
fn dockerfile_facts() -> Value {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let mut args = BTreeMap::new();
    let mut facts = Map::new();
    let mut labels = Map::new();
    let mut ports = Map::new();
    for line in text.lines().map(str::trim) {
        let (instruction, rest) = line.split_once(' ').unwrap_or((line, ""));
        match instruction {
            "ARG" => {
                if let Some((name, value)) = rest.split_once('=') {
                    args.insert(name.to_owned(), value.trim_matches('"').to_owned());
                }
            }
            "FROM" => {
                facts = Map::new();
                labels = Map::new();
                ports = Map::new();
                let base = rest.split_whitespace().next().unwrap_or_default();
                facts.insert("base".into(), json!(base));
            }
            "USER" => {
                facts.insert("User".into(), json!(rest));
            }
            "ENTRYPOINT" => {
                facts.insert("Entrypoint".into(), serde_json::from_str(rest).unwrap());
            }
            "EXPOSE" => {
                for port in rest.split_whitespace() {
                    let port = if port.contains('/') {
                        port.to_owned()
                    } else {
                        format!("{port}/tcp")
                    };
                    ports.insert(port, json!({}));
                }
            }
            "LABEL" => {
                let (key, value) = rest.split_once('=').unwrap();
                let value = args.iter().fold(
                    value.trim_matches('"').to_owned(),
                    |text, (name, arg): (&String, &String)| {
                        text.replace(&format!("${{{name}}}"), arg)
                    },
                );
                labels.insert(key.to_owned(), json!(value));
            }
            _ => {}
        }
    }
    facts.insert("ExposedPorts".into(), Value::Object(ports));
    facts.insert("Labels".into(), Value::Object(labels));
    Value::Object(facts)
}

#[test]
fn the_dockerfile_builds_the_image_the_script_builds() {
    let facts = dockerfile_facts();
    // An empty base, as the script's: the binary must be static.
    assert_eq!(facts["base"], "scratch");
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let script = std::fs::read_to_string(repo().join("scripts/build-packages")).unwrap();
    for source in [&dockerfile, &script] {
        assert!(source.contains("-C target-feature=+crt-static"));
    }
    let Some(out) = packages(
        "the_dockerfile_builds_the_image_the_script_builds",
        &["tar"],
    ) else {
        return;
    };
    let config = &Image::open(&out.join("runtime")).config["config"];
    let image = json!({
        "base": "scratch",
        "User": config["User"],
        "Entrypoint": config["Entrypoint"],
        "ExposedPorts": config["ExposedPorts"],
        "Labels": config["Labels"],
    });
    assert_same(
        "Dockerfile",
        "the Dockerfile's image and the script's agree",
        &image,
        &facts,
    );
}

/// How the test runs the function: as the image says, serving plaintext
/// (`--insecure` appended to the entrypoint); or as Crossplane's default
/// runtime does, as user 2000 with the server certificates mounted.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Insecure,
    CrossplaneTls,
}

/// Starts `command` with its stderr read line by line into the receiver,
/// to the end, so that it never writes to a full or closed pipe.
fn spawn_logging(command: &mut Command, what: &str) -> (Child, mpsc::Receiver<String>) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("start {what}: {error}"));
    let (lines, log) = mpsc::channel();
    let pipe = child.stderr.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let _ = lines.send(line);
        }
    });
    (child, log)
}

/// Unpacks the Function package into the bundle `dir` and sets it up to
/// run as `mode` asks, on the host's network, with what it mounts in
/// `scratch`.
fn prepare_bundle(out: &Path, mode: Mode, scratch: &Path, dir: &Path) {
    run(Command::new("umoci")
        .args(["unpack", "--image"])
        .arg(format!("{}:{TAG}", out.join("function").display()))
        .arg(dir));
    let config_path = dir.join("config.json");
    let mut config = read_json(&config_path);
    let process = &mut config["process"];
    assert_eq!(
        process["user"],
        json!({"uid": 65532, "gid": 65532}),
        "the image runs as 65532"
    );
    assert_eq!(process["args"], json!(["/function"]));
    process["terminal"] = json!(false);
    let env = process["env"].as_array_mut().unwrap();
    env.push(json!("FUNCTION_ADDRESS=127.0.0.1:0"));
    env.push(json!("FUNCTION_METRICS_ADDRESS=127.0.0.1:0"));
    match mode {
        Mode::Insecure => process["args"]
            .as_array_mut()
            .unwrap()
            .push(json!("--insecure")),
        Mode::CrossplaneTls => {
            env.push(json!(format!("TLS_SERVER_CERTS_DIR={TLS_MOUNT}")));
            process["user"] = json!({"uid": CROSSPLANE_USER, "gid": CROSSPLANE_USER});
            // A Secret volume: files 0644 in a directory the user can read.
            let certs = scratch.join("certs");
            std::fs::create_dir(&certs).unwrap();
            for file in ["tls.crt", "tls.key", "ca.crt"] {
                std::fs::copy(
                    repo().join("tests/fixtures/tls/server").join(file),
                    certs.join(file),
                )
                .unwrap();
            }
            run(Command::new("chmod").args(["-R", "a+rX"]).arg(scratch));
            config["mounts"].as_array_mut().unwrap().push(json!({
                "destination": TLS_MOUNT,
                "type": "bind",
                "source": certs,
                "options": ["rbind", "ro"],
            }));
        }
    }
    // The host's network: the test dials loopback.
    config["linux"]["namespaces"]
        .as_array_mut()
        .unwrap()
        .retain(|namespace| namespace["type"] != "network");
    std::fs::write(&config_path, serde_json::to_vec(&config).unwrap()).unwrap();
}

/// The Function package unpacked and running under runc on the host's
/// network, its address and metrics address read from its log.
struct Container {
    child: Child,
    id: String,
    addr: SocketAddr,
    metrics: SocketAddr,
    _bundle: Scratch,
}

impl Container {
    fn start(out: &Path, mode: Mode) -> Self {
        let bundle = Scratch::new("bundle");
        let dir = bundle.0.join("bundle");
        prepare_bundle(out, mode, &bundle.0, &dir);
        let id = unique("container");
        let (child, log) = spawn_logging(
            Command::new("runc")
                .args(["run", "--bundle"])
                .arg(&dir)
                .arg(&id),
            "runc",
        );
        // Built before the wait, so that a failed wait still stops runc.
        let unknown = SocketAddr::from(([0, 0, 0, 0], 0));
        let mut container = Self {
            child,
            id,
            addr: unknown,
            metrics: unknown,
            _bundle: bundle,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        while container.addr == unknown || container.metrics == unknown {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = log.recv_timeout(left) else {
                panic!(
                    "no listen addresses logged in time; the log:\n{}",
                    seen.join("\n")
                );
            };
            if let Ok(record) = serde_json::from_str::<Value>(&line) {
                let field = |name: &str| {
                    record["fields"][name]
                        .as_str()
                        .and_then(|text| text.parse::<SocketAddr>().ok())
                };
                if let Some(addr) = field("address") {
                    container.addr = addr;
                }
                if let Some(metrics) = field("metrics_address") {
                    container.metrics = metrics;
                }
            }
            seen.push(line);
        }
        container
    }

    /// SIGTERM to runc, which passes it on to the function, PID 1 of the
    /// container; its exit status, within 10 s.
    fn stop(mut self) -> ExitStatus {
        run(Command::new("kill").args(["-s", "TERM", &self.child.id().to_string()]));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running 10 s after SIGTERM"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // A failed test must leave no container behind.
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = Command::new("runc")
                .args(["kill", &self.id, "KILL"])
                .output();
            let _ = self.child.wait();
        }
        let _ = Command::new("runc")
            .args(["delete", "--force", &self.id])
            .output();
    }
}

fn yaml_file(path: &str) -> Vec<Value> {
    yaml_documents(&std::fs::read_to_string(repo().join(path)).unwrap()).unwrap()
}

/// The request Crossplane sends for the bundled example
/// (`examples/render`): the XR, the observed composed resources by their
/// composition resource name, and the Composition's step input; as
/// protobuf JSON (for the Python client) and as the message.
fn example_request() -> (Value, RunFunctionRequest) {
    let xr = yaml_file("examples/render/xr.yaml").remove(0);
    let observed: Map<String, Value> = yaml_file("examples/render/observed.yaml")
        .into_iter()
        .map(|resource| {
            let name = resource["metadata"]["annotations"]
                ["crossplane.io/composition-resource-name"]
                .as_str()
                .unwrap()
                .to_owned();
            (name, json!({"resource": resource}))
        })
        .collect();
    let composition = yaml_file("examples/render/composition.yaml").remove(0);
    let input = composition["spec"]["pipeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["functionRef"]["name"] == NAME)
        .unwrap()["input"]
        .clone();
    let request = json!({
        "observed": {"composite": {"resource": xr}, "resources": observed},
        "input": input,
    });
    let object = |value: &Value| value.as_object().unwrap().clone();
    let message = RunFunctionRequest {
        observed: Some(State {
            composite: Some(Resource {
                resource: Some(json_to_struct(object(&xr))),
                ..Resource::default()
            }),
            resources: observed
                .iter()
                .map(|(name, resource)| {
                    let resource = Resource {
                        resource: Some(json_to_struct(object(&resource["resource"]))),
                        ..Resource::default()
                    };
                    (name.clone(), resource)
                })
                .collect(),
        }),
        input: Some(json_to_struct(object(&input))),
        ..RunFunctionRequest::default()
    };
    (request, message)
}

/// What `tests/interop/compose.py` prints, made from a response.
fn summary(response: &RunFunctionResponse) -> Value {
    let desired = response.desired.clone().unwrap_or_default();
    let composite = desired
        .composite
        .and_then(|composite| composite.resource)
        .map(|resource| struct_to_json(&resource).unwrap())
        .unwrap_or_default();
    let resources: Map<String, Value> = desired
        .resources
        .iter()
        .map(|(name, resource)| {
            let body = struct_to_json(resource.resource.as_ref().unwrap()).unwrap();
            (name.clone(), Value::Object(body))
        })
        .collect();
    let ready: Map<String, Value> = desired
        .resources
        .iter()
        .map(|(name, resource)| {
            (
                name.clone(),
                json!(resource.ready == i32::from(Ready::True)),
            )
        })
        .collect();
    let results: Vec<Value> = response
        .results
        .iter()
        .map(|result| {
            let severity = Severity::try_from(result.severity).unwrap().as_str_name();
            json!([severity, result.message])
        })
        .collect();
    json!({
        "ttlSeconds": response.meta.as_ref().unwrap().ttl.unwrap().seconds,
        "status": composite.get("status").cloned().unwrap_or_else(|| json!({})),
        "resources": resources,
        "ready": ready,
        "results": results,
    })
}

/// Composes the bundled example through the official Python SDK, and
/// checks the answer is the library's for the same request.
fn compose_with_python(container: &Container, client_dir: Option<&Path>) {
    let (request, message) = example_request();
    let mut command = Command::new(python());
    command
        .arg(repo().join("tests/interop/compose.py"))
        .arg(container.addr.to_string())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = client_dir {
        command.arg("--tls").arg(dir);
    }
    let mut child = command.spawn().expect("run the Python client");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(&request).unwrap())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the Python client failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let got: Value = serde_json::from_slice(&output.stdout).unwrap();
    let want = summary(&Function::new(Duration::from_secs(60)).run(message));
    assert!(
        want["resources"]
            .as_object()
            .is_some_and(|resources| resources.len() >= 4),
        "the example composes the role, its policies and the association: {want}"
    );
    assert_same(
        "examples/render",
        "the function in its image composes what the library composes",
        &want,
        &got,
    );
}

/// `GET /metrics`: the status line and the body.
fn scrape(addr: SocketAddr) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

/// The count of `RunFunction` calls answered OK, as /metrics reports it.
fn calls_answered(body: &str) -> Option<u64> {
    body.lines()
        .filter(|line| line.starts_with("grpc_server_handled_total{"))
        .filter(|line| {
            line.contains("grpc_method=\"RunFunction\"") && line.contains("grpc_code=\"OK\"")
        })
        .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .reduce(|sum, count| sum + count)
}

fn health(addr: SocketAddr) -> BTreeSet<(String, i32)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let channel = Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = HealthClient::new(channel);
        let mut statuses = BTreeSet::new();
        for service in [
            "apiextensions.fn.proto.v1.FunctionRunnerService",
            "apiextensions.fn.proto.v1beta1.FunctionRunnerService",
        ] {
            let answer = client
                .check(HealthCheckRequest {
                    service: service.to_owned(),
                })
                .await
                .unwrap()
                .into_inner();
            statuses.insert((service.to_owned(), answer.status));
        }
        statuses
    })
}

#[test]
fn the_function_runs_from_its_image_in_plaintext() {
    let test = "the_function_runs_from_its_image_in_plaintext";
    let Some(out) = packages(test, &["umoci", "runc"]) else {
        return;
    };
    let container = Container::start(&out, Mode::Insecure);
    assert!(container.addr.ip().is_loopback(), "{}", container.addr);
    let serving = i32::from(ServingStatus::Serving);
    assert_eq!(
        health(container.addr),
        BTreeSet::from([
            (
                "apiextensions.fn.proto.v1.FunctionRunnerService".to_owned(),
                serving
            ),
            (
                "apiextensions.fn.proto.v1beta1.FunctionRunnerService".to_owned(),
                serving
            ),
        ])
    );
    compose_with_python(&container, None);
    let (status, body) = scrape(container.metrics);
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert_eq!(calls_answered(&body), Some(1), "{body}");
    let exit = container.stop();
    assert_eq!(exit.code(), Some(0), "exit after SIGTERM: {exit}");
}

#[test]
fn the_function_runs_from_its_image_with_crossplanes_certificates() {
    let test = "the_function_runs_from_its_image_with_crossplanes_certificates";
    let Some(out) = packages(test, &["umoci", "runc"]) else {
        return;
    };
    let container = Container::start(&out, Mode::CrossplaneTls);
    compose_with_python(&container, Some(&repo().join("tests/fixtures/tls/client")));
    let (status, body) = scrape(container.metrics);
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert_eq!(calls_answered(&body), Some(1), "{body}");
    let exit = container.stop();
    assert_eq!(exit.code(), Some(0), "exit after SIGTERM: {exit}");
}

/// A `docker-registry` on loopback, its storage in a scratch directory.
struct Registry {
    child: Child,
    addr: SocketAddr,
    _storage: Scratch,
}

impl Registry {
    fn start() -> Self {
        let storage = Scratch::new("registry");
        let config = storage.0.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: 127.0.0.1:0\n  secret: test-only\n",
                storage.0.join("blobs").display()
            ),
        )
        .unwrap();
        let (child, log) = spawn_logging(
            Command::new("docker-registry").arg("serve").arg(&config),
            "docker-registry",
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = log
                .recv_timeout(left)
                .expect("the registry logged no address");
            let listening = line
                .split("msg=\"listening on ")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .and_then(|addr| addr.parse().ok());
            if let Some(addr) = listening {
                break addr;
            }
        };
        Self {
            child,
            addr,
            _storage: storage,
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_packages_go_through_a_registry_unchanged() {
    let test = "the_packages_go_through_a_registry_unchanged";
    let Some(out) = packages(test, &["skopeo", "docker-registry"]) else {
        return;
    };
    let registry = Registry::start();
    let pulled = Scratch::new("pulled");
    for layout in ["function", "configuration", "configuration-v2"] {
        let local = Image::open(&out.join(layout));
        let remote = format!("docker://{}/example-org/{layout}:{TAG}", registry.addr);
        run(Command::new("skopeo")
            .args([
                "copy",
                "--quiet",
                "--dest-tls-verify=false",
                "--preserve-digests",
            ])
            .arg(format!("oci:{}:{TAG}", out.join(layout).display()))
            .arg(&remote));
        let raw = run(Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", "--raw"])
            .arg(&remote));
        let manifest_file = pulled.0.join(format!("{layout}.manifest.json"));
        std::fs::write(&manifest_file, raw).unwrap();
        assert_eq!(
            sha256(&manifest_file),
            local.manifest_digest,
            "{layout} in the registry"
        );
        let back = pulled.0.join(layout);
        run(Command::new("skopeo")
            .args([
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                "--preserve-digests",
            ])
            .arg(&remote)
            .arg(format!("oci:{}:{TAG}", back.display())));
        let back = Image::open(&back);
        assert_eq!(
            back.manifest_digest, local.manifest_digest,
            "{layout} pulled back"
        );
        assert_eq!(back.manifest, local.manifest, "{layout}");
        assert_eq!(back.config, local.config, "{layout}");
        // What the package manager reads is intact after the round trip.
        assert_eq!(
            back.package_documents(),
            local.package_documents(),
            "{layout}"
        );
    }
}
