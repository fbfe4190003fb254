//! The director's side of `agent_check` (`health::agent` holds the rules): an agent's
//! reply updates its checker, whose up/down counts like any check's and whose orders
//! scale the weight of every real server using it; changes and the first refused reply
//! of a run are logged once per real server. Unreachable or silent agents are quiet.

use std::time::Instant;

use log::Level;

use super::{log_real, CheckerId, Director, Real};
use crate::health::checker::{AgentNote, Timers, Transition};
use crate::ipvsadm::rule::AddrPort;
use crate::model::config::{is_hashing, CheckKind};
use crate::probe::outcome::Outcome;

impl Director {
    /// An agent_check attempt of checker `id` finished (it was running and is live).
    pub(super) fn on_agent_outcome(&mut self, id: CheckerId, outcome: &Outcome, now: Instant) {
        let c = &mut self.checkers[id as usize];
        let (next, note) =
            c.state
                .record_agent(&Timers::of(&c.check), outcome, now, self.rng.next_u64());
        self.sched.schedule(id, next.at);
        self.late_starts += u64::from(next.late);
        if note == AgentNote::Quiet {
            return;
        }
        let agent = c.state.agent;
        let target = c.check.target;
        for u in c.users.clone() {
            let ri = self.fanout[u] as usize;
            let key = self.svcs[self.reals[ri].svc as usize].key;
            let addr = self.reals[ri].addr;
            match note {
                AgentNote::Refused(why) => log_real(
                    Level::Warn,
                    &key,
                    &addr,
                    format_args!("agent {} reply ignored: {}", AddrPort(&target), why),
                ),
                _ => log_real(Level::Info, &key, &addr, format_args!("agent: {}", agent)),
            }
            if next.transition != Transition::None {
                self.update_real(ri, now, None, next.transition == Transition::WeightChanged);
            }
        }
    }

    /// `weight` (what the configuration and the checks give) as the agents of `r` leave
    /// it; with a hashing scheduler only 0 or `weight`.
    pub(super) fn agent_weight(&self, r: &Real, weight: i32) -> i32 {
        let mut w = weight;
        for &c in r.checkers.iter() {
            let checker = &self.checkers[c as usize];
            if checker.check.kind == CheckKind::Agent {
                let hashing = is_hashing(&self.svcs[r.svc as usize].sched);
                w = checker.state.agent.weight(w, hashing);
            }
        }
        w
    }

    /// What the agent of `r` has said, if it has one and it has said anything that
    /// matters (for status).
    pub(super) fn agent_of(&self, r: &Real) -> Option<crate::health::agent::AgentState> {
        r.checkers
            .iter()
            .map(|&c| &self.checkers[c as usize])
            .find(|c| c.check.kind == CheckKind::Agent)
            .map(|c| c.state.agent)
    }
}
