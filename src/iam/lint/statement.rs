//! Checks of a statement's shape: its effect, principal, and the
//! elements that come in pairs (Action/NotAction, Resource/NotResource).

use super::{Check, Kind, StatementLint};
use crate::iam::policy::{Field, Strings};

impl StatementLint<'_> {
    /// The statement's elements: present, alone, and with what they need.
    pub(super) fn check_elements(&mut self) {
        let statement = self.statement;
        match &statement.effect {
            Field::Absent => self.report(
                Check::MissingEffect,
                self.base.clone(),
                "",
                "add \"Effect\": \"Allow\" or \"Deny\"".to_owned(),
            ),
            Field::Given(effect) if effect != "Allow" && effect != "Deny" => self.report(
                Check::InvalidEffect,
                self.element("Effect"),
                effect,
                "the effect is Allow or Deny, spelt so".to_owned(),
            ),
            _ => {}
        }
        match (self.kind, statement.principal) {
            (Kind::Identity, true) => self.report(
                Check::UnsupportedPrincipal,
                self.element("Principal"),
                "",
                "a permissions policy applies to the role it is attached to; remove Principal"
                    .to_owned(),
            ),
            (Kind::Trust, false) => self.report(
                Check::MissingPrincipal,
                self.base.clone(),
                "",
                "a trust policy names who may assume the role in Principal".to_owned(),
            ),
            _ => {}
        }
        self.pair(
            "Action",
            &statement.action,
            "NotAction",
            &statement.not_action,
            Check::MissingAction,
        );
        if self.kind == Kind::Identity {
            self.pair(
                "Resource",
                &statement.resource,
                "NotResource",
                &statement.not_resource,
                Check::MissingResource,
            );
        }
        if statement.allows() && statement.effect.is_present() {
            if statement.not_action.is_present() {
                self.report(
                    Check::AllowWithNotAction,
                    self.element("NotAction"),
                    "",
                    "Allow with NotAction grants every action not listed, those of services AWS adds later included; list the actions to allow".to_owned(),
                );
            }
            if statement.not_resource.is_present() {
                self.report(
                    Check::AllowWithNotResource,
                    self.element("NotResource"),
                    "",
                    "Allow with NotResource grants the actions on every resource not listed; list the resources to allow".to_owned(),
                );
            }
        }
    }

    /// One of `one` and `other` must be given, not both, and not empty.
    fn pair(
        &mut self,
        one: &str,
        one_field: &Field<Strings>,
        other: &str,
        other_field: &Field<Strings>,
        missing: Check,
    ) {
        match (one_field.is_present(), other_field.is_present()) {
            (true, true) => self.report(
                Check::UnsupportedElementCombination,
                self.element(other),
                "",
                format!("a statement has {one} or {other}, not both"),
            ),
            (false, false) => self.report(
                missing,
                self.base.clone(),
                "",
                format!("add {one} (or {other})"),
            ),
            _ => {
                let (name, field) = if one_field.is_present() {
                    (one, one_field)
                } else {
                    (other, other_field)
                };
                if field
                    .given()
                    .is_some_and(|strings| strings.items.is_empty())
                {
                    self.report(
                        missing,
                        self.element(name),
                        "",
                        format!("{name} is an empty list; IAM refuses a statement without one"),
                    );
                }
            }
        }
    }
}
