//! Health state machines, pure (time and randomness are passed in): one checker's
//! retry/rise/up/down logic and its schedule (`checker`), a virtual service's quorum
//! with hysteresis (`quorum`) and a returning real server's weight ramp (`slow_start`).
//! The director owns the instances; this module owns the rules.

pub mod checker;
pub mod quorum;
pub mod slow_start;
