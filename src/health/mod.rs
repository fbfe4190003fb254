//! Health state machines, pure (time and randomness are passed in): one checker's
//! retry/up/down logic (`checker`) and a virtual service's quorum with hysteresis
//! (`quorum`). The director owns the instances; this module owns the rules.

pub mod checker;
pub mod quorum;
