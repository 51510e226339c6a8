//! Checks of a statement's actions: unknown services and actions,
//! entries another already grants, and iam:PassRole on every role.

use std::collections::{HashMap, HashSet};

use super::{Check, Resolved, StatementLint, MAX_ACTION_CHARS};
use crate::iam::glob::{Case, Glob};
use crate::iam::policy::Strings;
use crate::iam::similar;

impl StatementLint<'_> {
    /// Looks up every action entry, reporting those that name nothing.
    pub(super) fn resolve_actions(&mut self, actions: &Strings, element: &str) -> Vec<Resolved> {
        let mut resolved = Vec::with_capacity(actions.items.len());
        for (position, text) in &actions.items {
            let path = || actions.path(element, *position);
            let outcome = self.resolve(text);
            match outcome {
                Ok(resolution) => resolved.push(resolution),
                Err((check, message)) => {
                    self.report(check, path(), text, message);
                    resolved.push(Resolved::Unknown);
                }
            }
        }
        resolved
    }

    fn resolve(&self, text: &str) -> Result<Resolved, (Check, String)> {
        if text == "*" {
            return Ok(Resolved::Broad);
        }
        if text.chars().count() > MAX_ACTION_CHARS {
            return Err((
                Check::InvalidAction,
                format!("longer than {MAX_ACTION_CHARS} characters; no IAM action is"),
            ));
        }
        let Some((prefix, name)) = text.split_once(':') else {
            return Err((
                Check::InvalidAction,
                "an action is service:Action, such as s3:GetObject (only \"*\" stands alone)"
                    .to_owned(),
            ));
        };
        let wild = |part: &str| part.contains(['*', '?']);
        if wild(prefix) {
            let glob = Glob::new(prefix, Case::Insensitive);
            let any = self
                .catalogue
                .services()
                .take_while(|_| self.budget.spend(1))
                .any(|service| glob.matches(service.prefix()));
            if self.budget.exhausted() {
                return Ok(Resolved::Undecided);
            }
            if !any {
                return Err((
                    Check::InvalidServiceInAction,
                    format!("the prefix pattern {prefix:?} matches no service"),
                ));
            }
            return self.any_match(text).map(|()| Resolved::Broad);
        }
        let Some(service) = self.catalogue.service(prefix) else {
            let suggestion = similar::closest(
                prefix,
                self.catalogue.services().map(|s| s.prefix()),
                self.hints,
            );
            return Err((
                Check::InvalidServiceInAction,
                format!(
                    "no service has the prefix {prefix:?}{}",
                    hint(suggestion.map(|s| format!("{s}:{name}")))
                ),
            ));
        };
        if wild(name) {
            return self
                .any_match(text)
                .map(|()| Resolved::Known(service.number(), None));
        }
        if let Some(action) = service.action(name) {
            return Ok(Resolved::Known(service.number(), Some(action.number())));
        }
        let names = service.actions().map(|action| action.name());
        let suggestion = similar::closest(name, names, self.hints);
        Err((
            Check::InvalidAction,
            format!(
                "{} has no action {name:?}{}",
                service.prefix(),
                hint(suggestion.map(|s| format!("{}:{s}", service.prefix())))
            ),
        ))
    }

    /// Whether a pattern matches some action (undecided counts as yes).
    fn any_match(&self, text: &str) -> Result<(), (Check, String)> {
        if self
            .catalogue
            .matching(text, Some(self.budget))
            .next()
            .is_some()
            || self.budget.exhausted()
        {
            Ok(())
        } else {
            Err((
                Check::InvalidAction,
                "the pattern matches no action".to_owned(),
            ))
        }
    }

    /// Literal actions already granted by another entry of the statement.
    /// A literal is compared only with the patterns of its own service and
    /// those whose service part has wildcards: a policy's many patterns of
    /// other services cost it nothing.
    pub(super) fn check_redundant(&mut self, actions: &Strings, resolved: &[Resolved]) {
        // Patterns by their lower-case service part, wild ones apart.
        let mut by_service: HashMap<String, Vec<(usize, &str, Glob)>> = HashMap::new();
        let mut wild: Vec<(usize, &str, Glob)> = Vec::new();
        for ((position, text), resolution) in actions.items.iter().zip(resolved) {
            if !text.contains(['*', '?']) || matches!(resolution, Resolved::Unknown) {
                continue;
            }
            let entry = (*position, text.as_str(), Glob::new(text, Case::Insensitive));
            match text.split_once(':') {
                Some((service, _)) if !service.contains(['*', '?']) => by_service
                    .entry(service.to_ascii_lowercase())
                    .or_default()
                    .push(entry),
                _ => wild.push(entry),
            }
        }
        let mut seen: HashSet<String> = HashSet::new();
        let mut found = Vec::new();
        for ((position, text), resolution) in actions.items.iter().zip(resolved) {
            if text.contains(['*', '?']) || !matches!(resolution, Resolved::Known(..)) {
                continue;
            }
            let folded = text.to_ascii_lowercase();
            let service = folded.split_once(':').map_or("", |(service, _)| service);
            let own = by_service.get(service).map_or(&[][..], Vec::as_slice);
            if !seen.insert(folded.clone()) {
                found.push((*position, text, "it is listed twice".to_owned()));
                continue;
            }
            let units = u64::try_from(own.len() + wild.len()).unwrap_or(u64::MAX);
            if !self.budget.spend(units) {
                return;
            }
            if let Some((at, glob_text, _)) = own
                .iter()
                .chain(&wild)
                .find(|(_, _, glob)| glob.matches(text))
            {
                found.push((
                    *position,
                    text,
                    format!(
                        "{glob_text:?} ({}) already grants it",
                        actions.path("Action", *at)
                    ),
                ));
            }
        }
        for (position, text, message) in found {
            self.report(
                Check::RedundantAction,
                actions.path(&self.element("Action"), position),
                text,
                message,
            );
        }
    }

    pub(super) fn check_pass_role(&mut self, actions: &Strings, resolved: &[Resolved]) {
        if !self.statement.allows() {
            return;
        }
        let Some((_, _)) = self.star_resource() else {
            return;
        };
        let limited = self.statement.condition.given().is_some_and(|conditions| {
            conditions
                .iter()
                .flat_map(|c| &c.keys)
                .any(|key| key.eq_ignore_ascii_case("iam:PassedToService"))
        });
        if limited {
            return;
        }
        for ((position, text), resolution) in actions.items.iter().zip(resolved) {
            if matches!(resolution, Resolved::Unknown) {
                continue;
            }
            let literal = !text.contains(['*', '?']);
            let passes = if literal {
                text.eq_ignore_ascii_case("iam:PassRole")
            } else {
                Glob::new(text, Case::Insensitive).matches("iam:PassRole")
            };
            if passes {
                let (check, message) = if literal {
                    (
                        Check::PassRoleWithStarInResource,
                        "iam:PassRole on \"*\" lets the pod hand any role (an administrator's too) to a service it controls; name the roles in Resource or add the iam:PassedToService condition",
                    )
                } else {
                    (
                        Check::PassRoleWithStarInActionAndResource,
                        "this pattern covers iam:PassRole, and on \"*\" that lets the pod hand any role (an administrator's too) to a service it controls; list the actions, name the roles in Resource or add the iam:PassedToService condition",
                    )
                };
                self.report(
                    check,
                    actions.path(&self.element("Action"), *position),
                    text,
                    message.to_owned(),
                );
                return;
            }
        }
    }
}

fn hint(suggestion: Option<String>) -> String {
    suggestion.map_or_else(String::new, |text| format!("; did you mean {text}?"))
}
