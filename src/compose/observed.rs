//! What the observed composed resources say beyond readiness and status:
//! things the claim's author should hear about, such as a role that was
//! adopted rather than created.
//!
//! Observed state never refuses a claim: what is read here becomes a
//! Warning on the claim, never a FATAL.

use prost_types::Struct;

use crate::compose::EXTERNAL_NAME;
use crate::protocol::path::text;

/// A role that existed before the XR did: its external name named a role
/// already in the account, and the provider adopted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptedRole {
    /// The role's name in AWS.
    pub name: String,
    /// When IAM created the role, as the provider reports it.
    pub created: String,
    /// When the XR was created.
    pub xr_created: String,
}

impl AdoptedRole {
    /// The adoption the observed role shows, if any: IAM created it before
    /// the XR existed (`xr_created`, the XR's `metadata.creationTimestamp`).
    /// A role not yet created, or a time that cannot be read, shows none.
    #[must_use]
    pub fn of(role: &Struct, xr_created: &str) -> Option<Self> {
        let created = text(role, &["status", "atProvider", "createDate"])?;
        if instant(created)? >= instant(xr_created)? {
            return None;
        }
        let name = text(role, &["status", "atProvider", "id"])
            .or_else(|| text(role, &["metadata", "annotations", EXTERNAL_NAME]))
            .unwrap_or("(unnamed)");
        Some(Self {
            name: name.to_owned(),
            created: created.to_owned(),
            xr_created: xr_created.to_owned(),
        })
    }

    /// The Warning's text: what happened, and what to check.
    #[must_use]
    pub fn message(&self) -> String {
        format!(
            "the IAM role {:?} was created at {}, before this XR ({}): it was adopted, not created. Its trust policy, permissions and deletion now follow this claim; if this claim should not own it, ask the platform team to orphan the role before the claim is deleted, and review its trust policy",
            self.name, self.created, self.xr_created
        )
    }
}

/// Seconds since 1970 (and nanoseconds) of an RFC 3339 time such as
/// `2026-06-01T10:00:00Z` or `2026-06-01T12:00:00.5+02:00`; `None` for
/// anything else.
fn instant(text: &str) -> Option<(i64, u32)> {
    let bytes = text.as_bytes();
    let digits = |from: usize, to: usize| -> Option<i64> {
        let part = bytes.get(from..to)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0_i64, |number, digit| number * 10 + i64::from(digit - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators
        .iter()
        .any(|&(at, separator)| bytes.get(at) != Some(&separator))
        || !matches!(bytes.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 7)?, digits(8, 10)?);
    let (hour, minute, second) = (digits(11, 13)?, digits(14, 16)?, digits(17, 19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // 60 is a leap second.
    if second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0_u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let length = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if length == 0 {
            return None;
        }
        for (position, digit) in fraction.bytes().take(9).take(length).enumerate() {
            nanos += u32::from(digit - b'0') * 10_u32.pow(8 - u32::try_from(position).ok()?);
        }
        rest = &fraction[length..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let offset = rest.as_bytes();
            if offset.len() != 6 || offset[3] != b':' {
                return None;
            }
            let hours = i64::from(offset[1].wrapping_sub(b'0')) * 10
                + i64::from(offset[2].wrapping_sub(b'0'));
            let minutes = i64::from(offset[4].wrapping_sub(b'0')) * 10
                + i64::from(offset[5].wrapping_sub(b'0'));
            if !offset[1..3]
                .iter()
                .chain(&offset[4..6])
                .all(u8::is_ascii_digit)
                || hours > 23
                || minutes > 59
            {
                return None;
            }
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some((
        days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        nanos,
    ))
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard
/// Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::instant;

    #[test]
    fn times_read_as_instants_in_any_offset() {
        assert_eq!(instant("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(instant("2000-03-01T00:00:00Z"), Some((951_868_800, 0)));
        assert_eq!(
            instant("2026-06-01T12:00:00+02:00"),
            instant("2026-06-01T10:00:00Z")
        );
        assert_eq!(
            instant("2026-06-01T10:00:00.25Z"),
            Some((instant("2026-06-01T10:00:00Z").unwrap().0, 250_000_000))
        );
        assert!(instant("2026-06-01T10:00:00.5Z") > instant("2026-06-01T10:00:00Z"));
        for bad in [
            "",
            "2026-06-01",
            "2026-13-01T00:00:00Z",
            "2026-06-01T10:00:00",
            "2026-06-01T10:00:00.Z",
            "2026-06-01T10:00:00+2:00",
            "2026-06-01T10:00:00+0x:00",
            "２０２６-06-01T10:00:00Z",
        ] {
            assert_eq!(instant(bad), None, "{bad:?}");
        }
    }
}
