//! What a real server's agent (`agent_check`, HAProxy's agent protocol) has said, pure:
//! each reply changes only what it mentions (HAProxy: "parameters which are not
//! advertised by the agent are not changed"), and only the agent can undo what it set.
//!
//! - A percentage scales the real server's full weight (rounded down; with a hashing
//!   scheduler only 0 or the full weight, so that no flow moves for a mere scaling).
//! - `drain` makes the weight 0: the server stays in the table, established connections
//!   go on, no new ones; `maint` takes it out of the table.
//! - `down`/`fail`/`stopped` take it out as a failed check would.
//! - `up` and `ready` each lift what the agent set against the server: drain, maint and
//!   down (HAProxy splits them between `ready`, administrative, and `up`, operational;
//!   lvsmon has no administrative state apart from the operator's override, so either
//!   word brings the server back). A percentage stays until the agent sends another.
//!   The health checks still decide on their own: the server is up while every check
//!   is.
//! - An agent that cannot be reached, stays silent, or says something that is not the
//!   protocol changes nothing (HAProxy: "failure to connect to the agent is not
//!   considered an error"); a reply that is not understood is logged once, until the
//!   agent says something valid again.

use std::fmt;

use crate::probe::outcome::{Admin, AgentReply};

/// The agent's standing orders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AgentState {
    /// Percent of the full weight (None: the agent never sent one).
    pub percent: Option<u8>,
    pub drain: bool,
    pub maint: bool,
    /// The agent said down/fail/stopped and has not said up since.
    pub down: bool,
    /// The last reply was refused and logged: the next refusals are not.
    pub complained: bool,
}

impl AgentState {
    /// Applies a valid reply; returns whether the standing orders changed.
    pub fn apply(&mut self, reply: &AgentReply) -> bool {
        let before = *self;
        self.complained = false;
        if let Some(p) = reply.percent {
            self.percent = Some(p);
        }
        // Lifting first, so that "up drain" (any order) ends drained.
        if reply.admin == Some(Admin::Ready) || reply.up == Some(true) {
            self.drain = false;
            self.maint = false;
            self.down = false;
        }
        match reply.admin {
            Some(Admin::Drain) => {
                self.drain = true;
                self.maint = false;
            }
            Some(Admin::Maint) => {
                self.maint = true;
                self.drain = false;
            }
            Some(Admin::Ready) | None => {}
        }
        if reply.up == Some(false) {
            self.down = true;
        }
        Self {
            complained: false,
            ..before
        } != *self
    }

    /// Whether the agent lets the server be in the table.
    pub fn allows_up(&self) -> bool {
        !self.down && !self.maint
    }

    /// The weight the agent leaves of `full`. `hashing`: only 0 or `full`.
    pub fn weight(&self, full: i32, hashing: bool) -> i32 {
        if self.drain {
            return 0;
        }
        match self.percent {
            None | Some(100) => full,
            Some(0) => 0,
            Some(_) if hashing => full,
            Some(p) => (i64::from(full.max(0)) * i64::from(p) / 100) as i32,
        }
    }

    /// Whether there is anything to show (the agent has said something that matters).
    pub fn is_set(&self) -> bool {
        self.percent.is_some() || self.drain || self.maint || self.down
    }
}

/// `50%`, `drain`, `down, maint`, `up`: for status and the log.
impl fmt::Display for AgentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        let mut word = |f: &mut fmt::Formatter<'_>, w: fmt::Arguments<'_>| {
            let r = write!(f, "{}{}", sep, w);
            sep = ", ";
            r
        };
        if self.down {
            word(f, format_args!("down"))?;
        }
        if self.maint {
            word(f, format_args!("maint"))?;
        }
        if self.drain {
            word(f, format_args!("drain"))?;
        }
        if let Some(p) = self.percent {
            word(f, format_args!("{}%", p))?;
        }
        if sep.is_empty() {
            f.write_str("up")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(percent: Option<u8>, admin: Option<Admin>, up: Option<bool>) -> AgentReply {
        AgentReply { percent, admin, up }
    }

    #[test]
    fn each_reply_changes_only_what_it_mentions() {
        let mut a = AgentState::default();
        assert!(a.allows_up());
        assert_eq!(a.weight(10, false), 10);
        assert_eq!(a.to_string(), "up");
        // drain: weight 0, still in the table.
        assert!(a.apply(&said(None, Some(Admin::Drain), None)));
        assert_eq!((a.allows_up(), a.weight(10, false)), (true, 0));
        assert_eq!(a.to_string(), "drain");
        // A percentage alone does not lift the drain.
        assert!(a.apply(&said(Some(50), None, None)));
        assert_eq!(a.weight(10, false), 0);
        assert_eq!(a.to_string(), "drain, 50%");
        // ready lifts it; the percentage stays.
        assert!(a.apply(&said(None, Some(Admin::Ready), None)));
        assert_eq!(a.weight(10, false), 5);
        assert_eq!(a.to_string(), "50%");
        // Saying the same again changes nothing.
        assert!(!a.apply(&said(Some(50), Some(Admin::Ready), Some(true))));
        // down takes it out, up lifts it.
        assert!(a.apply(&said(None, None, Some(false))));
        assert!(!a.allows_up());
        assert_eq!(a.to_string(), "down, 50%");
        assert!(a.apply(&said(None, None, Some(true))));
        assert!(a.allows_up());
        // maint takes it out; ready brings it back, and so does up.
        assert!(a.apply(&said(None, Some(Admin::Maint), None)));
        assert!(!a.allows_up());
        assert!(a.apply(&said(None, Some(Admin::Ready), None)));
        assert!(a.allows_up());
        assert!(a.apply(&said(None, Some(Admin::Maint), Some(false))));
        assert_eq!(a.to_string(), "down, maint, 50%");
        assert!(a.apply(&said(None, None, Some(true))));
        assert_eq!((a.allows_up(), a.weight(10, false)), (true, 5));
        // up lifts a drain too; "up drain" in one reply ends drained.
        assert!(a.apply(&said(None, Some(Admin::Drain), None)));
        assert!(a.apply(&said(None, None, Some(true))));
        assert_eq!(a.weight(10, false), 5);
        assert!(a.apply(&said(None, Some(Admin::Drain), Some(true))));
        assert_eq!(a.weight(10, false), 0);
        // 100% is the full weight again.
        assert!(a.apply(&said(Some(100), Some(Admin::Ready), None)));
        assert_eq!(a.weight(10, false), 10);
    }

    #[test]
    fn percentages_scale_the_full_weight_and_hashing_keeps_it_whole() {
        let a = |p| AgentState {
            percent: Some(p),
            ..AgentState::default()
        };
        assert_eq!(a(75).weight(4, false), 3);
        assert_eq!(a(33).weight(10, false), 3);
        assert_eq!(a(1).weight(10, false), 0);
        assert_eq!(a(0).weight(10, false), 0);
        assert_eq!(a(50).weight(65535, false), 32767);
        assert_eq!(a(50).weight(10, true), 10);
        assert_eq!(a(0).weight(10, true), 0);
        let drained = AgentState {
            drain: true,
            ..AgentState::default()
        };
        assert_eq!(drained.weight(10, true), 0);
    }
}
