//! The risks an action carries beyond its access level, from published
//! knowledge in `data/iam-risks/`: cloudsplaining's lists (refreshed by
//! `scripts/update-iam-risks`) and this product's own entries, each with
//! its source. Read on first use, expanded against the catalogue once, and
//! then answered per action number.
//!
//! `PermissionsManagement` is no list: it is the catalogue's access level,
//! so it follows the service authorization reference as it changes.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use super::catalogue::{self, AccessLevel, Action, Catalogue};

/// cloudsplaining's lists, as `scripts/update-iam-risks` wrote them.
pub const CLOUDSPLAINING: &str = include_str!("../../data/iam-risks/cloudsplaining.txt");

/// This product's own knowledge, written by hand with a source per entry.
pub const PRODUCT: &str = include_str!("../../data/iam-risks/product.txt");

/// What an action can do that its access level does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Risk {
    /// Gaining permissions the role was not given: changing IAM, passing
    /// or reusing another role, running code as another principal, binding
    /// a role to a Kubernetes identity, granting Kubernetes access.
    PrivilegeEscalation,
    /// A call that returns credentials, tokens or passwords.
    CredentialExposure,
    /// Reading or writing the contents of data stores and secrets.
    DataAccess,
    /// Stopping, deleting or blinding the account's logging and detection.
    SecurityControls,
    /// The access level "Permissions management".
    PermissionsManagement,
}

impl Risk {
    /// Every risk, in the order refusals list them.
    pub const ALL: [Self; 5] = [
        Self::PrivilegeEscalation,
        Self::CredentialExposure,
        Self::DataAccess,
        Self::SecurityControls,
        Self::PermissionsManagement,
    ];

    /// Its name, as guardrails and the data write it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PrivilegeEscalation => "PrivilegeEscalation",
            Self::CredentialExposure => "CredentialExposure",
            Self::DataAccess => "DataAccess",
            Self::SecurityControls => "SecurityControls",
            Self::PermissionsManagement => "PermissionsManagement",
        }
    }

    /// The risk named `text`, exactly as [`Risk::as_str`] writes it (as
    /// the Input CRD's enum requires).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|risk| risk.as_str() == text)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the data that could not be used, for the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unused {
    /// Which file: `cloudsplaining` or `product`.
    pub file: &'static str,
    /// The line's text.
    pub line: &'static str,
    /// Why: not a record, or a pattern that names no catalogue action.
    pub reason: &'static str,
}

/// Every action's risks, with where each one's knowledge comes from.
#[derive(Debug)]
pub struct Risks {
    /// One bit per [`Risk`] but `PermissionsManagement`, per action number.
    bits: Vec<u8>,
    /// The first source read for an action and risk.
    sources: HashMap<(usize, Risk), &'static str>,
    cloudsplaining_version: &'static str,
    unused: Vec<Unused>,
}

static RISKS: LazyLock<Risks> = LazyLock::new(|| Risks::build(catalogue::get()));

/// The risks, read and expanded on first use.
#[must_use]
pub fn get() -> &'static Risks {
    &RISKS
}

/// Where `PermissionsManagement` comes from.
const ACCESS_LEVEL_SOURCE: &str =
    "the access level of AWS's service authorization reference (data/iam)";

impl Risks {
    /// Reads both files and expands their patterns against `catalogue`:
    /// first every risk given, then every risk taken away.
    #[must_use]
    pub fn build(catalogue: &Catalogue) -> Self {
        let mut risks = Self {
            bits: vec![0; catalogue.action_count()],
            sources: HashMap::new(),
            cloudsplaining_version: CLOUDSPLAINING
                .lines()
                .next()
                .and_then(|header| header.split(' ').nth(1))
                .unwrap_or_default(),
            unused: Vec::new(),
        };
        let files = [("cloudsplaining", CLOUDSPLAINING), ("product", PRODUCT)];
        let mut removals = Vec::new();
        for (file, text) in files {
            let body = text.lines().skip(usize::from(file == "cloudsplaining"));
            for line in body {
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let mut fields = line.splitn(3, '\t');
                let (Some(category), Some(pattern), Some(source)) =
                    (fields.next(), fields.next(), fields.next())
                else {
                    risks.unused.push(Unused {
                        file,
                        line,
                        reason: "not CATEGORY<TAB>PATTERN<TAB>SOURCE",
                    });
                    continue;
                };
                let (removes, category) = match category.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, category),
                };
                let Some(risk) =
                    Risk::parse(category).filter(|risk| *risk != Risk::PermissionsManagement)
                else {
                    risks.unused.push(Unused {
                        file,
                        line,
                        reason: "names no risk this file may give",
                    });
                    continue;
                };
                let actions: Vec<usize> = catalogue
                    .matching(pattern, None)
                    .map(|action| action.number())
                    .collect();
                if actions.is_empty() {
                    risks.unused.push(Unused {
                        file,
                        line,
                        reason: "names no action of the catalogue",
                    });
                    continue;
                }
                if removes {
                    removals.push((risk, actions));
                    continue;
                }
                for number in actions {
                    if let Some(bits) = risks.bits.get_mut(number) {
                        *bits |= risk.bit();
                    }
                    risks.sources.entry((number, risk)).or_insert(source);
                }
            }
        }
        for (risk, actions) in removals {
            for number in actions {
                if let Some(bits) = risks.bits.get_mut(number) {
                    *bits &= !risk.bit();
                }
                risks.sources.remove(&(number, risk));
            }
        }
        risks
    }

    /// Whether `action` carries `risk`.
    #[must_use]
    pub fn carries(&self, action: Action<'_>, risk: Risk) -> bool {
        if risk == Risk::PermissionsManagement {
            return action.level() == AccessLevel::PermissionsManagement;
        }
        self.bits
            .get(action.number())
            .is_some_and(|bits| bits & risk.bit() != 0)
    }

    /// The first of `risks` that `action` carries, with its source.
    #[must_use]
    pub fn first_of(&self, action: Action<'_>, risks: &[Risk]) -> Option<(Risk, &'static str)> {
        risks
            .iter()
            .copied()
            .find(|risk| self.carries(action, *risk))
            .map(|risk| (risk, self.source(action, risk)))
    }

    /// Where the knowledge that `action` carries `risk` comes from (empty
    /// when it does not).
    #[must_use]
    pub fn source(&self, action: Action<'_>, risk: Risk) -> &'static str {
        if risk == Risk::PermissionsManagement {
            return if action.level() == AccessLevel::PermissionsManagement {
                ACCESS_LEVEL_SOURCE
            } else {
                ""
            };
        }
        self.sources
            .get(&(action.number(), risk))
            .copied()
            .unwrap_or_default()
    }

    /// The risks `action` carries.
    pub fn of<'r>(&'r self, action: Action<'r>) -> impl Iterator<Item = Risk> + 'r {
        Risk::ALL
            .into_iter()
            .filter(move |risk| self.carries(action, *risk))
    }

    /// How many actions carry `risk`.
    #[must_use]
    pub fn count(&self, risk: Risk) -> usize {
        if risk == Risk::PermissionsManagement {
            return catalogue::get()
                .matching("*", None)
                .filter(|action| action.level() == AccessLevel::PermissionsManagement)
                .count();
        }
        self.bits
            .iter()
            .filter(|bits| *bits & risk.bit() != 0)
            .count()
    }

    /// The cloudsplaining release the data is from.
    #[must_use]
    pub fn cloudsplaining_version(&self) -> &'static str {
        self.cloudsplaining_version
    }

    /// Lines that gave nothing: not records, or patterns that name no
    /// action of the catalogue (an action AWS retired, or a typo upstream).
    #[must_use]
    pub fn unused(&self) -> &[Unused] {
        &self.unused
    }
}
