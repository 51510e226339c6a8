//! The catalogue's records, read from its text format: by the library for
//! any text, and by `build.rs` for the vendored file, whose records it
//! embeds.
//!
//! May import: `std` only. `build.rs` compiles this file too, so that the
//! records it embeds are the ones the library's own reader makes.
//!
//! Records name their text by [`Span`], an offset into the catalogue text,
//! never by reference: a table of spans is plain data, so the embedded
//! tables stay in the binary's read-only pages, untouched until read,
//! instead of being copied to the heap or relocated at startup.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

/// What an action may do, as the service authorization reference classes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLevel {
    /// Lists resources.
    List,
    /// Reads resources or their data.
    Read,
    /// Creates, changes or deletes resources.
    Write,
    /// Grants or changes permissions (policies, roles, grants).
    PermissionsManagement,
    /// Changes tags only.
    Tagging,
}

impl AccessLevel {
    /// Every level, in the reference's order.
    pub const ALL: [Self; 5] = [
        Self::List,
        Self::Read,
        Self::Write,
        Self::PermissionsManagement,
        Self::Tagging,
    ];

    /// The level as AWS writes it: `List`, `Read`, `Write`,
    /// `Permissions management`, `Tagging`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::List => "List",
            Self::Read => "Read",
            Self::Write => "Write",
            Self::PermissionsManagement => "Permissions management",
            Self::Tagging => "Tagging",
        }
    }

    /// The level AWS writes as `text`, exactly.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.as_str() == text)
    }

    /// The level of a catalogue line's one-letter code.
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            b'L' => Self::List,
            b'R' => Self::Read,
            b'W' => Self::Write,
            b'P' => Self::PermissionsManagement,
            b'T' => Self::Tagging,
            _ => return None,
        })
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A piece of the catalogue text: its byte offset and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub at: u32,
    pub len: u16,
}

impl Span {
    /// The span of `part`, a slice of `text`, if it fits the record.
    fn of(text: &str, part: &str) -> Option<Self> {
        let at = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        Some(Self {
            at: u32::try_from(at).ok()?,
            len: u16::try_from(part.len()).ok()?,
        })
    }

    /// Its text in `text`; empty if it does not lie within it.
    #[must_use]
    pub fn read(self, text: &str) -> &str {
        let at = self.at as usize;
        text.get(at..at + usize::from(self.len)).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceEntry {
    pub prefix: Span,
    /// Its actions, resource types and keys: ranges of their tables.
    pub actions: (u32, u32),
    pub resources: (u32, u32),
    pub keys: (u32, u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionEntry {
    pub name: Span,
    /// Where its resource types start in `resource_refs`.
    pub refs_start: u32,
    pub service: u16,
    pub level: AccessLevel,
    pub refs_len: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceEntry {
    pub name: Span,
    /// Its ARN formats, tab-separated.
    pub formats: Span,
    /// Those of its ARN formats that have an ARN's six fields: a range
    /// of `formats`.
    pub format_entries: (u32, u32),
}

/// One ARN format, with the places of the parts the ARN index compares,
/// so that finding them takes no scan of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatEntry {
    pub format: Span,
    /// Its service field: offset in the format and length.
    pub service: (u16, u16),
    /// The literal start of its resource part, before its first `${`:
    /// offset in the format and length.
    pub start: (u16, u16),
}

impl FormatEntry {
    /// The entry of `format`, a slice of `text`, if it has an ARN's six
    /// fields and fits the record.
    pub fn of(text: &str, format: &str) -> Option<Self> {
        let mut fields = format.splitn(6, ':');
        let (Some(service), Some(resource)) = (fields.nth(2), fields.nth(2)) else {
            return None;
        };
        let start = resource.find("${").map_or(resource, |at| &resource[..at]);
        let place = |part: &str| {
            let at = (part.as_ptr() as usize).checked_sub(format.as_ptr() as usize)?;
            Some((u16::try_from(at).ok()?, u16::try_from(part.len()).ok()?))
        };
        Some(Self {
            format: Span::of(text, format)?,
            service: place(service)?,
            start: place(start)?,
        })
    }
}

/// A condition key, and whether it holds several values in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEntry {
    pub key: Span,
    pub multivalued: bool,
}

/// Every record of one catalogue text, borrowed when embedded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tables {
    pub services: Cow<'static, [ServiceEntry]>,
    pub actions: Cow<'static, [ActionEntry]>,
    pub resources: Cow<'static, [ResourceEntry]>,
    /// Every resource type's ARN formats, in resource type order.
    pub formats: Cow<'static, [FormatEntry]>,
    /// Each action's resource types, by number, one run per action.
    pub resource_refs: Cow<'static, [u16]>,
    pub keys: Cow<'static, [KeyEntry]>,
    pub globals: Cow<'static, [KeyEntry]>,
    /// Lines that could not be read; the test of the data file wants none.
    pub rejected: usize,
}

/// Compares ASCII text without case, as IAM compares prefixes and actions.
#[must_use]
pub fn cmp_folded(one: &str, other: &str) -> Ordering {
    let (one, other) = (one.as_bytes(), other.as_bytes());
    for (a, b) in one.iter().zip(other) {
        match a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
    }
    one.len().cmp(&other.len())
}

/// The lines of a text, split with one scan of its bytes.
pub struct Lines<'t> {
    pub text: &'t str,
    pub at: usize,
}

impl<'t> Iterator for Lines<'t> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        let rest = self.text.get(self.at..).filter(|rest| !rest.is_empty())?;
        let length = rest
            .bytes()
            .position(|byte| byte == b'\n')
            .unwrap_or(rest.len());
        self.at += length + 1;
        // '\n' is ASCII: the cut is on a character boundary.
        Some(&rest[..length])
    }
}

/// The tables being read, owned.
#[derive(Default)]
struct Reader<'t> {
    text: &'t str,
    services: Vec<ServiceEntry>,
    actions: Vec<ActionEntry>,
    resources: Vec<ResourceEntry>,
    formats: Vec<FormatEntry>,
    resource_refs: Vec<u16>,
    keys: Vec<KeyEntry>,
    globals: Vec<KeyEntry>,
    rejected: usize,
}

impl Tables {
    /// Reads the catalogue format (see `scripts/update-iam-data`): the
    /// records of every line but the first, the header, whose counts size
    /// the tables. Lines it cannot read are counted and skipped, never a
    /// panic.
    #[must_use]
    pub fn read(text: &str) -> Self {
        let header = text.lines().next().unwrap_or_default();
        let count = |name: &str| {
            header
                .split(' ')
                .filter_map(|word| word.split_once('='))
                .find(|(field, _)| *field == name)
                .and_then(|(_, value)| value.parse::<usize>().ok())
                .unwrap_or_default()
        };
        let mut reader = Reader {
            text,
            ..Reader::default()
        };
        reader.services.reserve(count("services"));
        reader.actions.reserve(count("actions"));
        reader.resources.reserve(count("resources"));
        // Per-service resource numbers are made global as they are read.
        for line in (Lines { text, at: 0 }).skip(1) {
            if !reader.read_line(line) {
                reader.rejected += 1;
            }
        }
        // The script writes services and actions sorted (a test checks
        // it). Actions out of order are sorted here rather than searched
        // wrong; services cannot be, since actions refer to them by number.
        let Reader {
            services, actions, ..
        } = &mut reader;
        let name = |action: &ActionEntry| action.name.read(text);
        for service in services.iter() {
            let (start, end) = service.actions;
            if let Some(slice) = actions.get_mut(start as usize..end as usize) {
                if !slice.is_sorted_by(|one, other| cmp_folded(name(one), name(other)).is_le()) {
                    slice.sort_by(|one, other| cmp_folded(name(one), name(other)));
                }
            }
        }
        Self {
            services: Cow::Owned(reader.services),
            actions: Cow::Owned(reader.actions),
            resources: Cow::Owned(reader.resources),
            formats: Cow::Owned(reader.formats),
            resource_refs: Cow::Owned(reader.resource_refs),
            keys: Cow::Owned(reader.keys),
            globals: Cow::Owned(reader.globals),
            rejected: reader.rejected,
        }
    }
}

impl Reader<'_> {
    fn span(&self, part: &str) -> Option<Span> {
        Span::of(self.text, part)
    }

    /// A key line's record (`KEY` or `KEY<TAB>multi`).
    fn key(&self, text: &str) -> Option<KeyEntry> {
        let (key, multivalued) = match text.split_once('\t') {
            Some((key, flag)) => (key, flag == "multi"),
            None => (text, false),
        };
        Some(KeyEntry {
            key: self.span(key)?,
            multivalued,
        })
    }

    fn read_line(&mut self, line: &str) -> bool {
        let Some(first) = line.bytes().next() else {
            return true;
        };
        match first {
            b'!' => {
                let Some(key) = self.key(&line[1..]) else {
                    return false;
                };
                self.globals.push(key);
            }
            b'@' => {
                let Some(prefix) = self.span(&line[1..]) else {
                    return false;
                };
                let at = |length: usize| u32::try_from(length).unwrap_or(u32::MAX);
                let (actions, resources, keys) = (
                    at(self.actions.len()),
                    at(self.resources.len()),
                    at(self.keys.len()),
                );
                self.services.push(ServiceEntry {
                    prefix,
                    actions: (actions, actions),
                    resources: (resources, resources),
                    keys: (keys, keys),
                });
            }
            b'&' => {
                if self.services.is_empty() {
                    return false;
                }
                let Some((name, formats)) = line[1..].split_once('\t') else {
                    return false;
                };
                let (Some(name), Some(span)) = (self.span(name), self.span(formats)) else {
                    return false;
                };
                let at = |length: usize| u32::try_from(length).unwrap_or(u32::MAX);
                let first = at(self.formats.len());
                let text = self.text;
                self.formats.extend(
                    formats
                        .split('\t')
                        .filter_map(|format| FormatEntry::of(text, format)),
                );
                self.resources.push(ResourceEntry {
                    name,
                    formats: span,
                    format_entries: (first, at(self.formats.len())),
                });
                if let Some(service) = self.services.last_mut() {
                    service.resources.1 += 1;
                }
            }
            b'?' => {
                if self.services.is_empty() {
                    return false;
                }
                let Some(key) = self.key(&line[1..]) else {
                    return false;
                };
                self.keys.push(key);
                if let Some(service) = self.services.last_mut() {
                    service.keys.1 += 1;
                }
            }
            _ => return self.read_action(line),
        }
        true
    }

    fn read_action(&mut self, line: &str) -> bool {
        let Some(service_index) = self.services.len().checked_sub(1) else {
            return false;
        };
        let Ok(service) = u16::try_from(service_index) else {
            return false;
        };
        // Read byte by byte: this runs 22,000 times.
        let bytes = line.as_bytes();
        let Some(space) = bytes.iter().position(|byte| *byte == b' ') else {
            return false;
        };
        let Some(name) = self.span(&line[..space]) else {
            return false;
        };
        let Some(level) = bytes
            .get(space + 1)
            .copied()
            .and_then(AccessLevel::from_code)
        else {
            return false;
        };
        let entry = self.services[service_index];
        let refs_start = u32::try_from(self.resource_refs.len()).unwrap_or(u32::MAX);
        let mut refs_len = 0u8;
        let mut number: Option<u32> = None;
        // A trailing comma ends the last number.
        for byte in bytes[space + 2..].iter().copied().chain([b',']) {
            match (byte, number) {
                (b'0'..=b'9', _) => {
                    let digit = u32::from(byte - b'0');
                    number = number
                        .unwrap_or(0)
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(digit));
                    if number.is_none() {
                        return false;
                    }
                }
                (b',', Some(read)) => {
                    let global = entry.resources.0 + read;
                    let fits = global < entry.resources.1;
                    let (Ok(global), true) = (u16::try_from(global), fits) else {
                        return false;
                    };
                    self.resource_refs.push(global);
                    refs_len = refs_len.saturating_add(1);
                    number = None;
                }
                (b',', None) if refs_len == 0 => {}
                _ => return false,
            }
        }
        self.actions.push(ActionEntry {
            name,
            refs_start,
            service,
            level,
            refs_len,
        });
        if let Some(service) = self.services.last_mut() {
            service.actions.1 += 1;
        }
        true
    }
}
