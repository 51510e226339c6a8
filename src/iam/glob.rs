//! Glob patterns with `*` and `?` for guardrails: matching a name against a
//! pattern, and deciding whether two action patterns share a string.
//!
//! Both are quadratic at worst in the lengths involved, never exponential:
//! matching keeps only the last `*` to restart from, and the overlap check
//! walks each pair of positions once. Callers bound the lengths.

/// How letters compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Exactly, as ARNs and Kubernetes names compare.
    Sensitive,
    /// ASCII letters ignoring case, as IAM compares actions.
    Insensitive,
}

/// One position of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// `*`: any run of characters, the empty one included.
    Star,
    /// `?`: exactly one character.
    One,
    /// A character that must be there.
    Literal(char),
}

/// One part of a pattern put together from several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Pattern text: `*` and `?` are wildcards.
    Pattern(&'a str),
    /// Text matched as it is, wildcard characters included.
    Literal(&'a str),
}

/// A glob pattern, kept with the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    tokens: Vec<Token>,
    case: Case,
}

impl Glob {
    /// The pattern `text`, compared with `case`.
    #[must_use]
    pub fn new(text: &str, case: Case) -> Self {
        let tokens = text.chars().map(|c| token(c, case)).collect();
        Self {
            text: text.to_owned(),
            tokens,
            case,
        }
    }

    /// The pattern of `pieces` put end to end, compared with `case`: the
    /// `*` and `?` of a [`Piece::Pattern`] are wildcards, those of a
    /// [`Piece::Literal`] plain characters.
    #[must_use]
    pub fn joined(pieces: &[Piece<'_>], case: Case) -> Self {
        let mut text = String::new();
        let mut tokens = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Pattern(pattern) => {
                    tokens.extend(pattern.chars().map(|c| token(c, case)));
                    text.push_str(pattern);
                }
                Piece::Literal(literal) => {
                    tokens.extend(literal.chars().map(|c| Token::Literal(fold(c, case))));
                    text.push_str(literal);
                }
            }
        }
        Self { text, tokens, case }
    }

    /// A pattern read from a template, as AWS writes ARN formats
    /// (`arn:${Partition}:s3:::${BucketName}`) and condition keys
    /// (`aws:RequestTag/${TagKey}`), and as policies write variables
    /// (`${aws:username}`): each `${...}` stands for any run of
    /// characters, like `*`. An unclosed `${` is read as written.
    #[must_use]
    pub fn template(text: &str, case: Case) -> Self {
        let mut tokens = Vec::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let Some(length) = rest[start..].find('}') else {
                break;
            };
            tokens.extend(rest[..start].chars().map(|c| token(c, case)));
            tokens.push(Token::Star);
            rest = &rest[start + length + 1..];
        }
        tokens.extend(rest.chars().map(|c| token(c, case)));
        Self {
            text: text.to_owned(),
            tokens,
            case,
        }
    }

    /// How many positions the pattern has: what matching and overlap cost
    /// grows with.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the pattern is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern has no `*` or `?`.
    #[must_use]
    pub fn is_literal(&self) -> bool {
        self.tokens
            .iter()
            .all(|token| matches!(token, Token::Literal(_)))
    }

    /// Whether `subject` matches the whole pattern.
    #[must_use]
    pub fn matches(&self, subject: &str) -> bool {
        let case = self.case;
        // ARNs and names are ASCII: read their bytes and spare a copy.
        if subject.is_ascii() {
            let subject = subject.as_bytes();
            match_tokens(&self.tokens, subject.len(), |at| {
                fold(char::from(subject[at]), case)
            })
        } else {
            let subject: Vec<char> = subject.chars().map(|c| fold(c, case)).collect();
            match_tokens(&self.tokens, subject.len(), |at| subject[at])
        }
    }

    /// Whether some string matches both patterns, letters compared without
    /// case.
    #[must_use]
    pub fn overlaps(&self, other: &Self) -> bool {
        overlap(&self.tokens, &other.tokens)
    }

    /// Whether some string matches both this pattern and `text` read as a
    /// pattern compared without case, as `overlaps` decides it.
    ///
    /// Most actions of a policy differ from a denied pattern in their
    /// first or last letters, before either has a wildcard: no string can
    /// match both then, and that is told without compiling `text`.
    #[must_use]
    pub fn overlaps_text(&self, text: &str) -> bool {
        let text_tokens = || text.chars().map(|c| token(c, Case::Insensitive));
        if literals_differ(self.tokens.iter().copied(), text_tokens())
            || literals_differ(self.tokens.iter().rev().copied(), text_tokens().rev())
        {
            return false;
        }
        let text: Vec<Token> = text_tokens().collect();
        overlap(&self.tokens, &text)
    }
}

/// Whether `subject` matches `template` (read as [`Glob::template`] reads
/// it), letters compared without case, without building a pattern: what
/// comparing a literal ARN with an ARN format takes.
#[must_use]
pub fn template_matches(template: &str, subject: &str) -> bool {
    // ARN formats are short; longer text is compiled as usual.
    let mut small = [Token::Star; 256];
    let mut length = 0;
    let mut rest = template;
    let mut fits = true;
    let mut push = |token: Token| {
        if length < small.len() {
            small[length] = token;
            length += 1;
        } else {
            fits = false;
        }
    };
    while let Some(start) = rest.find("${") {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        rest[..start]
            .chars()
            .for_each(|c| push(token(c, Case::Insensitive)));
        push(Token::Star);
        rest = &rest[start + end + 1..];
    }
    rest.chars().for_each(|c| push(token(c, Case::Insensitive)));
    if !fits {
        return Glob::template(template, Case::Insensitive).matches(subject);
    }
    let pattern = &small[..length];
    if subject.is_ascii() {
        let bytes = subject.as_bytes();
        match_tokens(pattern, bytes.len(), |at| {
            char::from(bytes[at]).to_ascii_lowercase()
        })
    } else {
        let chars: Vec<char> = subject.chars().map(|c| c.to_ascii_lowercase()).collect();
        match_tokens(pattern, chars.len(), |at| chars[at])
    }
}

/// Whether two patterns, read from the same end, have different letters
/// at one position before either has a wildcard: then no string matches
/// both, since both fix that position to their own letter.
fn literals_differ(one: impl Iterator<Item = Token>, other: impl Iterator<Item = Token>) -> bool {
    for pair in one.zip(other) {
        match pair {
            (Token::Literal(one), Token::Literal(other)) if one != other => return true,
            (Token::Literal(_), Token::Literal(_)) => {}
            _ => return false,
        }
    }
    false
}

/// The token a pattern's character stands for.
fn token(c: char, case: Case) -> Token {
    match c {
        '*' => Token::Star,
        '?' => Token::One,
        other => Token::Literal(fold(other, case)),
    }
}

/// The two-pointer match of `pattern` against a subject of `length`
/// characters, the one at each position given by `at`.
fn match_tokens(pattern: &[Token], length: usize, at: impl Fn(usize) -> char) -> bool {
    let (mut p, mut s) = (0, 0);
    // The last `*` seen and the subject position it was last tried at: on
    // a mismatch it takes one more character, and earlier stars need never
    // be revisited, since any later star can absorb what they would have.
    let mut restart: Option<(usize, usize)> = None;
    while s < length {
        match pattern.get(p) {
            Some(Token::Star) => {
                restart = Some((p, s));
                p += 1;
            }
            Some(Token::One) => {
                p += 1;
                s += 1;
            }
            Some(Token::Literal(c)) if *c == at(s) => {
                p += 1;
                s += 1;
            }
            _ => match restart {
                Some((star, tried)) => {
                    p = star + 1;
                    s = tried + 1;
                    restart = Some((star, tried + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|token| *token == Token::Star)
}

fn fold(c: char, case: Case) -> char {
    match case {
        Case::Sensitive => c,
        Case::Insensitive => c.to_ascii_lowercase(),
    }
}

/// Reachability in the product of the two patterns' automata. State
/// `(i, j)` means a common prefix has been read with `a[..i]` and `b[..j]`
/// consumed; every move goes to a state no smaller in either coordinate
/// (a `*` reading a character stays put, but `*` against `*` reading one
/// is a loop that reaches nothing new), so one pass in order decides it.
fn overlap(left: &[Token], right: &[Token]) -> bool {
    let width = right.len() + 1;
    let cells = (left.len() + 1) * width;
    // Action patterns are short: most products fit on the stack.
    let mut small = [false; 1024];
    let mut large = Vec::new();
    let reached: &mut [bool] = if cells <= small.len() {
        &mut small[..cells]
    } else {
        large.resize(cells, false);
        &mut large
    };
    reached[0] = true;
    for at_left in 0..=left.len() {
        for at_right in 0..=right.len() {
            if !reached[at_left * width + at_right] {
                continue;
            }
            let (here_left, here_right) = (left.get(at_left), right.get(at_right));
            // A star may also match nothing.
            if here_left == Some(&Token::Star) {
                reached[(at_left + 1) * width + at_right] = true;
            }
            if here_right == Some(&Token::Star) {
                reached[at_left * width + at_right + 1] = true;
            }
            let (Some(here_left), Some(here_right)) = (here_left, here_right) else {
                continue;
            };
            let common = match (here_left, here_right) {
                (Token::Literal(one), Token::Literal(other)) => one == other,
                _ => true,
            };
            let next_left = at_left + usize::from(*here_left != Token::Star);
            let next_right = at_right + usize::from(*here_right != Token::Star);
            if common && (next_left, next_right) != (at_left, at_right) {
                reached[next_left * width + next_right] = true;
            }
        }
    }
    reached[left.len() * width + right.len()]
}

#[cfg(test)]
mod tests {
    use super::{Case, Glob, Piece};

    fn arn(pattern: &str) -> Glob {
        Glob::new(pattern, Case::Sensitive)
    }

    fn action(pattern: &str) -> Glob {
        Glob::new(pattern, Case::Insensitive)
    }

    #[test]
    fn matching_takes_the_whole_subject() {
        let cases = [
            (
                "arn:aws:iam::aws:policy/Amazon*ReadOnly*",
                "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
                true,
            ),
            (
                "arn:aws:iam::aws:policy/Amazon*ReadOnly*",
                "arn:aws:iam::aws:policy/AmazonS3FullAccess",
                false,
            ),
            ("prod-*", "prod-", true),
            ("prod-*", "Prod-eu", false),
            ("prod-?", "prod-1", true),
            ("prod-?", "prod-12", false),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
            ("a*b*c", "abbbcbc", true),
            ("a*b*c", "abbbcb", false),
            (
                "*a*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
            ("team-é?", "team-éx", true),
        ];
        for (pattern, subject, want) in cases {
            assert_eq!(arn(pattern).matches(subject), want, "{pattern} ~ {subject}");
        }
        assert!(action("IAM:pass*").matches("iam:PassRole"));
        assert!(!arn("IAM:pass*").matches("iam:PassRole"));
    }

    #[test]
    fn the_issues_overlap_examples() {
        let cases = [
            ("*", "iam:*", true),
            ("iam:Pass*", "iam:PassRole", true),
            ("i*:Get*", "iam:*", true),
            ("IAM:PASSROLE", "iam:PassRole", true),
            ("s3:*", "iam:*", false),
            ("iam:Get*", "iam:PassRole", false),
            ("*Role", "iam:Pass*", true),
            ("?", "*", true),
            ("??", "a", false),
            ("", "*", true),
            ("", "?", false),
        ];
        for (a, b, want) in cases {
            assert_eq!(action(a).overlaps(&action(b)), want, "{a} & {b}");
            assert_eq!(action(b).overlaps(&action(a)), want, "{b} & {a}");
        }
    }

    #[test]
    fn joined_pieces_keep_literal_wildcards_literal() {
        let joined = Glob::joined(
            &[Piece::Literal("a*"), Piece::Pattern(".*")],
            Case::Insensitive,
        );
        assert!(joined.matches("A*.x"));
        assert!(!joined.matches("ab.x"));
        assert_eq!(joined.as_str(), "a*.*");
        assert!(!joined.is_literal());
    }

    #[test]
    fn templates_read_placeholders_as_stars() {
        let format = Glob::template(
            "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
            Case::Sensitive,
        );
        assert!(format.matches("arn:aws:s3:::orders/2026/01.json"));
        assert!(!format.matches("arn:aws:s3:::orders"));
        assert!(format.overlaps(&arn("arn:aws:s3:::orders/*")));
        assert!(!format.overlaps(&arn("arn:aws:sqs:us-west-2:111122223333:orders")));
        assert!(super::template_matches(
            "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
            "ARN:aws:s3:::orders/a.json"
        ));
        assert!(!super::template_matches(
            "${BucketName}/${ObjectName}",
            "orders"
        ));
        assert!(super::template_matches(
            "log-group:${Name}:log-stream:${Stream}",
            "log-group:a:log-stream:b"
        ));
        let key = Glob::template("aws:RequestTag/${TagKey}", Case::Insensitive);
        assert!(key.matches("AWS:requesttag/team"));
        assert!(Glob::template("a${b", Case::Sensitive).matches("a${b"));
        assert_eq!(Glob::template("x${y}z", Case::Sensitive).len(), 3);
    }

    #[test]
    fn literal_patterns_are_told_apart() {
        assert!(arn("arn:aws:iam::aws:policy/AdministratorAccess").is_literal());
        assert!(!arn("prod-?").is_literal());
        assert_eq!(arn("prod-*").as_str(), "prod-*");
    }
}
