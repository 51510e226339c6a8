//! Helpers shared by the test modules.

pub mod cel;
pub mod control_plane;
pub mod crd;
pub mod function;
pub mod raw;
pub mod server;
