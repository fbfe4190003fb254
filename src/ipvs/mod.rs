//! The IPVS table: values (`rule`), the `Backend` trait, and the backends.

pub mod backend;
pub mod dryrun;
pub mod netlink;
pub mod reconcile;
pub mod rule;
pub mod sockopt;
pub mod wire;
