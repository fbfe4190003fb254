//! Desired vs believed table to operations, pure. The caller lists every entry it manages
//! once, with what it wants and what it believes the kernel holds; `diff` emits the
//! operations that turn one into the other, in an order that never leaves a service
//! without a destination it should have:
//! 1. AddService / EditService,
//! 2. AddDest / EditDest (so a recovering real server is in before a sorry server leaves),
//! 3. DelDest,
//! 4. DelService.
//!
//! Entries are keyed by the caller (one entry per service key, one per service+address),
//! so an address wanted in one role and unwanted in another never yields an add and a
//! delete of the same destination.

use std::net::SocketAddr;

use crate::ipvs::rule::{svc_flags, DestSpec, Family, Forward, Op, ServiceSpec};
use crate::model::table::{FixedTable, Full};

/// One managed service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SvcEntry {
    pub desired: Option<ServiceSpec>,
    pub believed: Option<ServiceSpec>,
    /// The service holds destinations lvsmon does not manage: when it is no longer
    /// wanted, delete only lvsmon's destinations, not the service.
    pub foreign: bool,
}

/// One managed destination of `svc` (an index into the service list) at `addr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestEntry {
    pub svc: u16,
    pub addr: SocketAddr,
    pub desired: Option<DestSpec>,
    pub believed: Option<DestSpec>,
}

/// Whether the kernel's service differs from the wanted one in a way an EditService
/// fixes. HASHED is kernel bookkeeping; timeout and netmask only matter when persistent.
pub fn service_differs(want: &ServiceSpec, have: &ServiceSpec) -> bool {
    let mask = !svc_flags::HASHED;
    if want.sched != have.sched || want.flags & mask != have.flags & mask {
        return true;
    }
    if want.pe_name != have.pe_name {
        return true;
    }
    if want.flags & svc_flags::PERSISTENT != 0 {
        let default_mask = match want.key.family() {
            Family::Inet => 0xffff_ffff,
            Family::Inet6 => 128,
        };
        let norm = |m: u32| if m == 0 { default_mask } else { m };
        return want.timeout != have.timeout || norm(want.netmask) != norm(have.netmask);
    }
    false
}

/// Whether the kernel's destination differs from the wanted one. Tunnel parameters only
/// matter for tunnelled destinations.
pub fn dest_differs(want: &DestSpec, have: &DestSpec) -> bool {
    want.weight != have.weight
        || want.forward != have.forward
        || want.u_threshold != have.u_threshold
        || want.l_threshold != have.l_threshold
        || (want.forward == Forward::Tunnel && want.tunnel != have.tunnel)
}

/// What happens to a service in this pass.
fn svc_fate(s: &SvcEntry) -> Fate {
    match (&s.desired, &s.believed) {
        (None, Some(_)) if s.foreign => Fate::Strip,
        (None, Some(_)) => Fate::Delete,
        (None, None) => Fate::Gone,
        (Some(_), _) => Fate::Keep,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Keep,
    /// Delete lvsmon's destinations, keep the service.
    Strip,
    Delete,
    Gone,
}

/// Appends to `ops` (not cleared) the operations that bring believed to desired.
pub fn diff(svcs: &[SvcEntry], dests: &[DestEntry], ops: &mut FixedTable<Op>) -> Result<(), Full> {
    for s in svcs {
        match (&s.desired, &s.believed) {
            (Some(want), None) => {
                ops.push(Op::AddService(want.clone()))?;
            }
            (Some(want), Some(have)) if service_differs(want, have) => {
                ops.push(Op::EditService(want.clone()))?;
            }
            _ => {}
        }
    }
    for d in dests {
        let Some(s) = svcs.get(d.svc as usize) else {
            continue;
        };
        let (Fate::Keep, Some(want)) = (svc_fate(s), &d.desired) else {
            continue;
        };
        let Some(key) = s.desired.as_ref().map(|x| x.key) else {
            continue;
        };
        match &d.believed {
            None => {
                ops.push(Op::AddDest(key, *want))?;
            }
            Some(have) if dest_differs(want, have) => {
                ops.push(Op::EditDest(key, *want))?;
            }
            Some(_) => {}
        }
    }
    for d in dests {
        let Some(s) = svcs.get(d.svc as usize) else {
            continue;
        };
        let fate = svc_fate(s);
        let unwanted = match fate {
            Fate::Keep => d.desired.is_none(),
            Fate::Strip => true,
            Fate::Delete | Fate::Gone => false,
        };
        if !unwanted || d.believed.is_none() {
            continue;
        }
        let Some(key) = s.desired.as_ref().or(s.believed.as_ref()).map(|x| x.key) else {
            continue;
        };
        ops.push(Op::DelDest(key, d.addr))?;
    }
    for s in svcs {
        if svc_fate(s) == Fate::Delete {
            if let Some(have) = &s.believed {
                ops.push(Op::DelService(have.key))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::rule::{Protocol, ServiceKey, TunnelSpec};

    fn svc(addr: &str) -> ServiceSpec {
        ServiceSpec {
            key: ServiceKey::Inet {
                proto: Protocol::Tcp,
                addr: addr.parse().unwrap(),
            },
            sched: "wrr".try_into().unwrap(),
            flags: 0,
            timeout: 0,
            netmask: 0xffff_ffff,
            pe_name: None,
        }
    }

    fn dest(addr: &str, weight: i32) -> DestSpec {
        DestSpec {
            addr: addr.parse().unwrap(),
            forward: Forward::Route,
            weight,
            u_threshold: 0,
            l_threshold: 0,
            tunnel: TunnelSpec::default(),
        }
    }

    fn entry(svc: u16, want: Option<DestSpec>, have: Option<DestSpec>, addr: &str) -> DestEntry {
        DestEntry {
            svc,
            addr: addr.parse().unwrap(),
            desired: want,
            believed: have,
        }
    }

    fn run(svcs: &[SvcEntry], dests: &[DestEntry]) -> Vec<String> {
        let mut ops = FixedTable::new("ops", 64);
        diff(svcs, dests, &mut ops).unwrap();
        ops.iter()
            .map(|o| crate::ipvsadm::rule::RuleText(o).to_string())
            .collect()
    }

    #[test]
    fn empty_kernel_gets_service_then_dests() {
        let s = svc("192.0.2.10:80");
        let svcs = [SvcEntry {
            desired: Some(s),
            believed: None,
            foreign: false,
        }];
        let r1 = dest("198.51.100.2:80", 1);
        let dests = [
            entry(0, Some(r1), None, "198.51.100.2:80"),
            entry(0, None, None, "198.51.100.3:80"),
        ];
        assert_eq!(
            run(&svcs, &dests),
            [
                "-A -t 192.0.2.10:80 -s wrr",
                "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1"
            ]
        );
    }

    #[test]
    fn adds_come_before_deletes_and_equal_is_silent() {
        let s = svc("192.0.2.10:80");
        let svcs = [SvcEntry {
            desired: Some(s.clone()),
            believed: Some(s),
            foreign: false,
        }];
        let sorry = dest("198.51.100.9:80", 1);
        let r1 = dest("198.51.100.2:80", 3);
        let r2 = dest("198.51.100.3:80", 1);
        let dests = [
            entry(0, None, Some(sorry), "198.51.100.9:80"),
            entry(0, Some(r2), Some(r2), "198.51.100.3:80"),
            entry(0, Some(r1), None, "198.51.100.2:80"),
        ];
        assert_eq!(
            run(&svcs, &dests),
            [
                "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 3",
                "-d -t 192.0.2.10:80 -r 198.51.100.9:80"
            ]
        );
    }

    #[test]
    fn weight_change_is_one_edit_and_hashed_flag_is_ignored() {
        let s = svc("192.0.2.10:80");
        let mut have = s.clone();
        have.flags |= svc_flags::HASHED;
        let svcs = [SvcEntry {
            desired: Some(s),
            believed: Some(have),
            foreign: false,
        }];
        let dests = [entry(
            0,
            Some(dest("198.51.100.2:80", 0)),
            Some(dest("198.51.100.2:80", 3)),
            "198.51.100.2:80",
        )];
        assert_eq!(
            run(&svcs, &dests),
            ["-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 0"]
        );
    }

    #[test]
    fn unwanted_service_is_deleted_whole_unless_it_holds_foreign_dests() {
        let s = svc("192.0.2.10:80");
        let r1 = dest("198.51.100.2:80", 1);
        let dests = [entry(0, None, Some(r1), "198.51.100.2:80")];
        let whole = [SvcEntry {
            desired: None,
            believed: Some(s.clone()),
            foreign: false,
        }];
        assert_eq!(run(&whole, &dests), ["-D -t 192.0.2.10:80"]);
        let shared = [SvcEntry {
            desired: None,
            believed: Some(s.clone()),
            foreign: true,
        }];
        assert_eq!(
            run(&shared, &dests),
            ["-d -t 192.0.2.10:80 -r 198.51.100.2:80"]
        );
        let mut sched_changed = s.clone();
        sched_changed.sched = "rr".try_into().unwrap();
        let edit = [SvcEntry {
            desired: Some(sched_changed),
            believed: Some(s),
            foreign: false,
        }];
        assert_eq!(run(&edit, &[]), ["-E -t 192.0.2.10:80 -s rr"]);
    }

    #[test]
    fn a_full_op_table_is_an_error() {
        let svcs = [SvcEntry {
            desired: Some(svc("192.0.2.10:80")),
            believed: None,
            foreign: false,
        }];
        let mut ops = FixedTable::new("ops", 0);
        assert!(diff(&svcs, &[], &mut ops).is_err());
    }
}
