//! Which composed resources the provider fails to sync, told in words the
//! claim's author can read: the reason of a failure (`AccessDenied`, a quota,
//! a policy IAM refuses) sits on a managed resource the author often cannot
//! even read, so the function repeats it on the XR and its claim.
//!
//! Every text is bounded: each provider message to [`MESSAGE_BYTES`], the
//! condition's message and all the Warnings together to [`TOTAL_BYTES`].

use std::collections::BTreeMap;

use prost_types::value::Kind;
use prost_types::Struct;

use crate::protocol::path::{self, text};
use crate::protocol::response::cut_to;
use crate::protocol::v1::Resource;

/// The condition the function sets on the XR and its claim.
pub const CONDITION: &str = "ResourcesSynced";
/// Its reason while every judged resource is synced.
pub const SYNCED: &str = "Synced";
/// Its reason, and the Warnings', while some resource fails.
pub const FAILING: &str = "ComposedResourceError";

/// The most of one provider message repeated, in bytes.
pub const MESSAGE_BYTES: usize = 512;
/// The most of the condition's message, and of all Warnings together, in
/// bytes: a claim's events and conditions stay readable.
pub const TOTAL_BYTES: usize = 8 * 1024;

/// One composed resource whose `Synced` condition is not `True`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `<key> (<kind>): <provider's message>`, the message cut to
    /// [`MESSAGE_BYTES`].
    pub text: String,
}

/// The failures among the observed resources under `composed`'s keys
/// (each given with its kind), in key order. A resource that reports no
/// `Synced` condition yet is not failing; nor is one not composed.
#[must_use]
pub fn failures<'k>(
    composed: impl Iterator<Item = (&'k str, &'k str)>,
    observed: &BTreeMap<String, Resource>,
) -> Vec<Failure> {
    let mut judged: Vec<(&str, &str, &Struct)> = composed
        .filter_map(|(key, kind)| {
            let body = observed.get(key)?.resource.as_ref()?;
            Some((key, kind, body))
        })
        .collect();
    judged.sort_by(|a, b| a.0.cmp(b.0));
    judged
        .into_iter()
        .filter_map(|(key, kind, body)| {
            let message = unsynced(body)?;
            Some(Failure {
                text: format!("{key} ({kind}): {}", cut_to(message, MESSAGE_BYTES)),
            })
        })
        .collect()
}

/// What the `Synced` condition says when its status is not `True`: its
/// message, else its reason, else its status.
fn unsynced(body: &Struct) -> Option<String> {
    let conditions = path::list(body, &["status", "conditions"])?;
    let synced = conditions
        .values
        .iter()
        .filter_map(|condition| match &condition.kind {
            Some(Kind::StructValue(condition)) => Some(condition),
            _ => None,
        })
        .find(|condition| text(condition, &["type"]) == Some("Synced"))?;
    let status = text(synced, &["status"]).unwrap_or("unknown");
    if status == "True" {
        return None;
    }
    let said = text(synced, &["message"])
        .or_else(|| text(synced, &["reason"]))
        .map_or_else(|| format!("Synced is {status}"), str::to_owned);
    Some(said)
}

/// The condition's message: every failure that fits in [`TOTAL_BYTES`],
/// and how many more there are.
#[must_use]
pub fn condition_message(failures: &[Failure]) -> String {
    let mut message = format!(
        "{} composed resource{} not synced: ",
        failures.len(),
        if failures.len() == 1 { " is" } else { "s are" }
    );
    let room = TOTAL_BYTES - LEFT_OUT_ROOM;
    let mut listed = 0;
    for failure in failures {
        let separator = if listed == 0 { "" } else { "; " };
        if message.len() + separator.len() + failure.text.len() > room {
            break;
        }
        message.push_str(separator);
        message.push_str(&failure.text);
        listed += 1;
    }
    if listed < failures.len() {
        message.push_str(&left_out(failures.len() - listed));
    }
    message
}

/// The Warnings: one per failure, with its text, as many as fit in
/// [`TOTAL_BYTES`] together; the last then says how many were left out.
#[must_use]
pub fn warnings(failures: &[Failure]) -> Vec<String> {
    let room = TOTAL_BYTES - LEFT_OUT_ROOM;
    let mut used = 0;
    let mut warnings = Vec::new();
    for failure in failures {
        if used + failure.text.len() > room {
            break;
        }
        used += failure.text.len();
        warnings.push(failure.text.clone());
    }
    if warnings.len() < failures.len() {
        warnings.push(
            left_out(failures.len() - warnings.len())
                .trim_start_matches("; ")
                .to_owned(),
        );
    }
    warnings
}

/// Room kept for [`left_out`]'s text.
const LEFT_OUT_ROOM: usize = 200;

fn left_out(count: usize) -> String {
    format!(
        "; and {count} more composed resource{} not synced, not listed here to keep this short (kubectl get managed shows them all)",
        if count == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::{condition_message, left_out, warnings, Failure, LEFT_OUT_ROOM, TOTAL_BYTES};

    #[test]
    fn the_note_of_what_was_left_out_fits_its_room() {
        assert!(left_out(usize::MAX).len() <= LEFT_OUT_ROOM);
    }

    #[test]
    fn many_failures_stay_within_the_total() {
        let failures: Vec<Failure> = (0..100)
            .map(|index| Failure {
                text: format!("key-{index} (Role): {}", "x".repeat(500)),
            })
            .collect();
        let message = condition_message(&failures);
        assert!(message.len() <= TOTAL_BYTES, "{}", message.len());
        assert!(message.ends_with("(kubectl get managed shows them all)"));
        let warned = warnings(&failures);
        let total: usize = warned.iter().map(String::len).sum();
        assert!(total <= TOTAL_BYTES, "{total}");
        let last = warned.last().unwrap();
        assert!(
            last.starts_with(&format!("and {} more", 100 - (warned.len() - 1))),
            "{last}"
        );
    }
}
