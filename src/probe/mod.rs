//! Probes: one non-blocking attempt at checking a target, driven by the reactor.

pub mod outcome;
