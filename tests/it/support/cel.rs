//! The part of CEL that Crossplane's CRDs, and the transition rules of this
//! project's XRDs, write their `x-kubernetes-validations` rules in, parsed
//! and evaluated so that the tests apply those rules as an API server would
//! when an object is created or updated.
//!
//! ```text
//! rule     := and ("||" and)*
//! and      := unary ("&&" unary)*
//! unary    := "!" unary | "(" rule ")" | has ("==" has)? | operand "==" operand
//! has      := "has(" field ")"
//! operand  := field | field ".lowerAscii()" | 'text' | "text"
//! field    := ("self" | "oldSelf") ("." name)*
//! ```
//!
//! Anything else fails to parse, so that [`super::crd`] refuses to load a CRD
//! with a rule it cannot evaluate rather than skip the rule. A rule that
//! names `oldSelf` is a transition rule: it applies only when an object is
//! updated, never when it is created, and then with `oldSelf` bound to the
//! old value ([`Rule::holds_on_update`]).
//!
//! Evaluation follows CEL: selecting an absent field is an error, `has()`
//! tests presence, and `||` and `&&` are commutative over errors
//! (`error || true` is true, `error && false` is false).

use serde_json::Value;

/// A parsed rule.
#[derive(Debug)]
pub struct Rule {
    expression: Expression,
    transition: bool,
}

#[derive(Debug)]
enum Expression {
    Or(Box<Expression>, Box<Expression>),
    And(Box<Expression>, Box<Expression>),
    Not(Box<Expression>),
    Has(Field),
    /// Two tests that hold alike (`has(a) == has(b)`).
    Same(Box<Expression>, Box<Expression>),
    Equals(Operand, Operand),
}

#[derive(Debug)]
enum Operand {
    Field(Field),
    LowerAscii(Field),
    Text(String),
}

/// The field names (unescaped) after `self` or `oldSelf`.
#[derive(Debug)]
struct Field {
    /// Whether it starts from `oldSelf`.
    old: bool,
    names: Vec<String>,
}

/// What `self` and `oldSelf` are bound to.
#[derive(Debug, Clone, Copy)]
struct Binding<'v> {
    new: &'v Value,
    old: Option<&'v Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Name(String),
    Text(String),
    Dot,
    Open,
    Close,
    Not,
    And,
    Or,
    Equals,
}

impl Rule {
    /// Parses a rule's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens: &tokens,
            at: 0,
            transition: false,
        };
        let expression = parser.or()?;
        if let Some(token) = parser.tokens.get(parser.at) {
            return Err(format!("unexpected {token:?} after a whole rule"));
        }
        Ok(Self {
            expression,
            transition: parser.transition,
        })
    }

    /// Whether the rule compares with `oldSelf`, and so applies only to
    /// updates.
    pub fn is_transition(&self) -> bool {
        self.transition
    }

    /// Evaluates the rule with `self` bound to `value`: `Ok(false)` when it
    /// does not hold, `Err` when it cannot be evaluated (an API server
    /// refuses the object either way).
    pub fn holds(&self, value: &Value) -> Result<bool, String> {
        if self.transition {
            return Err("a transition rule needs oldSelf, which a new object has not".to_owned());
        }
        evaluate(
            &self.expression,
            Binding {
                new: value,
                old: None,
            },
        )
    }

    /// Evaluates the rule on an update, with `self` bound to the new value
    /// and `oldSelf` to the old one (an API server evaluates a transition
    /// rule only where both exist).
    pub fn holds_on_update(&self, new: &Value, old: &Value) -> Result<bool, String> {
        evaluate(
            &self.expression,
            Binding {
                new,
                old: Some(old),
            },
        )
    }
}

fn evaluate(expression: &Expression, value: Binding<'_>) -> Result<bool, String> {
    match expression {
        Expression::Or(left, right) => match (evaluate(left, value), evaluate(right, value)) {
            (Ok(true), _) | (_, Ok(true)) => Ok(true),
            (Err(error), _) | (_, Err(error)) => Err(error),
            (Ok(false), Ok(false)) => Ok(false),
        },
        Expression::And(left, right) => match (evaluate(left, value), evaluate(right, value)) {
            (Ok(false), _) | (_, Ok(false)) => Ok(false),
            (Err(error), _) | (_, Err(error)) => Err(error),
            (Ok(true), Ok(true)) => Ok(true),
        },
        Expression::Not(inner) => evaluate(inner, value).map(|holds| !holds),
        Expression::Has(field) => {
            let (last, parents) = field.names.split_last().expect("has() names a field");
            match select(root(field, value)?, parents)? {
                Value::Object(fields) => Ok(fields.contains_key(last)),
                other => Err(format!("has({last}) on a {}", type_name(other))),
            }
        }
        Expression::Same(left, right) => Ok(evaluate(left, value)? == evaluate(right, value)?),
        Expression::Equals(left, right) => Ok(operand(left, value)? == operand(right, value)?),
    }
}

/// The value a field starts from.
fn root<'v>(field: &Field, value: Binding<'v>) -> Result<&'v Value, String> {
    if field.old {
        value
            .old
            .ok_or_else(|| "oldSelf is bound only on an update".to_owned())
    } else {
        Ok(value.new)
    }
}

fn operand(operand: &Operand, value: Binding<'_>) -> Result<Value, String> {
    match operand {
        Operand::Field(field) => select(root(field, value)?, &field.names).cloned(),
        Operand::LowerAscii(field) => match select(root(field, value)?, &field.names)? {
            Value::String(text) => Ok(Value::String(text.to_ascii_lowercase())),
            other => Err(format!("lowerAscii() on a {}", type_name(other))),
        },
        Operand::Text(text) => Ok(Value::String(text.clone())),
    }
}

/// Follows field names from `value`; an absent field is an error, as in CEL.
fn select<'v>(value: &'v Value, names: &[String]) -> Result<&'v Value, String> {
    let mut at = value;
    for name in names {
        at = match at {
            Value::Object(fields) => fields
                .get(name)
                .ok_or_else(|| format!("no such key: {name}"))?,
            other => return Err(format!("selecting {name} from a {}", type_name(other))),
        };
    }
    Ok(at)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(character) = chars.next() {
        let token = match character {
            ' ' | '\t' | '\n' | '\r' => continue,
            '.' => Token::Dot,
            '(' => Token::Open,
            ')' => Token::Close,
            '!' => Token::Not,
            '&' if chars.next_if_eq(&'&').is_some() => Token::And,
            '|' if chars.next_if_eq(&'|').is_some() => Token::Or,
            '=' if chars.next_if_eq(&'=').is_some() => Token::Equals,
            '\'' | '"' => {
                let mut literal = String::new();
                loop {
                    match chars.next() {
                        Some(end) if end == character => break,
                        Some('\\') => return Err("escapes in string literals".to_owned()),
                        Some(inner) => literal.push(inner),
                        None => return Err("an unterminated string literal".to_owned()),
                    }
                }
                Token::Text(literal)
            }
            first if first.is_ascii_alphabetic() || first == '_' => {
                let mut name = String::from(first);
                while let Some(next) =
                    chars.next_if(|next| next.is_ascii_alphanumeric() || *next == '_')
                {
                    name.push(next);
                }
                Token::Name(name)
            }
            other => return Err(format!("unsupported character {other:?}")),
        };
        tokens.push(token);
    }
    Ok(tokens)
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
    transition: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<Token, String> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or("the rule ends too early")?;
        self.at += 1;
        Ok(token)
    }

    fn expect(&mut self, want: &Token) -> Result<(), String> {
        match self.next()? {
            got if got == *want => Ok(()),
            got => Err(format!("want {want:?}, got {got:?}")),
        }
    }

    fn or(&mut self) -> Result<Expression, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            left = Expression::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expression, String> {
        let mut left = self.unary()?;
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            left = Expression::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expression, String> {
        match self.peek() {
            Some(Token::Not) => {
                self.at += 1;
                Ok(Expression::Not(Box::new(self.unary()?)))
            }
            Some(Token::Open) => {
                self.at += 1;
                let inner = self.or()?;
                self.expect(&Token::Close)?;
                Ok(inner)
            }
            Some(Token::Name(name)) if name == "has" => {
                let left = self.has()?;
                if self.peek() != Some(&Token::Equals) {
                    return Ok(left);
                }
                self.at += 1;
                let right = self.has()?;
                Ok(Expression::Same(Box::new(left), Box::new(right)))
            }
            _ => {
                let left = self.operand()?;
                self.expect(&Token::Equals)?;
                let right = self.operand()?;
                Ok(Expression::Equals(left, right))
            }
        }
    }

    fn has(&mut self) -> Result<Expression, String> {
        match self.next()? {
            Token::Name(name) if name == "has" => {}
            other => return Err(format!("want has(...), got {other:?}")),
        }
        self.expect(&Token::Open)?;
        let field = self.field()?;
        if field.names.is_empty() {
            return Err("has() wants a field, not self".to_owned());
        }
        self.expect(&Token::Close)?;
        Ok(Expression::Has(field))
    }

    fn operand(&mut self) -> Result<Operand, String> {
        if let Some(Token::Text(text)) = self.peek() {
            let text = text.clone();
            self.at += 1;
            return Ok(Operand::Text(text));
        }
        let mut field = self.field()?;
        if self.peek() == Some(&Token::Open) {
            // The last name was a method's: only lowerAscii() is known.
            let method = field.names.pop().unwrap_or_default();
            if method != "lowerAscii" {
                return Err(format!("unsupported function {method}()"));
            }
            self.at += 1;
            self.expect(&Token::Close)?;
            return Ok(Operand::LowerAscii(field));
        }
        Ok(Operand::Field(field))
    }

    fn field(&mut self) -> Result<Field, String> {
        let old = match self.next()? {
            Token::Name(root) if root == "self" => false,
            Token::Name(root) if root == "oldSelf" => {
                self.transition = true;
                true
            }
            other => return Err(format!("want self or oldSelf, got {other:?}")),
        };
        let mut names = Vec::new();
        while self.peek() == Some(&Token::Dot) {
            self.at += 1;
            match self.next()? {
                Token::Name(name) => names.push(unescape(&name)),
                other => return Err(format!("want a field name after '.', got {other:?}")),
            }
        }
        Ok(Field { old, names })
    }
}

/// Undoes Kubernetes' escaping of property names in CEL: reserved words are
/// written `__word__`, and `_`, `.`, `-`, `/` in names are spelled out.
pub fn unescape(name: &str) -> String {
    const RESERVED: [&str; 21] = [
        "true",
        "false",
        "null",
        "in",
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ];
    if let Some(inner) = name
        .strip_prefix("__")
        .and_then(|rest| rest.strip_suffix("__"))
    {
        if RESERVED.contains(&inner) {
            return inner.to_owned();
        }
    }
    name.replace("__underscores__", "__")
        .replace("__dot__", ".")
        .replace("__dash__", "-")
        .replace("__slash__", "/")
}

mod tests {
    use serde_json::json;

    use super::Rule;

    #[test]
    fn evaluates_crossplanes_rules() {
        let names = Rule::parse("self.plural == self.plural.lowerAscii()").unwrap();
        assert_eq!(names.holds(&json!({"plural": "podidentities"})), Ok(true));
        assert_eq!(names.holds(&json!({"plural": "PodIdentities"})), Ok(false));
        assert!(names.holds(&json!({"plural": 7})).is_err());
        assert!(names.holds(&json!({})).is_err(), "no such key");

        let exclusive = Rule::parse("!(has(self.name) && has(self.matchLabels))").unwrap();
        assert_eq!(exclusive.holds(&json!({"name": "a"})), Ok(true));
        assert_eq!(
            exclusive.holds(&json!({"name": "a", "matchLabels": {}})),
            Ok(false)
        );

        let escaped = Rule::parse(
            "has(self.by) || (!has(self.of.resourceRef) || !has(self.of.resourceRef.__namespace__))",
        )
        .unwrap();
        assert_eq!(
            escaped.holds(&json!({"of": {"resourceRef": {"name": "a"}}})),
            Ok(true)
        );
        assert_eq!(
            escaped.holds(&json!({"of": {"resourceRef": {"name": "a", "namespace": "b"}}})),
            Ok(false)
        );
    }

    #[test]
    fn or_and_and_are_commutative_over_errors() {
        // self.a is absent: selecting it is an error, which the other side
        // decides when it can.
        let or = Rule::parse("self.a == 'x' || has(self.b)").unwrap();
        assert_eq!(or.holds(&json!({"b": 1})), Ok(true));
        assert!(or.holds(&json!({})).is_err());
        let and = Rule::parse("self.a == 'x' && has(self.b)").unwrap();
        assert_eq!(and.holds(&json!({})), Ok(false));
        assert!(and.holds(&json!({"b": 1})).is_err());
    }

    #[test]
    fn transition_rules_are_told_apart() {
        let immutable = Rule::parse("self == oldSelf").unwrap();
        assert!(immutable.is_transition());
        assert!(immutable.holds(&json!("x")).is_err());
        assert!(!Rule::parse("has(self.a)").unwrap().is_transition());
    }

    #[test]
    fn transition_rules_compare_old_and_new() {
        let immutable = Rule::parse("self == oldSelf").unwrap();
        assert_eq!(
            immutable.holds_on_update(&json!("x"), &json!("x")),
            Ok(true)
        );
        assert_eq!(
            immutable.holds_on_update(&json!("y"), &json!("x")),
            Ok(false)
        );
        assert_eq!(
            immutable.holds_on_update(&json!({"a": [1]}), &json!({"a": [1]})),
            Ok(true)
        );

        let fixed = Rule::parse("has(self.name) == has(oldSelf.name)").unwrap();
        assert!(fixed.is_transition());
        for (new, old, holds) in [
            (json!({"name": "a"}), json!({"name": "b"}), true),
            (json!({}), json!({}), true),
            (json!({"name": "a"}), json!({}), false),
            (json!({}), json!({"name": "a"}), false),
        ] {
            assert_eq!(
                fixed.holds_on_update(&new, &old),
                Ok(holds),
                "{new} <- {old}"
            );
        }
        assert!(fixed.holds(&json!({})).is_err(), "no oldSelf on creation");

        let field = Rule::parse("self.a == oldSelf.a").unwrap();
        assert_eq!(
            field.holds_on_update(&json!({"a": "x"}), &json!({"a": "x"})),
            Ok(true)
        );
        assert!(field
            .holds_on_update(&json!({"a": "x"}), &json!({}))
            .is_err());
    }

    #[test]
    fn refuses_what_it_cannot_evaluate() {
        for rule in [
            "self.size() > 0",
            "self.a != 'x'",
            "'x' in self.list",
            "has(self.a) ? 1 : 0",
            "self.a.startsWith('x')",
            "has(self)",
            "self.a",
            "has(self.a) ||",
            "other.a == 'x'",
            "has(self.a) == self.b",
            "has(self.a) == has(self.b) == has(self.c)",
        ] {
            assert!(Rule::parse(rule).is_err(), "{rule} parsed");
        }
    }
}
