//! `RunFunction` as a plain function: request in, response out, no I/O.
//!
//! It starts from the request's desired state and context, so whatever the
//! function has no opinion on passes through to Crossplane untouched.

use std::time::Duration;

use crate::proto::v1::{ResponseMeta, RunFunctionRequest, RunFunctionResponse};

/// The SDKs' default: Crossplane calls again at the latest after this long.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// The composition pipeline and its settings.
#[derive(Debug, Clone)]
pub struct Function {
    ttl: prost_types::Duration,
}

impl Default for Function {
    fn default() -> Self {
        Self::new(DEFAULT_TTL)
    }
}

impl Function {
    /// A pipeline whose responses ask to be called again after `ttl`.
    #[must_use]
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl: prost_types::Duration {
                seconds: i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
                // Below one billion by construction.
                nanos: i32::try_from(ttl.subsec_nanos()).unwrap_or_default(),
            },
        }
    }

    /// Answers one call.
    #[must_use]
    pub fn run(&self, request: RunFunctionRequest) -> RunFunctionResponse {
        let RunFunctionRequest {
            meta,
            desired,
            context,
            ..
        } = request;
        RunFunctionResponse {
            meta: Some(ResponseMeta {
                tag: meta.map(|meta| meta.tag).unwrap_or_default(),
                ttl: Some(self.ttl),
            }),
            desired,
            context,
            ..RunFunctionResponse::default()
        }
    }
}

/// What one debug log line says about a call: its tag and composite.
#[derive(Debug)]
pub struct RequestSummary<'a> {
    /// The call's tag, empty when Crossplane sent none.
    pub tag: &'a str,
    /// The composite's kind, empty when the request has none.
    pub kind: &'a str,
    /// The composite's name, empty when the request has none.
    pub name: &'a str,
}

impl<'a> RequestSummary<'a> {
    /// Reads the summary off a request without copying anything.
    #[must_use]
    pub fn of(request: &'a RunFunctionRequest) -> Self {
        let composite = request
            .observed
            .as_ref()
            .and_then(|state| state.composite.as_ref())
            .and_then(|composite| composite.resource.as_ref());
        let text = |object: Option<&'a prost_types::Struct>, key: &str| -> &'a str {
            match object
                .and_then(|object| object.fields.get(key))
                .and_then(|v| v.kind.as_ref())
            {
                Some(prost_types::value::Kind::StringValue(text)) => text,
                _ => "",
            }
        };
        let metadata = composite
            .and_then(|object| object.fields.get("metadata"))
            .and_then(|value| match value.kind.as_ref() {
                Some(prost_types::value::Kind::StructValue(object)) => Some(object),
                _ => None,
            });
        Self {
            tag: request.meta.as_ref().map_or("", |meta| meta.tag.as_str()),
            kind: text(composite, "kind"),
            name: text(metadata, "name"),
        }
    }
}
