//! Bounds how deep a message nests on the wire, measured without
//! recursion, before prost (which recurses once per level) decodes it.
//!
//! Every level a decoder can recurse into counts: the known message fields
//! of every message type (read off the protocol's descriptors, so no type is
//! forgotten), and groups (wire types 3 and 4), which prost skips
//! recursively even in unknown fields. Unknown length-delimited fields are
//! skipped whole by prost, so they are skipped here too. Go's decoder, and so
//! Crossplane, stops at [`MAX_NESTING`] levels of messages and groups alike.

use std::collections::HashMap;

use prost::Message;
use prost_types::field_descriptor_proto::Type;
use prost_types::{DescriptorProto, FileDescriptorSet};

/// The deepest nesting accepted: Go's protobuf default recursion limit,
/// which bounds what Crossplane can marshal in the first place.
pub const MAX_NESTING: usize = 10_000;

/// Which fields of each message type hold a message, and of which type.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// For each message type, its message fields: `(field number, type)`.
    children: Vec<Vec<(u64, usize)>>,
    /// Message types by full name, as `.package.Message`.
    by_name: HashMap<String, usize>,
}

/// Why a message's nesting is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NestingError {
    /// The message nests deeper than the limit allows.
    #[error("message nests deeper than {0} levels")]
    TooDeep(usize),
    /// The root type is not in the schema.
    #[error("no message type {0:?} in the protocol's descriptors")]
    UnknownType(&'static str),
}

impl Schema {
    /// Reads the message types of an encoded `FileDescriptorSet`.
    pub fn from_descriptor_set(encoded: &[u8]) -> Result<Self, prost::DecodeError> {
        let set = FileDescriptorSet::decode(encoded)?;
        let mut named: Vec<(String, &DescriptorProto)> = Vec::new();
        for file in &set.file {
            let package = file.package();
            let prefix = if package.is_empty() {
                String::new()
            } else {
                format!(".{package}")
            };
            collect(&prefix, &file.message_type, &mut named);
        }
        let by_name: HashMap<String, usize> = named
            .iter()
            .enumerate()
            .map(|(index, (name, _))| (name.clone(), index))
            .collect();
        let children = named
            .iter()
            .map(|(_, message)| {
                message
                    .field
                    .iter()
                    .filter(|field| matches!(field.r#type(), Type::Message | Type::Group))
                    .filter_map(|field| {
                        let child = by_name.get(field.type_name())?;
                        Some((u64::try_from(field.number()).ok()?, *child))
                    })
                    .collect()
            })
            .collect();
        Ok(Self { children, by_name })
    }

    fn child(&self, message: usize, field: u64) -> Option<usize> {
        self.children
            .get(message)?
            .iter()
            .find_map(|&(number, child)| (number == field).then_some(child))
    }

    /// Checks that `bytes`, an encoded `root`, nests no deeper than `limit`.
    ///
    /// Bytes that are not well-formed pass: the decoder refuses them itself,
    /// at the latest where this walk stopped, and never deeper than what the
    /// walk measured before that point.
    pub fn check(
        &self,
        bytes: &[u8],
        root: &'static str,
        limit: usize,
    ) -> Result<(), NestingError> {
        let root = *self
            .by_name
            .get(root)
            .ok_or(NestingError::UnknownType(root))?;
        match walk(self, bytes, root, limit, Walk::OnlyWhatCouldPass) {
            Err(Stop::TooDeep) => Err(NestingError::TooDeep(limit)),
            Ok(()) | Err(Stop::Malformed) => Ok(()),
        }
    }

    /// The exact nesting depth of `bytes` as an encoded `root`, or `None`
    /// when they are not well-formed or `root` is unknown: the least limit
    /// they pass. For tests and tools: it walks everything, several times.
    #[must_use]
    pub fn depth(&self, bytes: &[u8], root: &'static str) -> Option<usize> {
        let root = *self.by_name.get(root)?;
        let (mut low, mut high) = (1, bytes.len() + 1);
        if matches!(
            walk(self, bytes, root, high, Walk::Everything),
            Err(Stop::Malformed)
        ) {
            return None;
        }
        while low < high {
            let middle = low + (high - low) / 2;
            match walk(self, bytes, root, middle, Walk::Everything) {
                Ok(()) => high = middle,
                Err(_) => low = middle + 1,
            }
        }
        Some(low)
    }
}

fn collect<'a>(
    prefix: &str,
    messages: &'a [DescriptorProto],
    into: &mut Vec<(String, &'a DescriptorProto)>,
) {
    for message in messages {
        let name = format!("{prefix}.{}", message.name());
        collect(&name, &message.nested_type, into);
        into.push((name, message));
    }
}

enum Stop {
    TooDeep,
    Malformed,
}

/// One level open in the walk, with the offset where its enclosing
/// message ends: nothing inside may run past it.
#[derive(Clone, Copy)]
struct Open {
    kind: Level,
    end: usize,
}

#[derive(Clone, Copy)]
enum Level {
    /// A message of a known type.
    Message(usize),
    /// A group, closed by an end-group tag of the same field number. Its
    /// fields are unknown to the decoder, which only skips them.
    Group(u64),
}

/// How much of a message [`walk`] walks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// Every level, to measure exactly.
    Everything,
    /// Only what could pass the limit: below any level, each further level
    /// costs at least two bytes (a tag and a length, or a group's start and
    /// end tags), so a message of `n` bytes at depth `d` cannot nest past
    /// `d + n / 2`. An everyday request is not walked at all.
    OnlyWhatCouldPass,
}

fn walk(schema: &Schema, bytes: &[u8], root: usize, limit: usize, how: Walk) -> Result<(), Stop> {
    let cannot_pass = |depth: usize, length: usize| {
        how == Walk::OnlyWhatCouldPass && depth.saturating_add(length / 2) <= limit
    };
    if cannot_pass(1, bytes.len()) {
        return Ok(());
    }
    let mut open = vec![Open {
        kind: Level::Message(root),
        end: bytes.len(),
    }];
    let mut at = 0;
    while let Some(&Open { kind, end }) = open.last() {
        if at == end {
            match kind {
                Level::Message(_) => {
                    open.pop();
                    continue;
                }
                // The message ends inside a group it opened.
                Level::Group(_) => return Err(Stop::Malformed),
            }
        }
        let within = &bytes[..end];
        let key = read_varint(within, &mut at)?;
        let field = key >> 3;
        match key & 7 {
            0 => {
                read_varint(within, &mut at)?;
            }
            1 => at = skip(within, at, 8)?,
            5 => at = skip(within, at, 4)?,
            2 => {
                let length = read_varint(within, &mut at)?;
                let length = usize::try_from(length).map_err(|_| Stop::Malformed)?;
                let inner_end = skip(within, at, length)?;
                let child = match kind {
                    Level::Message(message) => schema.child(message, field),
                    Level::Group(_) => None,
                };
                match child {
                    Some(child) if !cannot_pass(open.len() + 1, length) => open.push(Open {
                        kind: Level::Message(child),
                        end: inner_end,
                    }),
                    _ => at = inner_end,
                }
            }
            3 => open.push(Open {
                kind: Level::Group(field),
                end,
            }),
            4 => match kind {
                Level::Group(started) if started == field => {
                    open.pop();
                }
                _ => return Err(Stop::Malformed),
            },
            _ => return Err(Stop::Malformed),
        }
        if open.len() > limit {
            return Err(Stop::TooDeep);
        }
    }
    Ok(())
}

fn skip(bytes: &[u8], at: usize, length: usize) -> Result<usize, Stop> {
    at.checked_add(length)
        .filter(|&next| next <= bytes.len())
        .ok_or(Stop::Malformed)
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Result<u64, Stop> {
    let mut value = 0_u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at).ok_or(Stop::Malformed)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(Stop::Malformed)
}

#[cfg(test)]
mod tests {
    use super::{Schema, MAX_NESTING};
    use crate::protocol::{FILE_DESCRIPTOR_SET, REQUEST_TYPE};

    fn schema() -> Schema {
        Schema::from_descriptor_set(FILE_DESCRIPTOR_SET).unwrap()
    }

    fn varint(mut value: usize, out: &mut Vec<u8>) {
        while value >= 0x80 {
            // Low seven bits with the continuation flag; the cast keeps them.
            #[allow(clippy::cast_possible_truncation)]
            out.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        #[allow(clippy::cast_possible_truncation)]
        out.push(value as u8);
    }

    fn wrap(tag: u8, inner: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        varint(inner.len(), &mut out);
        out.extend_from_slice(inner);
        out
    }

    /// A request whose `desired.composite` holds `value` (an encoded
    /// `Value`): `request > State > Resource > Struct > entry > value`.
    fn holding(value: &[u8]) -> Vec<u8> {
        let entry = wrap(0x12, value);
        let object = wrap(0x0a, &entry);
        let resource = wrap(0x0a, &object);
        let state = wrap(0x0a, &resource);
        wrap(0x1a, &state)
    }

    /// The densest encoding of `lists` nested lists in `desired.composite`:
    /// `... > Value > (ListValue > Value)*`.
    fn densest(lists: usize) -> Vec<u8> {
        let mut value = Vec::new();
        for _ in 0..lists {
            value = wrap(0x32, &wrap(0x0a, &value));
        }
        holding(&value)
    }

    /// `groups` nested unknown groups (field 15) inside `RequestMeta`.
    fn groups_in_meta(groups: usize) -> Vec<u8> {
        let mut inner = Vec::with_capacity(2 * groups);
        inner.extend(std::iter::repeat_n(0x7b, groups)); // field 15, start group
        inner.extend(std::iter::repeat_n(0x7c, groups)); // field 15, end group
        wrap(0x0a, &inner)
    }

    #[test]
    fn every_level_costs_at_least_two_bytes() {
        let schema = schema();
        for lists in [0, 1, 10, 100, 1000, 4994, 4995, 6000] {
            let bytes = densest(lists);
            let depth = schema.depth(&bytes, REQUEST_TYPE).unwrap();
            assert_eq!(depth, 6 + 2 * lists, "{lists} lists");
            assert!(bytes.len() >= 2 * (depth - 1), "{lists} lists");
            assert_eq!(
                schema.check(&bytes, REQUEST_TYPE, MAX_NESTING).is_ok(),
                depth <= MAX_NESTING,
                "{lists} lists"
            );
        }
    }

    #[test]
    fn unknown_groups_count_as_levels_whatever_the_size() {
        let schema = schema();
        // The request, RequestMeta, then the groups.
        for groups in [1, 10, 9_997, 9_998, 9_999, 300_000] {
            let bytes = groups_in_meta(groups);
            assert_eq!(schema.depth(&bytes, REQUEST_TYPE), Some(2 + groups));
            assert_eq!(
                schema.check(&bytes, REQUEST_TYPE, MAX_NESTING).is_ok(),
                2 + groups <= MAX_NESTING,
                "{groups} groups"
            );
        }
        // The same groups inside a desired resource's connection details
        // (an unknown field of the map entry's value is skipped whole, but a
        // group in the entry itself is walked).
        let mut entry = vec![0x0a, 0x01, b'k'];
        entry.extend(std::iter::repeat_n(0x7b, MAX_NESTING));
        entry.extend(std::iter::repeat_n(0x7c, MAX_NESTING));
        let resource = wrap(0x12, &entry);
        let state_entry = [wrap(0x0a, b"r"), wrap(0x12, &resource)].concat();
        let bytes = wrap(0x1a, &wrap(0x12, &state_entry));
        assert!(schema.check(&bytes, REQUEST_TYPE, MAX_NESTING).is_err());
    }

    #[test]
    fn malformed_groups_are_left_to_the_decoder() {
        let schema = schema();
        // An end without a start, a start never ended, mismatched numbers.
        for inner in [vec![0x7c], vec![0x7b], vec![0x7b, 0x84, 0x01]] {
            let bytes = wrap(0x0a, &inner);
            assert_eq!(schema.depth(&bytes, REQUEST_TYPE), None);
            assert!(schema.check(&bytes, REQUEST_TYPE, 3).is_ok());
        }
    }

    /// An encoded `Value`: lists, strings and groups, shaped by `seed`, up
    /// to `levels` deep.
    fn tree(seed: &mut u64, levels: usize) -> Vec<u8> {
        // A linear congruential generator: enough variety, no dependency.
        *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let roll = *seed >> 33;
        if levels == 0 || roll.is_multiple_of(4) {
            let text = vec![b'x'; usize::try_from(roll % 40).unwrap_or_default()];
            return wrap(0x1a, &text);
        }
        let mut items = Vec::new();
        for _ in 0..=roll % 3 {
            if roll % 5 == 1 {
                // An unknown group (field 9) holding a few more groups.
                let nested = usize::try_from(roll % 7).unwrap_or_default() + 1;
                items.extend(std::iter::repeat_n(0x4b, nested));
                items.extend(std::iter::repeat_n(0x4c, nested));
            }
            items.extend(wrap(0x0a, &tree(seed, levels - 1)));
        }
        wrap(0x32, &items)
    }

    #[test]
    fn skipping_what_cannot_be_too_deep_keeps_every_verdict() {
        let schema = schema();
        let mut seed = 7;
        for _ in 0..300 {
            let bytes = holding(&tree(&mut seed, 12));
            let exact = schema.depth(&bytes, REQUEST_TYPE).unwrap();
            for limit in 1..=exact + 2 {
                assert_eq!(
                    schema.check(&bytes, REQUEST_TYPE, limit).is_ok(),
                    exact <= limit,
                    "limit {limit}: {bytes:?}"
                );
            }
        }
    }
}
