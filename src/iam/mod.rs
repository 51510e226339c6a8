//! What IAM itself knows, apart from any claim and from Crossplane: action
//! globs and their overlap.
//!
//! May import: nothing of this crate but its own submodules. It never
//! imports `params`, `compose`, `function` or `protocol`: the layers above
//! ask it about policies, it knows nothing of them.

pub mod glob;
pub mod well_known;
