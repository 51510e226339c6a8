//! Building a `RunFunctionResponse`, as the Go SDK's `response` package
//! does: start [`to`] a request, add a [`fatal`] result, merge a
//! composite's status, and make sure the caller can receive the answer.

use std::fmt::Write as _;

use prost::Message;
use prost_types::Struct;

use crate::protocol::path;
use crate::protocol::v1::{
    Condition, Resource, ResponseMeta, Result as ProtoResult, RunFunctionRequest,
    RunFunctionResponse, Severity, State, Status, Target,
};

/// The longest FATAL message sent: long enough for every problem of a bad
/// input, short enough that any caller receives it.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The start of an answer to `request`: its tag, its desired state and its
/// context, taken as they came so that what the function has no opinion on
/// passes through untouched, and a time to live.
#[must_use]
pub fn to(request: &mut RunFunctionRequest, ttl: prost_types::Duration) -> RunFunctionResponse {
    RunFunctionResponse {
        meta: Some(ResponseMeta {
            tag: request.meta.take().map(|meta| meta.tag).unwrap_or_default(),
            ttl: Some(ttl),
        }),
        desired: request.desired.take(),
        context: request.context.take(),
        ..RunFunctionResponse::default()
    }
}

/// Adds a FATAL result for the composite and its claim. `message` is cut to
/// [`MAX_MESSAGE_BYTES`] at a character boundary, saying how long it was.
pub fn fatal(response: &mut RunFunctionResponse, reason: &str, message: String) {
    response.results.push(ProtoResult {
        severity: Severity::Fatal.into(),
        message: bounded(message),
        reason: Some(reason.to_owned()),
        target: Some(Target::CompositeAndClaim.into()),
    });
}

/// Adds a WARNING result for the composite and its claim: an event on
/// both, for a real problem the claim's author should see. `message` is
/// cut like a FATAL's.
pub fn warning(response: &mut RunFunctionResponse, reason: &str, message: String) {
    response.results.push(ProtoResult {
        severity: Severity::Warning.into(),
        message: bounded(message),
        reason: Some(reason.to_owned()),
        target: Some(Target::CompositeAndClaim.into()),
    });
}

/// Sets a condition of type `kind` on the composite and its claim
/// (Crossplane 1.17 and later show it; earlier versions ignore it).
/// `reason` must not be empty; `message` is cut like a FATAL's.
pub fn condition(
    response: &mut RunFunctionResponse,
    kind: &str,
    holds: bool,
    reason: &str,
    message: Option<String>,
) {
    let status = if holds {
        Status::ConditionTrue
    } else {
        Status::ConditionFalse
    };
    response.conditions.push(Condition {
        r#type: kind.to_owned(),
        status: status.into(),
        reason: reason.to_owned(),
        message: message.map(bounded),
        target: Some(Target::CompositeAndClaim.into()),
    });
}

fn bounded(message: String) -> String {
    cut_to(message, MAX_MESSAGE_BYTES)
}

/// `message` when it has at most `limit` bytes; otherwise its start, cut at
/// a character boundary, saying how long it was.
#[must_use]
pub fn cut_to(mut message: String, limit: usize) -> String {
    if message.len() <= limit {
        return message;
    }
    let total = message.len();
    let mut cut = limit.saturating_sub(100);
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    message.truncate(cut);
    // Writing to a String cannot fail.
    let _ = write!(message, " ... (message cut: {total} bytes in all)");
    message
}

/// Merges `fields` into the desired composite's status at `path` (below
/// `status`), keeping whatever earlier steps put there. A desired composite
/// is made, with the observed one's `apiVersion` and `kind`, if there is
/// none yet.
pub fn set_composite_status(
    response: &mut RunFunctionResponse,
    observed_composite: &Struct,
    status_path: &[&str],
    fields: impl IntoIterator<Item = (String, prost_types::Value)>,
) {
    let desired = response.desired.get_or_insert_with(State::default);
    let composite = desired.composite.get_or_insert_with(|| Resource {
        resource: Some(identity_of(observed_composite)),
        ..Resource::default()
    });
    let resource = composite.resource.get_or_insert_with(Struct::default);
    path::with_object(resource, &["status"], |status| {
        path::with_object(status, status_path, |object| object.fields.extend(fields));
    });
}

/// A composite's `apiVersion` and `kind`, which a desired composite carries.
fn identity_of(composite: &Struct) -> Struct {
    let mut identity = Struct::default();
    for key in ["apiVersion", "kind"] {
        if let Some(value) = composite.fields.get(key) {
            identity.fields.insert(key.to_owned(), value.clone());
        }
    }
    identity
}

/// The answer itself when its encoding fits in `limit` bytes; otherwise a
/// small answer with the same tag and one FATAL result saying so, since the
/// caller would refuse the large one without learning why.
#[must_use]
pub fn fit(response: RunFunctionResponse, limit: usize) -> RunFunctionResponse {
    let length = response.encoded_len();
    if length <= limit {
        return response;
    }
    let mut small = RunFunctionResponse {
        meta: response.meta,
        ..RunFunctionResponse::default()
    };
    fatal(
        &mut small,
        "ResponseTooLarge",
        format!(
            "the function's answer would be {length} bytes, more than the {limit} bytes a caller receives; compose fewer or smaller resources"
        ),
    );
    small
}

#[cfg(test)]
mod tests {
    use super::{bounded, fit, MAX_MESSAGE_BYTES};
    use crate::protocol::v1::{ResponseMeta, RunFunctionResponse, Severity};

    #[test]
    fn long_messages_are_cut_at_a_character_and_say_so() {
        let short = "fine".to_owned();
        assert_eq!(bounded(short.clone()), short);
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let cut = bounded(long);
        assert!(cut.len() <= MAX_MESSAGE_BYTES, "{}", cut.len());
        assert!(cut.ends_with(&format!("cut: {} bytes in all)", 2 * MAX_MESSAGE_BYTES)));
    }

    #[test]
    fn an_answer_too_large_becomes_a_small_fatal() {
        let response = RunFunctionResponse {
            meta: Some(ResponseMeta {
                tag: "t".into(),
                ttl: None,
            }),
            output: Some(prost_types::Struct {
                fields: [("x".to_owned(), "y".repeat(1000).into())].into(),
            }),
            ..RunFunctionResponse::default()
        };
        assert_eq!(fit(response.clone(), 2000), response);
        let small = fit(response, 100);
        assert_eq!(small.meta.unwrap().tag, "t");
        assert!(small.output.is_none());
        assert_eq!(small.results.len(), 1);
        assert_eq!(small.results[0].severity, i32::from(Severity::Fatal));
    }
}
