//! An IAM policy document, read once from its JSON into the elements the
//! lint and the guardrails ask about, each one knowing where it was.
//!
//! Reading never fails: an element of the wrong type, an element IAM does
//! not know, or two keys that differ only in case (IAM reads element names
//! without case) become [`Shape`] problems at their path, and the rest of
//! the document is still read. Element names are matched without case, so
//! that no spelling IAM accepts hides an element from a guardrail.

use serde_json::{Map, Value};

/// A document element: absent, given, or given with the wrong JSON type
/// (the type problem is in [`Document::shapes`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Field<T> {
    /// Not in the document.
    #[default]
    Absent,
    /// Given, and of the right type.
    Given(T),
    /// Given, of the wrong type.
    Malformed,
}

impl<T> Field<T> {
    /// The value when it was given and well-formed.
    #[must_use]
    pub fn given(&self) -> Option<&T> {
        match self {
            Self::Given(value) => Some(value),
            Self::Absent | Self::Malformed => None,
        }
    }

    /// Whether the element is in the document at all.
    #[must_use]
    pub fn is_present(&self) -> bool {
        !matches!(self, Self::Absent)
    }
}

/// A string or a list of strings, as IAM writes `Action` and `Resource`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Strings {
    /// The strings, in order; an entry of another type is left out (and is
    /// a shape problem) but keeps its position.
    pub items: Vec<(usize, String)>,
    /// Whether they were written as a list (paths then carry an index).
    pub listed: bool,
}

impl Strings {
    /// The path of entry `position` below `element` (such as
    /// `Statement[0].Action`).
    #[must_use]
    pub fn path(&self, element: &str, position: usize) -> String {
        if self.listed {
            format!("{element}[{position}]")
        } else {
            element.to_owned()
        }
    }

    /// The strings alone.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|(_, text)| text.as_str())
    }
}

/// One condition operator block: `"StringEquals": {"aws:SourceVpc": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The operator as written.
    pub operator: String,
    /// Its keys, as written.
    pub keys: Vec<String>,
}

/// One statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`.
    pub sid: Field<String>,
    /// `Effect`, as written.
    pub effect: Field<String>,
    /// Whether `Principal` or `NotPrincipal` is given (in any shape).
    pub principal: bool,
    /// `Action`.
    pub action: Field<Strings>,
    /// `NotAction`.
    pub not_action: Field<Strings>,
    /// `Resource`.
    pub resource: Field<Strings>,
    /// `NotResource`.
    pub not_resource: Field<Strings>,
    /// `Condition`, one entry per operator.
    pub condition: Field<Vec<Condition>>,
}

impl Statement {
    /// Whether the statement allows: anything but exactly `Deny` counts as
    /// `Allow`, so a malformed effect never hides a grant from a check.
    #[must_use]
    pub fn allows(&self) -> bool {
        self.effect.given().map(String::as_str) != Some("Deny")
    }
}

/// What kind of problem a [`Shape`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeKind {
    /// An element of the wrong JSON type.
    TypeMismatch,
    /// An element IAM does not know.
    UnknownElement,
    /// Two keys of one object that differ only in case.
    DuplicateKey,
}

/// A problem with the document's structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// What kind.
    pub kind: ShapeKind,
    /// The statement it is in, if any.
    pub statement: Option<usize>,
    /// Where, such as `Statement[1].Action[2]`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// A policy document, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// `Version`.
    pub version: Field<String>,
    /// Whether `Statement` is given (well-formed or not).
    pub has_statement: bool,
    /// The statements, in order; a single statement object reads as one.
    pub statements: Vec<Statement>,
    /// Everything wrong with the structure, in document order.
    pub shapes: Vec<Shape>,
}

/// The element names a document may hold, as AWS writes them.
const TOP: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// The path of statement `index`.
#[must_use]
pub fn statement_path(index: usize) -> String {
    format!("Statement[{index}]")
}

/// What a JSON value is, for messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// An object's entries grouped by the element name they stand for
/// (without case); unknown names and case duplicates are shape problems.
fn elements(
    object: Map<String, Value>,
    known: &'static [&'static str],
    statement: Option<usize>,
    base: &str,
    shapes: &mut Vec<Shape>,
) -> Vec<(&'static str, Vec<Value>)> {
    let mut found: Vec<(&'static str, Vec<Value>)> = Vec::new();
    let path = |key: &str| {
        if base.is_empty() {
            key.to_owned()
        } else {
            format!("{base}.{key}")
        }
    };
    for (key, value) in object {
        let Some(name) = known
            .iter()
            .copied()
            .find(|name| name.eq_ignore_ascii_case(&key))
        else {
            shapes.push(Shape {
                kind: ShapeKind::UnknownElement,
                statement,
                path: path(&key),
                message: format!(
                    "IAM knows no element {key:?} here; it knows {}",
                    known.join(", ")
                ),
            });
            continue;
        };
        match found.iter_mut().find(|(seen, _)| *seen == name) {
            Some((_, values)) => {
                shapes.push(Shape {
                    kind: ShapeKind::DuplicateKey,
                    statement,
                    path: path(&key),
                    message: format!("{name} is given twice, in different cases"),
                });
                values.push(value);
            }
            None => found.push((name, vec![value])),
        }
    }
    found
}

fn shape(
    shapes: &mut Vec<Shape>,
    statement: Option<usize>,
    path: String,
    want: &str,
    value: &Value,
) {
    shapes.push(Shape {
        kind: ShapeKind::TypeMismatch,
        statement,
        path,
        message: format!("want {want}, got {}", kind_of(value)),
    });
}

impl Document {
    /// Reads a parsed JSON document.
    #[must_use]
    pub fn read(value: &Value) -> Self {
        Self::from_value(value.clone())
    }

    /// Reads a parsed JSON document, taking its strings rather than
    /// copying them.
    #[must_use]
    pub fn from_value(value: Value) -> Self {
        let mut document = Self::default();
        let object = match value {
            Value::Object(object) => object,
            other => {
                shape(
                    &mut document.shapes,
                    None,
                    String::new(),
                    "an object",
                    &other,
                );
                return document;
            }
        };
        for (name, values) in elements(object, &TOP, None, "", &mut document.shapes) {
            for value in values {
                match name {
                    "Version" => {
                        document.version =
                            read_text(value, None, name.to_owned(), &mut document.shapes);
                    }
                    "Statement" => {
                        document.has_statement = true;
                        document.read_statements(value);
                    }
                    // Id is free text IAM does not check.
                    _ => {}
                }
            }
        }
        document
    }

    /// Parses JSON text and reads it; `Err` only for text that is not JSON.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str::<Value>(text).map(Self::from_value)
    }

    fn read_statements(&mut self, value: Value) {
        match value {
            Value::Array(items) => {
                for item in items {
                    let index = self.statements.len();
                    self.statements
                        .push(read_statement(item, index, &mut self.shapes));
                }
            }
            Value::Object(_) => {
                let index = self.statements.len();
                self.statements
                    .push(read_statement(value, index, &mut self.shapes));
            }
            other => shape(
                &mut self.shapes,
                None,
                "Statement".to_owned(),
                "an object or a list of objects",
                &other,
            ),
        }
    }
}

fn read_statement(value: Value, index: usize, shapes: &mut Vec<Shape>) -> Statement {
    let mut statement = Statement::default();
    let base = statement_path(index);
    let object = match value {
        Value::Object(object) => object,
        other => {
            shape(shapes, Some(index), base, "an object", &other);
            // Nothing of it can be read: count it as malformed throughout.
            statement.effect = Field::Malformed;
            statement.action = Field::Malformed;
            statement.resource = Field::Malformed;
            return statement;
        }
    };
    let at = Some(index);
    for (name, values) in elements(object, &STATEMENT, at, &base, shapes) {
        let path = format!("{base}.{name}");
        for value in values {
            match name {
                "Sid" => statement.sid = read_text(value, at, path.clone(), shapes),
                "Effect" => {
                    let effect = read_text(value, at, path.clone(), shapes);
                    // Two effects in different cases: keep neither, so that
                    // the statement counts as allowing.
                    statement.effect =
                        if statement.effect.is_present() && effect != statement.effect {
                            Field::Malformed
                        } else {
                            effect
                        };
                }
                "Principal" | "NotPrincipal" => statement.principal = true,
                "Action" => merge(
                    &mut statement.action,
                    read_strings(value, at, &path, shapes),
                ),
                "NotAction" => {
                    merge(
                        &mut statement.not_action,
                        read_strings(value, at, &path, shapes),
                    );
                }
                "Resource" => merge(
                    &mut statement.resource,
                    read_strings(value, at, &path, shapes),
                ),
                "NotResource" => {
                    merge(
                        &mut statement.not_resource,
                        read_strings(value, at, &path, shapes),
                    );
                }
                _ => statement.condition = read_conditions(value, at, &path, shapes),
            }
        }
    }
    statement
}

/// Keeps every entry of a list element given twice (in different cases),
/// so that a guardrail sees all of them.
fn merge(into: &mut Field<Strings>, more: Field<Strings>) {
    *into = match (std::mem::take(into), more) {
        (Field::Given(mut one), Field::Given(other)) => {
            let offset = one.items.len();
            one.items.extend(
                other
                    .items
                    .into_iter()
                    .map(|(at, text)| (at + offset, text)),
            );
            one.listed = true;
            Field::Given(one)
        }
        (Field::Absent, other) => other,
        (one, Field::Absent) => one,
        _ => Field::Malformed,
    };
}

fn read_text(
    value: Value,
    statement: Option<usize>,
    path: String,
    shapes: &mut Vec<Shape>,
) -> Field<String> {
    match value {
        Value::String(text) => Field::Given(text),
        other => {
            shape(shapes, statement, path, "a string", &other);
            Field::Malformed
        }
    }
}

fn read_strings(
    value: Value,
    statement: Option<usize>,
    path: &str,
    shapes: &mut Vec<Shape>,
) -> Field<Strings> {
    match value {
        Value::String(text) => Field::Given(Strings {
            items: vec![(0, text)],
            listed: false,
        }),
        Value::Array(items) => {
            let mut strings = Strings {
                items: Vec::with_capacity(items.len()),
                listed: true,
            };
            for (position, item) in items.into_iter().enumerate() {
                match item {
                    Value::String(text) => strings.items.push((position, text)),
                    other => shape(
                        shapes,
                        statement,
                        format!("{path}[{position}]"),
                        "a string",
                        &other,
                    ),
                }
            }
            Field::Given(strings)
        }
        other => {
            shape(
                shapes,
                statement,
                path.to_owned(),
                "a string or a list of strings",
                &other,
            );
            Field::Malformed
        }
    }
}

fn read_conditions(
    value: Value,
    statement: Option<usize>,
    path: &str,
    shapes: &mut Vec<Shape>,
) -> Field<Vec<Condition>> {
    let operators = match value {
        Value::Object(operators) => operators,
        other => {
            shape(shapes, statement, path.to_owned(), "an object", &other);
            return Field::Malformed;
        }
    };
    let mut conditions = Vec::with_capacity(operators.len());
    for (operator, keys) in operators {
        let keys = match keys {
            Value::Object(keys) => keys,
            other => {
                shape(
                    shapes,
                    statement,
                    format!("{path}.{operator}"),
                    "an object",
                    &other,
                );
                continue;
            }
        };
        conditions.push(Condition {
            operator,
            keys: keys.into_iter().map(|(key, _)| key).collect(),
        });
    }
    Field::Given(conditions)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Document, Field, ShapeKind};

    #[test]
    fn a_well_formed_document_reads_without_shapes() {
        let document = Document::read(&json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "Read",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": "arn:aws:s3:::orders/*",
                "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}
            }]
        }));
        assert!(document.shapes.is_empty(), "{:?}", document.shapes);
        let statement = &document.statements[0];
        assert!(statement.allows());
        let actions = statement.action.given().unwrap();
        assert_eq!(
            actions.texts().collect::<Vec<_>>(),
            ["s3:GetObject", "s3:ListBucket"]
        );
        assert_eq!(
            actions.path("Statement[0].Action", 1),
            "Statement[0].Action[1]"
        );
        let resources = statement.resource.given().unwrap();
        assert_eq!(
            resources.path("Statement[0].Resource", 0),
            "Statement[0].Resource"
        );
        assert_eq!(
            statement.condition.given().unwrap()[0].keys,
            ["aws:SourceVpc"]
        );
    }

    #[test]
    fn shape_problems_are_kept_with_their_paths() {
        let document = Document::read(&json!({
            "Version": 2012,
            "Statement": {"Effect": "Allow", "Action": ["s3:GetObject", 5], "resource": "*", "Resources": "*"},
            "statement": [{"Effect": "Deny", "Action": 7}]
        }));
        let shapes: Vec<_> = document
            .shapes
            .iter()
            .map(|shape| (shape.kind, shape.path.as_str()))
            .collect();
        assert!(
            shapes.contains(&(ShapeKind::TypeMismatch, "Version")),
            "{shapes:?}"
        );
        assert!(shapes.contains(&(ShapeKind::TypeMismatch, "Statement[0].Action[1]")));
        assert!(shapes.contains(&(ShapeKind::UnknownElement, "Statement[0].Resources")));
        assert!(shapes.contains(&(ShapeKind::DuplicateKey, "statement")));
        assert!(shapes.contains(&(ShapeKind::TypeMismatch, "Statement[1].Action")));
        assert_eq!(document.statements.len(), 2);
        // Read without case: "resource" is the Resource element.
        assert!(document.statements[0].resource.given().is_some());
        assert_eq!(document.statements[1].action, Field::Malformed);
    }

    #[test]
    fn case_duplicates_keep_every_action_and_no_effect() {
        let document = Document::read(&json!({
            "Statement": {"Effect": "Deny", "effect": "Allow", "Action": "s3:*", "action": ["iam:*"]}
        }));
        let statement = &document.statements[0];
        assert!(statement.allows());
        let actions: Vec<_> = statement.action.given().unwrap().texts().collect();
        assert_eq!(actions, ["s3:*", "iam:*"]);
    }
}
