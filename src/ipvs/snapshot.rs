//! Putting a table back as it was: the operations that turn the kernel table `now` into
//! an earlier snapshot `want`. `lvsmon restore` uses it to undo a half-applied input when
//! the kernel refuses one of its operations, so bad input never leaves a half-applied
//! table. Pure.

use crate::ipvs::rule::{svc_flags, KernelService, KernelTable, Op, ServiceSpec};

/// The spec as it can be sent back: the kernel reports IP_VS_SVC_F_HASHED, which must
/// never be sent (a service added with it is never hashed).
fn sendable(spec: &ServiceSpec) -> ServiceSpec {
    ServiceSpec {
        flags: spec.flags & !svc_flags::HASHED,
        ..spec.clone()
    }
}

fn find<'a>(table: &'a KernelTable, svc: &KernelService) -> Option<&'a KernelService> {
    table.services.iter().find(|s| s.spec.key == svc.spec.key)
}

/// Operations that make `now` equal to `want`: extra services deleted, missing ones added
/// with their destinations, changed ones edited, destinations likewise.
pub fn ops_to_restore(now: &KernelTable, want: &KernelTable) -> Vec<Op> {
    let mut ops = Vec::new();
    for svc in &now.services {
        if find(want, svc).is_none() {
            ops.push(Op::DelService(svc.spec.key));
        }
    }
    for svc in &want.services {
        let key = svc.spec.key;
        let Some(cur) = find(now, svc) else {
            ops.push(Op::AddService(sendable(&svc.spec)));
            ops.extend(svc.dests.iter().map(|d| Op::AddDest(key, d.spec)));
            continue;
        };
        if sendable(&cur.spec) != sendable(&svc.spec) {
            ops.push(Op::EditService(sendable(&svc.spec)));
        }
        for d in &cur.dests {
            if !svc.dests.iter().any(|w| w.spec.addr == d.spec.addr) {
                ops.push(Op::DelDest(key, d.spec.addr));
            }
        }
        for d in &svc.dests {
            match cur.dests.iter().find(|c| c.spec.addr == d.spec.addr) {
                None => ops.push(Op::AddDest(key, d.spec)),
                Some(c) if c.spec != d.spec => ops.push(Op::EditDest(key, d.spec)),
                Some(_) => {}
            }
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::backend::Backend;
    use crate::ipvs::dryrun::DryRun;
    use crate::ipvs::rule::{DestSpec, Forward, Protocol, ServiceKey, TunnelSpec};

    fn key(a: &str) -> ServiceKey {
        ServiceKey::Inet {
            proto: Protocol::Tcp,
            addr: a.parse().unwrap(),
        }
    }

    fn svc(a: &str, sched: &str) -> ServiceSpec {
        ServiceSpec {
            key: key(a),
            sched: sched.try_into().unwrap(),
            flags: 0,
            timeout: 0,
            netmask: 0xffff_ffff,
            pe_name: None,
        }
    }

    fn dest(a: &str, w: i32) -> DestSpec {
        DestSpec {
            addr: a.parse().unwrap(),
            forward: Forward::Masq,
            weight: w,
            u_threshold: 0,
            l_threshold: 0,
            tunnel: TunnelSpec::default(),
        }
    }

    fn dump(b: &mut DryRun) -> KernelTable {
        let mut t = KernelTable::default();
        b.dump(&mut t).unwrap();
        t
    }

    #[test]
    fn any_change_is_undone_exactly() {
        let mut b = DryRun::new();
        let base = [
            Op::AddService(svc("192.0.2.10:80", "wrr")),
            Op::AddDest(key("192.0.2.10:80"), dest("198.51.100.2:80", 1)),
            Op::AddDest(key("192.0.2.10:80"), dest("198.51.100.3:80", 3)),
            Op::AddService(svc("192.0.2.11:80", "rr")),
        ];
        for op in &base {
            b.apply(op).unwrap();
        }
        let snapshot = dump(&mut b);
        // A partial restore: a new service, an edited one, a deleted one, dests changed.
        let changes = [
            Op::AddService(svc("192.0.2.12:80", "rr")),
            Op::AddDest(key("192.0.2.12:80"), dest("198.51.100.4:80", 1)),
            Op::EditService(svc("192.0.2.10:80", "lc")),
            Op::EditDest(key("192.0.2.10:80"), dest("198.51.100.3:80", 9)),
            Op::DelDest(key("192.0.2.10:80"), "198.51.100.2:80".parse().unwrap()),
            Op::AddDest(key("192.0.2.10:80"), dest("198.51.100.5:80", 2)),
            Op::DelService(key("192.0.2.11:80")),
        ];
        for op in &changes {
            b.apply(op).unwrap();
        }
        let now = dump(&mut b);
        let undo = ops_to_restore(&now, &snapshot);
        for op in &undo {
            b.apply(op).unwrap();
        }
        let mut after = dump(&mut b);
        let mut want = snapshot.clone();
        for t in [&mut after, &mut want] {
            t.services.sort_by_key(|s| s.spec.key);
            for s in &mut t.services {
                s.dests.sort_by_key(|d| d.spec.addr);
            }
        }
        assert_eq!(after, want);
        // And nothing more to do.
        assert!(ops_to_restore(&dump(&mut b), &snapshot).is_empty());
    }
}
