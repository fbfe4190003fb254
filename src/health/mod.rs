//! Health state machines, pure (time and randomness are passed in): one checker's
//! retry/rise/up/down logic and its schedule (`checker`), a virtual service's quorum
//! with hysteresis (`quorum`), a returning real server's weight ramp (`slow_start`) and
//! what its agent has said (`agent`, HAProxy's agent protocol).
//! The director owns the instances; this module owns the rules.

pub mod agent;
pub mod checker;
pub mod quorum;
pub mod slow_start;
