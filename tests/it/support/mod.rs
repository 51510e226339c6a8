//! Helpers shared by the test modules.

pub mod cel;
pub mod crd;
pub mod function;
pub mod provider;
pub mod raw;
pub mod server;
