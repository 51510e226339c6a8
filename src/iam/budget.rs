//! A bound on the work one caller may spend on catalogue searches, glob
//! matching and suggestions, so that no policy (however hostile) costs more
//! than a fixed amount, whatever its globs expand to.

use std::cell::Cell;

/// Units of work left. One unit is about one glob match of an action name
/// or one cell of a pattern overlap: tens of nanoseconds.
#[derive(Debug)]
pub struct Budget {
    left: Cell<u64>,
    spent_out: Cell<bool>,
}

impl Budget {
    /// A budget of `units`.
    #[must_use]
    pub fn new(units: u64) -> Self {
        Self {
            left: Cell::new(units),
            spent_out: Cell::new(false),
        }
    }

    /// A budget that never runs out, for trusted input (the function's own
    /// policies, tests).
    #[must_use]
    pub fn unlimited() -> Self {
        Self::new(u64::MAX)
    }

    /// Takes `units`; false (and nothing taken) when fewer are left, after
    /// which [`Budget::exhausted`] says so.
    pub fn spend(&self, units: u64) -> bool {
        let left = self.left.get();
        if units > left {
            self.spent_out.set(true);
            return false;
        }
        self.left.set(left - units);
        true
    }

    /// The units left.
    #[must_use]
    pub fn left(&self) -> u64 {
        self.left.get()
    }

    /// Whether some work was refused for want of units: an answer given
    /// since may be incomplete.
    #[must_use]
    pub fn exhausted(&self) -> bool {
        self.spent_out.get()
    }
}

#[cfg(test)]
mod tests {
    use super::Budget;

    #[test]
    fn spending_stops_at_the_bound_and_remembers_it() {
        let budget = Budget::new(10);
        assert!(budget.spend(4));
        assert!(budget.spend(6));
        assert!(!budget.exhausted());
        assert!(!budget.spend(1));
        assert!(budget.exhausted());
        assert!(Budget::unlimited().spend(u64::MAX / 2));
    }
}
