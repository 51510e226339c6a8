//! Walking a protobuf message's wire bytes in place: its fields one by
//! one, framed exactly as prost frames them, without decoding or copying
//! anything until a caller asks.

use std::borrow::Cow;

use prost::encoding::{
    check_wire_type, decode_key, decode_varint, encode_varint, skip_field, string, DecodeContext,
    WireType,
};
use prost::DecodeError;

/// A message field given once more. Protobuf merges a message given more
/// than once exactly as it would read the encodings one after the other,
/// so joining them is merging them; a field given once stays borrowed.
pub(crate) fn join<'a>(earlier: Option<Cow<'a, [u8]>>, more: &'a [u8]) -> Cow<'a, [u8]> {
    match earlier {
        None => Cow::Borrowed(more),
        Some(earlier) => {
            let mut both = earlier.into_owned();
            both.extend_from_slice(more);
            Cow::Owned(both)
        }
    }
}

/// The fields of one encoded message in wire order, each framed as prost
/// frames it, with prost's errors.
pub(crate) struct Fields<'a> {
    rest: &'a [u8],
}

/// One field of an encoded message.
pub(crate) struct Field<'a> {
    pub(crate) number: u32,
    pub(crate) wire_type: WireType,
    /// A length-delimited field's payload; empty for the others.
    pub(crate) payload: &'a [u8],
}

impl<'a> Fields<'a> {
    pub(crate) fn of(message: &'a [u8]) -> Self {
        Self { rest: message }
    }

    fn field(&mut self) -> Result<Field<'a>, DecodeError> {
        match self.common() {
            Some(field) => Ok(field),
            None => self.by_prost(),
        }
    }

    /// The next field if it is of the kind almost every field of a request
    /// is (a one-byte key; a varint, or a length-delimited payload under
    /// 16 KiB) and well framed; otherwise nothing, and nothing consumed.
    fn common(&mut self) -> Option<Field<'a>> {
        let (&key, after_key) = self.rest.split_first()?;
        let number = u32::from(key >> 3);
        if key & 0x80 != 0 || number == 0 {
            return None;
        }
        let (wire_type, header, length) = match key & 0x07 {
            // Nine bytes carry 63 bits; a tenth may overflow, and prost tells.
            0 => (
                WireType::Varint,
                0,
                after_key.iter().take(9).position(|byte| byte & 0x80 == 0)? + 1,
            ),
            2 => {
                let (length, header) = match *after_key {
                    [low, ..] if low & 0x80 == 0 => (usize::from(low), 1),
                    [low, high, ..] if high & 0x80 == 0 => {
                        (usize::from(low & 0x7f) | usize::from(high) << 7, 2)
                    }
                    _ => return None,
                };
                (WireType::LengthDelimited, header, header + length)
            }
            _ => return None,
        };
        if length > after_key.len() {
            return None;
        }
        let (encoded, rest) = after_key.split_at(length);
        self.rest = rest;
        Some(Field {
            number,
            wire_type,
            payload: if wire_type == WireType::LengthDelimited {
                &encoded[header..]
            } else {
                &[]
            },
        })
    }

    /// The next field, whatever it is, framed by prost, with prost's
    /// errors.
    fn by_prost(&mut self) -> Result<Field<'a>, DecodeError> {
        let (number, wire_type) = decode_key(&mut self.rest)?;
        let start = self.rest;
        skip_field(wire_type, number, &mut self.rest, DecodeContext::default())?;
        let mut payload: &[u8] = &[];
        if wire_type == WireType::LengthDelimited {
            // The skip has checked that the payload ends where the field does.
            payload = &start[..start.len() - self.rest.len()];
            decode_varint(&mut payload)?;
        }
        Ok(Field {
            number,
            wire_type,
            payload,
        })
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, DecodeError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        (!self.rest.is_empty()).then(|| self.field())
    }
}

impl<'a> Field<'a> {
    /// The payload of a field that must be length-delimited.
    pub(crate) fn delimited(&self) -> Result<&'a [u8], DecodeError> {
        check_wire_type(WireType::LengthDelimited, self.wire_type)?;
        Ok(self.payload)
    }

    /// A string field, checked as prost checks any string.
    pub(crate) fn string(&self) -> Result<String, DecodeError> {
        let bytes = self.delimited()?;
        if let Ok(text) = std::str::from_utf8(bytes) {
            return Ok(text.to_owned());
        }
        // Framed again for prost, to fail with prost's error.
        let mut framed = Vec::with_capacity(bytes.len() + 10);
        encode_varint(bytes.len() as u64, &mut framed);
        framed.extend_from_slice(bytes);
        let mut text = String::new();
        string::merge(
            self.wire_type,
            &mut text,
            &mut framed.as_slice(),
            DecodeContext::default(),
        )?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use prost::encoding::{encode_key, encode_varint, WireType};

    use super::{Field, Fields};

    /// Each field's number, wire type, and payload's length and first byte.
    fn fields(message: &[u8]) -> Vec<(u32, WireType, usize, Option<u8>)> {
        Fields::of(message)
            .map(|field| {
                let Field {
                    number,
                    wire_type,
                    payload,
                } = field.unwrap();
                (number, wire_type, payload.len(), payload.first().copied())
            })
            .collect()
    }

    #[test]
    fn every_kind_of_field_is_framed_as_prost_frames_it() {
        let mut message = Vec::new();
        let delimited = |number: u32, payload: &[u8], message: &mut Vec<u8>| {
            encode_key(number, WireType::LengthDelimited, message);
            encode_varint(payload.len() as u64, message);
            message.extend_from_slice(payload);
        };
        // The short path: one-byte keys, a varint, one- and two-byte lengths.
        delimited(1, b"abc", &mut message);
        encode_key(2, WireType::Varint, &mut message);
        encode_varint(300, &mut message);
        let long = vec![7; 200];
        delimited(3, &long, &mut message);
        // prost's path: a two-byte key, a three-byte length, fixed widths,
        // a ten-byte varint and a group.
        delimited(16, b"key", &mut message);
        let longer = vec![9; 20_000];
        delimited(4, &longer, &mut message);
        encode_key(5, WireType::SixtyFourBit, &mut message);
        message.extend_from_slice(&1.5f64.to_le_bytes());
        encode_key(6, WireType::ThirtyTwoBit, &mut message);
        message.extend_from_slice(&[1, 2, 3, 4]);
        encode_key(7, WireType::Varint, &mut message);
        encode_varint(u64::MAX, &mut message);
        encode_key(8, WireType::StartGroup, &mut message);
        encode_key(1, WireType::Varint, &mut message);
        encode_varint(1, &mut message);
        encode_key(8, WireType::EndGroup, &mut message);
        assert_eq!(
            fields(&message),
            [
                (1, WireType::LengthDelimited, 3, Some(b'a')),
                (2, WireType::Varint, 0, None),
                (3, WireType::LengthDelimited, long.len(), Some(7)),
                (16, WireType::LengthDelimited, 3, Some(b'k')),
                (4, WireType::LengthDelimited, longer.len(), Some(9)),
                (5, WireType::SixtyFourBit, 0, None),
                (6, WireType::ThirtyTwoBit, 0, None),
                (7, WireType::Varint, 0, None),
                (8, WireType::StartGroup, 0, None),
            ]
        );
    }

    #[test]
    fn bad_framing_fails_as_in_prost() {
        // A length past the end, a key of field 0, an eleven-byte varint, a
        // group never closed.
        for message in [
            &[0x0a, 0x05, b'a'][..],
            &[0x0a, 0x80, 0x01, b'a'],
            &[0x02, 0x00],
            &[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
            &[0x0b, 0x08, 0x01],
        ] {
            assert!(
                Fields::of(message).any(|field| field.is_err()),
                "{message:?}"
            );
        }
    }

    #[test]
    fn a_string_field_is_checked_as_utf8() {
        assert_eq!(
            Fields::of(b"\x0a\x02hi")
                .next()
                .unwrap()
                .unwrap()
                .string()
                .unwrap(),
            "hi"
        );
        let bad = Fields::of(b"\x0a\x01\xff")
            .next()
            .unwrap()
            .unwrap()
            .string();
        assert!(bad.unwrap_err().to_string().contains("UTF-8"));
    }
}
