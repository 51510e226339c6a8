//! Reading values out of the XR's parameters, falling back to the
//! Composition's defaults, with every problem kept at the field path its
//! author wrote.

use std::fmt;

use serde_json::{Map, Value};

/// Where the XR's parameters sit, as users address them.
pub const PARAMETERS_PATH: &str = "spec.parameters";
/// Where the Composition's defaults sit, as platform teams address them.
pub const DEFAULTS_PATH: &str = "input.defaults";

/// One thing wrong with the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field path as the user wrote it, e.g. `spec.parameters.tags`.
    pub path: String,
    /// Where within the field's value, when it is a document: such as
    /// `Statement[0]` in an inline policy.
    pub at: Option<String>,
    /// What is wrong and what would be accepted.
    pub message: String,
}

impl fmt::Display for Problem {
    /// `path: message`, or `path: at message` within a document.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            None => write!(f, "{}: {}", self.path, self.message),
            Some(at) => write!(f, "{}: {at} {}", self.path, self.message),
        }
    }
}

/// Everything wrong with one XR, reported together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// Records that the value at `path` is wrong, and why.
    pub(crate) fn add(&mut self, path: impl fmt::Display, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.to_string(),
            at: None,
            message: message.into(),
        });
    }

    /// Records that the document at `path` is wrong at `at`, and why.
    pub(crate) fn add_at(
        &mut self,
        path: impl fmt::Display,
        at: impl fmt::Display,
        message: impl Into<String>,
    ) {
        self.0.push(Problem {
            path: path.to_string(),
            at: Some(at.to_string()),
            message: message.into(),
        });
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// Reads values from the XR, falling back to the Composition's defaults.
pub(crate) struct Reader<'a> {
    parameters: &'a Map<String, Value>,
    defaults: Option<&'a Map<String, Value>>,
    /// Everything found wrong so far.
    pub(crate) problems: Problems,
}

/// Where a value was found. It is spelled out only when a problem is
/// reported: valid input, the everyday case, never pays for the text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Path<'p> {
    /// A key of the XR's parameters or of the Composition's defaults.
    Key { root: &'static str, key: &'p str },
    /// A key of the object found at `parent`.
    Child { parent: &'p Path<'p>, key: &'p str },
    /// An item of the list found at `parent`.
    Item {
        parent: &'p Path<'p>,
        position: usize,
    },
}

impl Path<'_> {
    /// The key this path ends in, if it ends in one.
    pub(crate) fn key(&self) -> Option<&str> {
        match self {
            Path::Key { key, .. } | Path::Child { key, .. } => Some(key),
            Path::Item { .. } => None,
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Key { root, key } => write!(f, "{root}.{key}"),
            Path::Child { parent, key } => write!(f, "{parent}.{key}"),
            Path::Item { parent, position } => write!(f, "{parent}[{position}]"),
        }
    }
}

/// A value found, with the path it was found at.
pub(crate) struct Found<'a, 'p> {
    pub(crate) value: &'a Value,
    pub(crate) path: Path<'p>,
}

impl<'a> Reader<'a> {
    /// Reads `parameters`, falling back to `defaults`.
    pub(crate) fn new(
        parameters: &'a Map<String, Value>,
        defaults: Option<&'a Map<String, Value>>,
    ) -> Self {
        Self {
            parameters,
            defaults,
            problems: Problems::default(),
        }
    }

    /// The XR's own value only.
    pub(crate) fn own<'p>(&self, key: &'p str) -> Option<Found<'a, 'p>> {
        Self::found_in(Some(self.parameters), PARAMETERS_PATH, key)
    }

    /// The Composition's default only.
    pub(crate) fn default<'p>(&self, key: &'p str) -> Option<Found<'a, 'p>> {
        Self::found_in(self.defaults, DEFAULTS_PATH, key)
    }

    /// A value that is set (not null) at `key` of `layer`, found at `root`.
    fn found_in<'p>(
        layer: Option<&'a Map<String, Value>>,
        root: &'static str,
        key: &'p str,
    ) -> Option<Found<'a, 'p>> {
        layer
            .and_then(|layer| layer.get(key))
            .filter(|value| !value.is_null())
            .map(|value| Found {
                value,
                path: Path::Key { root, key },
            })
    }

    /// The XR's value, or else the Composition's default.
    pub(crate) fn layered<'p>(&self, key: &'p str) -> Option<Found<'a, 'p>> {
        self.own(key).or_else(|| self.default(key))
    }

    /// What `pick` takes of the value found; a problem naming what was
    /// wanted (`want`) when it takes nothing.
    fn kind<T>(
        &mut self,
        found: &Found<'a, '_>,
        want: &str,
        pick: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Option<T> {
        let picked = pick(found.value);
        if picked.is_none() {
            self.problems.add(
                found.path,
                format!("want {want}, got {}", describe(found.value)),
            );
        }
        picked
    }

    pub(crate) fn string(&mut self, found: &Found<'a, '_>) -> Option<&'a str> {
        self.kind(found, "a string", Value::as_str)
    }

    pub(crate) fn checked<T>(
        &mut self,
        found: Option<Found<'a, '_>>,
        check: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let found = found?;
        let text = self.string(&found)?;
        match check(text) {
            Ok(value) => Some(value),
            Err(message) => {
                self.problems.add(found.path, message);
                None
            }
        }
    }

    pub(crate) fn typed<T: serde::de::DeserializeOwned>(
        &mut self,
        found: Option<Found<'a, '_>>,
        want: &str,
    ) -> Option<T> {
        let found = found?;
        match T::deserialize(found.value) {
            Ok(value) => Some(value),
            Err(error) => {
                self.problems
                    .add(found.path, format!("want {want}: {error}"));
                None
            }
        }
    }

    pub(crate) fn object(&mut self, found: &Found<'a, '_>) -> Option<&'a Map<String, Value>> {
        self.kind(found, "an object", Value::as_object)
    }

    pub(crate) fn array(&mut self, found: &Found<'a, '_>) -> Option<&'a Vec<Value>> {
        self.kind(found, "a list", Value::as_array)
    }

    pub(crate) fn boolean(&mut self, found: Option<Found<'a, '_>>) -> Option<bool> {
        self.kind(&found?, "true or false", Value::as_bool)
    }

    pub(crate) fn required<'p>(
        &mut self,
        found: Option<Found<'a, 'p>>,
        key: &str,
        want: &str,
    ) -> Option<Found<'a, 'p>> {
        if found.is_none() {
            self.problems.add(
                format!("{PARAMETERS_PATH}.{key}"),
                format!("required: {want}"),
            );
        }
        found
    }
}

/// How a value reads in a problem's message.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => format!("the number {number}"),
        Value::String(text) => format!("the string {text_shown}", text_shown = shown(text)),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// The path of `key` within the object `found`.
pub(crate) fn child<'p>(found: &'p Found<'_, '_>, key: &'p str) -> Path<'p> {
    Path::Child {
        parent: &found.path,
        key,
    }
}

/// The path of the item at `position` within the list `found`.
pub(crate) fn index<'p>(found: &'p Found<'_, '_>, position: usize) -> Path<'p> {
    Path::Item {
        parent: &found.path,
        position,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{child, index, Found, Map, Reader, Value};

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(object) => object,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn the_xr_wins_over_the_defaults_and_null_counts_as_unset() {
        let parameters = object(json!({"region": "eu-west-1", "rolePath": null}));
        let defaults = object(json!({"region": "us-east-1", "rolePath": "/team/"}));
        let reader = Reader::new(&parameters, Some(&defaults));

        let region = reader.layered("region").expect("region is set");
        assert_eq!(region.value, &json!("eu-west-1"));
        assert_eq!(region.path.to_string(), "spec.parameters.region");

        let path = reader.layered("rolePath").expect("the default applies");
        assert_eq!(path.value, &json!("/team/"));
        assert_eq!(path.path.to_string(), "input.defaults.rolePath");

        assert!(reader.own("rolePath").is_none());
        assert!(reader.layered("tags").is_none());
    }

    #[test]
    fn nested_paths_read_as_their_author_wrote_them() {
        let parameters = object(json!({"inlinePolicy": [{"name": 7}]}));
        let reader = Reader::new(&parameters, None);
        let list = reader.own("inlinePolicy").expect("set");
        let item = Found {
            value: &list.value[0],
            path: index(&list, 0),
        };
        assert_eq!(
            child(&item, "name").to_string(),
            "spec.parameters.inlinePolicy[0].name"
        );
        assert_eq!(child(&item, "name").key(), Some("name"));
        assert_eq!(index(&list, 3).key(), None);
    }

    #[test]
    fn a_wrong_kind_is_one_problem_at_its_path() {
        let parameters = object(json!({"tags": ["a"], "podIdentityAgent": {"install": "yes"}}));
        let mut reader = Reader::new(&parameters, None);

        let tags = reader.own("tags").expect("set");
        assert!(reader.object(&tags).is_none());
        let agent = reader.own("podIdentityAgent").expect("set");
        let install = agent.value.get("install").expect("set");
        let install = Found {
            value: install,
            path: child(&agent, "install"),
        };
        assert_eq!(reader.boolean(Some(install)), None);
        assert!(reader.required(None, "region", "the AWS region").is_none());

        assert_eq!(
            reader.problems.to_string(),
            "spec.parameters.tags: want an object, got a list; \
             spec.parameters.podIdentityAgent.install: want true or false, got the string \"yes\"; \
             spec.parameters.region: required: the AWS region"
        );
    }
}

/// The most characters of a value a message quotes; a longer value is cut,
/// with its length given, so that an answer stays readable and small
/// whatever a claim holds.
pub const QUOTED_CHARS: usize = 64;

/// A value as a message quotes it: escaped like Rust's `{:?}`, and cut to
/// [`QUOTED_CHARS`] characters.
#[must_use]
pub fn shown(text: &str) -> Shown<'_> {
    Shown(text)
}

/// See [`shown`].
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a>(&'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(QUOTED_CHARS) {
            None => write!(formatter, "{:?}", self.0),
            Some((cut, _)) => write!(
                formatter,
                "{:?}... ({} bytes in all)",
                &self.0[..cut],
                self.0.len()
            ),
        }
    }
}
