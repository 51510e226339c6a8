//! Which associations and agents the clusters and service accounts make,
//! and under which keys: one association per cluster and service account,
//! keyed by what it is, never by where it sits in a list, and never under a
//! key whose running resource serves something else.
//!
//! EKS fixes an association's cluster, region, namespace and service
//! account at creation, and an add-on's cluster and region; Crossplane
//! never replaces a managed resource, it updates in place what is desired
//! under a key it already has. So a key keeps only the identity its running
//! resource serves: an identity not running anywhere gets a key that no
//! running resource of another identity holds, and Crossplane deletes the
//! old resource and creates the new one.

use std::collections::{BTreeMap, BTreeSet};

use prost_types::value::Kind;
use prost_types::Struct;

use crate::compose::keys;
use crate::params::{Cluster, ClusterTarget, Parameters, ServiceAccount};
use crate::protocol::path::{self, text};
use crate::protocol::v1::Resource;

/// One association to compose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair<'a> {
    /// Its composition resource name.
    pub key: String,
    /// The cluster it goes to.
    pub target: &'a ClusterTarget,
    /// The service account it serves.
    pub account: &'a ServiceAccount,
    /// What fixes it at creation, as [`association_identity`] writes it.
    pub identity: String,
}

/// One agent add-on to compose: one per cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentTarget<'a> {
    /// Its composition resource name.
    pub key: String,
    /// The cluster it goes to.
    pub target: &'a ClusterTarget,
}

/// The associations and agents of one call, each under its key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout<'a> {
    /// The associations: the one under [`keys::ASSOCIATION`] first when
    /// there is one, which the XR's single status fields describe, then the
    /// others in (cluster, region, namespace, name) order.
    pub pairs: Vec<Pair<'a>>,
    /// The agents, sorted by key; empty unless the agent is asked for.
    pub agents: Vec<AgentTarget<'a>>,
}

impl<'a> Layout<'a> {
    /// Keys every association and agent the parameters ask for, keeping
    /// each key whose observed resource serves what is asked under it.
    ///
    /// The keys of a fresh claim are the ones it always had: the least pair
    /// gets [`keys::ASSOCIATION`], its cluster's agent [`keys::AGENT`], the
    /// others keys derived from what they are. Later, whatever is running
    /// keeps its key; an association or agent not running anywhere takes
    /// the Upbound key only when nothing asked for runs under any key and
    /// that key serves nothing else, and otherwise its derived key. So a
    /// claim whose one service account changes moves to a derived key (the
    /// old association is deleted, the new one created) and keeps it.
    #[must_use]
    pub fn new(parameters: &'a Parameters, observed: &BTreeMap<String, Resource>) -> Self {
        let mut targets: Vec<(String, &ClusterTarget)> = parameters
            .clusters
            .iter()
            .map(|target| (target.identity(), target))
            .collect();
        targets.sort_by(|a, b| a.0.cmp(&b.0));
        let mut accounts: Vec<&ServiceAccount> = parameters.service_accounts.iter().collect();
        accounts.sort();

        let mut wanted: Vec<(&String, &ClusterTarget, &ServiceAccount, String)> =
            Vec::with_capacity(targets.len() * accounts.len());
        for (hashed, target) in &targets {
            for account in &accounts {
                wanted.push((
                    hashed,
                    target,
                    account,
                    association_identity(target, account),
                ));
            }
        }
        let identities: Vec<&str> = wanted
            .iter()
            .map(|(.., identity)| identity.as_str())
            .collect();
        let running = running(observed, keys::ASSOCIATION, "assoc-", running_association);
        let pair_keys = assign(
            &identities,
            &running,
            keys::ASSOCIATION,
            0,
            |index, salt| {
                let (hashed, target, account, _) = &wanted[index];
                let readable = format!(
                    "{}-{}-{}",
                    target.readable(),
                    account.namespace,
                    account.name
                );
                let hashed = format!("{hashed}\n{}/{}", account.namespace, account.name);
                keys::association(&readable, &salted(&hashed, salt))
            },
        );
        let mut pairs: Vec<Pair<'a>> = wanted
            .into_iter()
            .zip(pair_keys)
            .map(|((_, target, account, identity), key)| Pair {
                key,
                target,
                account,
                identity,
            })
            .collect();
        if let Some(first) = pairs.iter().position(|pair| pair.key == keys::ASSOCIATION) {
            let pair = pairs.remove(first);
            pairs.insert(0, pair);
        }

        let agents = if parameters.agent.is_some() {
            agents(&targets, pairs.first(), observed)
        } else {
            Vec::new()
        };
        Self { pairs, agents }
    }
}

/// One agent per cluster, keyed like the associations: the cluster of the
/// association under [`keys::ASSOCIATION`] (else the least cluster) is
/// the one that may take [`keys::AGENT`].
fn agents<'a>(
    targets: &[(String, &'a ClusterTarget)],
    first: Option<&Pair<'a>>,
    observed: &BTreeMap<String, Resource>,
) -> Vec<AgentTarget<'a>> {
    let identities: Vec<String> = targets
        .iter()
        .map(|(_, target)| agent_identity(target))
        .collect();
    let borrowed: Vec<&str> = identities.iter().map(String::as_str).collect();
    let preferred = first
        .filter(|pair| pair.key == keys::ASSOCIATION)
        .and_then(|pair| {
            targets
                .iter()
                .position(|(_, target)| *target == pair.target)
        })
        .unwrap_or(0);
    let running = running(observed, keys::AGENT, "agent-", running_agent);
    let agent_keys = assign(
        &borrowed,
        &running,
        keys::AGENT,
        preferred,
        |index, salt| {
            let (hashed, target) = &targets[index];
            keys::agent(target.readable(), &salted(hashed, salt))
        },
    );
    let mut agents: Vec<AgentTarget<'a>> = targets
        .iter()
        .zip(agent_keys)
        .map(|((_, target), key)| AgentTarget { key, target })
        .collect();
    agents.sort_by(|a, b| a.key.cmp(&b.key));
    agents
}

/// The text a derived key hashes: the identity alone, as keys always
/// were, or with a salt when that key is taken.
fn salted(hashed: &str, salt: usize) -> String {
    if salt == 0 {
        hashed.to_owned()
    } else {
        format!("{hashed}\n{salt}")
    }
}

/// What an observed association or agent serves, as identities that
/// compare with what a claim asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serving {
    /// The cluster in the form it was asked for: a selector, else a
    /// reference, else a literal name. The provider writes a selector's
    /// resolution back beside it (`clusterNameRef` and `clusterName`) and a
    /// reference's (`clusterName`), and never resolves a value already set
    /// again, so what was asked is what names the cluster it runs on.
    pub asked: String,
    /// The cluster by the name it runs on, for one asked for by reference
    /// or selector whose name is known: a literal asking for that name asks
    /// for the cluster it already runs on.
    pub by_name: Option<String>,
}

impl Serving {
    /// Whether it serves `identity`, as the layout writes what is asked.
    #[must_use]
    pub fn serves(&self, identity: &str) -> bool {
        self.asked == identity || self.by_name.as_deref() == Some(identity)
    }
}

/// The observed resources that may hold one of these keys (`upbound`, or
/// one starting with `prefix`), each with what it serves; `None` for one
/// whose identity cannot be read, which therefore serves nothing asked for
/// and hands its key to nothing else.
fn running<'o>(
    observed: &'o BTreeMap<String, Resource>,
    upbound: &str,
    prefix: &str,
    identity: fn(&Struct) -> Option<Serving>,
) -> BTreeMap<&'o str, Option<Serving>> {
    observed
        .iter()
        .filter(|(key, _)| key.as_str() == upbound || key.starts_with(prefix))
        .filter_map(|(key, resource)| {
            let body = resource.resource.as_ref()?;
            Some((key.as_str(), identity(body)))
        })
        .collect()
}

/// Gives each wanted identity its key (see [`Layout::new`]): the key of a
/// running resource that serves it in the form it is asked for; else the
/// key of one that runs on the cluster a literal name asks for; else
/// `upbound` for the wanted one at `preferred` when nothing wanted runs and
/// `upbound` is not observed; else `derive(index, 0)`, or `derive(index, n)`
/// for the least `n` whose key no other identity holds. `n log n` in the
/// identities and observed keys.
fn assign(
    wanted: &[&str],
    running: &BTreeMap<&str, Option<Serving>>,
    upbound: &str,
    preferred: usize,
    derive: impl Fn(usize, usize) -> String,
) -> Vec<String> {
    // The Upbound key first, so that it wins when two keys serve the same.
    let ordered: Vec<(&str, &Serving)> = running
        .get_key_value(upbound)
        .into_iter()
        .chain(running.iter().filter(|(key, _)| **key != upbound))
        .filter_map(|(key, serving)| Some((*key, serving.as_ref()?)))
        .collect();
    let mut asked: BTreeMap<&str, &str> = BTreeMap::new();
    let mut by_name: BTreeMap<&str, &str> = BTreeMap::new();
    for (key, serving) in &ordered {
        asked.entry(serving.asked.as_str()).or_insert(key);
        if let Some(name) = &serving.by_name {
            by_name.entry(name.as_str()).or_insert(key);
        }
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut assigned: Vec<Option<String>> = wanted
        .iter()
        .map(|identity| {
            let key = asked.remove(identity)?;
            used.insert(key.to_owned());
            Some(key.to_owned())
        })
        .collect();
    // Only after every exact form has its key: a literal name must not
    // take the key of a selector still asked for that resolved to it.
    for (identity, slot) in wanted.iter().zip(assigned.iter_mut()) {
        if slot.is_some() {
            continue;
        }
        if let Some(key) = by_name.get(identity).filter(|key| !used.contains(**key)) {
            used.insert((*key).to_owned());
            *slot = Some((*key).to_owned());
        }
    }
    let nothing_runs = used.is_empty();
    if nothing_runs && !running.contains_key(upbound) {
        if let Some(slot) = assigned.get_mut(preferred) {
            *slot = Some(upbound.to_owned());
            used.insert(upbound.to_owned());
        }
    }
    let blocked = used.len() + running.len();
    assigned
        .into_iter()
        .enumerate()
        .map(|(index, key)| {
            if let Some(key) = key {
                return key;
            }
            let mut key = derive(index, 0);
            // Each salt changes the hash; at most `blocked` keys are taken.
            for salt in 1..=blocked {
                if !used.contains(&key) && !running.contains_key(key.as_str()) {
                    break;
                }
                key = derive(index, salt);
            }
            used.insert(key.clone());
            key
        })
        .collect()
}

/// What fixes an association at creation (cluster, region, namespace,
/// service account), as text that compares equal exactly when two
/// associations are the same to EKS.
#[must_use]
pub fn association_identity(target: &ClusterTarget, account: &ServiceAccount) -> String {
    identity(&(
        ClusterKey::of(&target.cluster),
        target.region.as_str(),
        &account.namespace,
        &account.name,
    ))
}

/// What fixes an agent add-on at creation: its cluster and region.
fn agent_identity(target: &ClusterTarget) -> String {
    identity(&(ClusterKey::of(&target.cluster), target.region.as_str()))
}

/// An identity's text: its parts as a JSON array, so that no two
/// identities of different parts read the same.
fn identity(parts: &impl serde::Serialize) -> String {
    serde_json::to_string(parts).unwrap_or_default()
}

/// How the cluster is found, as an identity writes it: a JSON array that
/// starts with the form's name. A reference or selector's resolution
/// policy is left out: it changes how the cluster is looked up, not which
/// one it is, and the API server fills in its defaults.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
enum ClusterKey<'a> {
    Name(&'static str, &'a str),
    Reference(&'static str, &'a str, Option<&'a str>),
    Selector(
        &'static str,
        bool,
        BTreeMap<&'a str, &'a str>,
        Option<&'a str>,
    ),
}

impl<'a> ClusterKey<'a> {
    fn of(cluster: &'a Cluster) -> Self {
        match cluster {
            Cluster::Name(name) => Self::name(name),
            Cluster::Reference(reference) => {
                Self::Reference("ref", &reference.name, reference.namespace.as_deref())
            }
            Cluster::Selector(selector) => Self::Selector(
                "selector",
                selector.match_controller_ref.unwrap_or(false),
                selector
                    .match_labels
                    .iter()
                    .flatten()
                    .map(|(key, value)| (key.as_str(), value.as_str()))
                    .collect(),
                selector.namespace.as_deref(),
            ),
        }
    }

    fn name(name: &'a str) -> Self {
        Self::Name("name", name)
    }
}

/// What an observed association serves, as [`association_identity`]
/// writes it: what the provider reports in `status.atProvider`, and what
/// was asked in `spec.forProvider` where it reports nothing.
#[must_use]
pub fn running_association(body: &Struct) -> Option<Serving> {
    let reported = Reported::of(body)?;
    let rest = [
        reported.field("region")?,
        reported.field("namespace")?,
        reported.field("serviceAccount")?,
    ];
    reported.serving(|cluster| identity(&(cluster, rest[0], rest[1], rest[2])))
}

/// What an observed agent add-on serves, as [`agent_identity`] writes it.
fn running_agent(body: &Struct) -> Option<Serving> {
    let reported = Reported::of(body)?;
    let region = reported.field("region")?;
    reported.serving(|cluster| identity(&(cluster, region)))
}

/// What a managed resource reports of itself, and what it was asked for.
struct Reported<'b> {
    asked: &'b Struct,
    at_provider: Option<&'b Struct>,
}

impl<'b> Reported<'b> {
    fn of(body: &'b Struct) -> Option<Self> {
        Some(Self {
            asked: path::object(body, &["spec", "forProvider"])?,
            at_provider: path::object(body, &["status", "atProvider"]),
        })
    }

    /// A field as the provider reports it, else as it was asked for.
    fn field(&self, name: &str) -> Option<&'b str> {
        self.at_provider
            .and_then(|at| text(at, &[name]))
            .or_else(|| text(self.asked, &[name]))
    }

    /// What it serves, each cluster identity completed by `identity`.
    fn serving(&self, identity: impl Fn(ClusterKey<'b>) -> String) -> Option<Serving> {
        let asked = self.cluster()?;
        let by_name = if matches!(asked, ClusterKey::Name(..)) {
            None
        } else {
            self.field("clusterName")
                .map(|name| identity(ClusterKey::name(name)))
        };
        Some(Serving {
            asked: identity(asked),
            by_name,
        })
    }

    /// The cluster, in the form it was asked for (a reference or selector
    /// is read from `forProvider`, where it only ever is). A selector comes
    /// first: the provider writes the reference it resolves to beside it.
    fn cluster(&self) -> Option<ClusterKey<'b>> {
        if let Some(selector) = path::object(self.asked, &["clusterNameSelector"]) {
            let match_controller_ref = match path::get(selector, &["matchControllerRef"]) {
                None => false,
                Some(Kind::BoolValue(value)) => *value,
                Some(_) => return None,
            };
            let mut labels = BTreeMap::new();
            if let Some(listed) = path::object(selector, &["matchLabels"]) {
                for (key, value) in &listed.fields {
                    let Some(Kind::StringValue(value)) = &value.kind else {
                        return None;
                    };
                    labels.insert(key.as_str(), value.as_str());
                }
            }
            return Some(ClusterKey::Selector(
                "selector",
                match_controller_ref,
                labels,
                text(selector, &["namespace"]),
            ));
        }
        if let Some(reference) = path::object(self.asked, &["clusterNameRef"]) {
            return Some(ClusterKey::Reference(
                "ref",
                text(reference, &["name"])?,
                text(reference, &["namespace"]),
            ));
        }
        Some(ClusterKey::name(self.field("clusterName")?))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::{agent_identity, assign, association_identity, Serving};
    use crate::params::aws::Region;
    use crate::params::{
        Cluster, ClusterReference, ClusterSelector, ClusterTarget, ServiceAccount,
    };

    #[test]
    fn identities_are_the_text_derived_keys_were_always_hashed_from() {
        // A derived key hashes its identity, so running XRs keep their keys
        // only while each identity reads exactly as it always did: JSON
        // arrays, compact, labels sorted by key, an absent namespace null.
        let labels = BTreeMap::from([
            ("z".to_owned(), "last".to_owned()),
            ("a\"quoted\"".to_owned(), "first".to_owned()),
        ]);
        let clusters = [
            (Cluster::Name("blue".to_owned()), json!(["name", "blue"])),
            (
                Cluster::Reference(ClusterReference {
                    name: "blue".to_owned(),
                    namespace: None,
                    policy: None,
                }),
                json!(["ref", "blue", null]),
            ),
            (
                Cluster::Selector(ClusterSelector {
                    match_controller_ref: Some(true),
                    match_labels: Some(labels.clone()),
                    namespace: Some("team".to_owned()),
                    policy: None,
                }),
                json!(["selector", true, labels, "team"]),
            ),
            (
                Cluster::Selector(ClusterSelector {
                    match_controller_ref: None,
                    match_labels: None,
                    namespace: None,
                    policy: None,
                }),
                json!(["selector", false, {}, null]),
            ),
        ];
        let account = ServiceAccount {
            namespace: "shop".to_owned(),
            name: "app".to_owned(),
        };
        for (cluster, written) in clusters {
            let target = ClusterTarget {
                cluster,
                region: Region::parse("us-west-2").expect("a region"),
            };
            assert_eq!(
                association_identity(&target, &account),
                json!([written, "us-west-2", "shop", "app"]).to_string()
            );
            assert_eq!(
                agent_identity(&target),
                json!([written, "us-west-2"]).to_string()
            );
        }
    }

    /// Each key with the identity it serves as asked, and after a `/` the
    /// one by the name it runs on: `"sel/n"`.
    fn running(
        entries: &[(&'static str, Option<&str>)],
    ) -> BTreeMap<&'static str, Option<Serving>> {
        entries
            .iter()
            .map(|(key, identity)| {
                let serving = identity.map(|identity| {
                    let (asked, by_name) = identity
                        .split_once('/')
                        .map_or((identity, None), |(asked, name)| (asked, Some(name)));
                    Serving {
                        asked: asked.to_owned(),
                        by_name: by_name.map(str::to_owned),
                    }
                });
                (*key, serving)
            })
            .collect()
    }

    fn derive(index: usize, salt: usize) -> String {
        format!("d-{index}-{salt}")
    }

    #[test]
    fn keys_follow_what_runs() {
        struct Case {
            name: &'static str,
            wanted: &'static [&'static str],
            running: &'static [(&'static str, Option<&'static str>)],
            want: &'static [&'static str],
        }
        let cases = [
            Case {
                name: "fresh: the least takes the Upbound key",
                wanted: &["a", "b"],
                running: &[],
                want: &["up", "d-1-0"],
            },
            Case {
                name: "running keep their keys, wherever they are",
                wanted: &["a", "b"],
                running: &[("up", Some("b")), ("d-0-0", Some("a"))],
                want: &["d-0-0", "up"],
            },
            Case {
                name: "the Upbound key serving another: the new one is derived",
                wanted: &["b"],
                running: &[("up", Some("a"))],
                want: &["d-0-0"],
            },
            Case {
                name: "something runs: the new one is derived even with the Upbound key free",
                wanted: &["a", "b"],
                running: &[("d-1-0", Some("b"))],
                want: &["d-0-0", "d-1-0"],
            },
            Case {
                name: "an unreadable Upbound key is not reused",
                wanted: &["a"],
                running: &[("up", None)],
                want: &["d-0-0"],
            },
            Case {
                name: "a derived key serving another identity is salted away",
                wanted: &["a", "b"],
                running: &[("up", Some("b")), ("d-0-0", Some("z"))],
                want: &["d-0-1", "up"],
            },
            Case {
                name: "a selector resolved to n: asked the same way, it keeps its key",
                wanted: &["sel"],
                running: &[("up", Some("sel/n"))],
                want: &["up"],
            },
            Case {
                name: "a literal naming the cluster a selector resolved to keeps its key",
                wanted: &["n"],
                running: &[("up", Some("sel/n"))],
                want: &["up"],
            },
            Case {
                name: "another selector is another cluster, even with the same name resolved",
                wanted: &["sel2"],
                running: &[("up", Some("sel/n"))],
                want: &["d-0-0"],
            },
            Case {
                name: "a selector still asked for keeps its key before a literal of its name",
                wanted: &["n", "sel"],
                running: &[("up", Some("sel/n"))],
                want: &["d-0-0", "up"],
            },
            Case {
                name: "a literal running keeps its key before a resolved one of that name",
                wanted: &["n"],
                running: &[("up", Some("sel/n")), ("d-0-0", Some("n"))],
                want: &["d-0-0"],
            },
            Case {
                name: "two keys serving one identity: the Upbound key wins",
                wanted: &["a"],
                running: &[("d-0-0", Some("a")), ("up", Some("a"))],
                want: &["up"],
            },
        ];
        for case in cases {
            let got = assign(case.wanted, &running(case.running), "up", 0, derive);
            assert_eq!(got, case.want, "{}", case.name);
        }
    }
}
