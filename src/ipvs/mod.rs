//! The IPVS table: values (`rule`), the `Backend` trait, and the backends.

pub mod backend;
pub mod rule;
