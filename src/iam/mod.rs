//! What IAM itself knows, apart from any claim and from Crossplane: policy
//! documents, the action catalogue, action globs and their overlap, the
//! lint that checks a policy against them, the risks each action carries, AWS's managed policies (which
//! exist, and what each grants), and the vetted permission sets of
//! well-known add-ons.
//!
//! May import: nothing of this crate but its own submodules. It never
//! imports `params`, `compose`, `function` or `protocol`: the layers above
//! ask it about policies, it knows nothing of them.

pub mod arn;
pub mod budget;
pub mod catalogue;
pub mod glob;
pub mod lint;
pub mod managed;
pub mod policy;
pub mod risk;
pub mod similar;
pub mod well_known;
