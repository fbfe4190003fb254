//! The data lvsmon works on: the resolved configuration and the capacities that bound it.

pub mod config;
pub mod duration;
pub mod fasthash;
pub mod limits;
pub mod table;
