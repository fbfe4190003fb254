//! The dry-run backend: an in-memory IPVS table that answers like the kernel (the same
//! errno for the same mistake: EEXIST on a duplicate add, ESRCH for a missing service,
//! ENOENT for a missing destination or scheduler, ERANGE for a bad weight or thresholds,
//! per net/netfilter/ipvs/ip_vs_ctl.c) and logs every operation it accepts as one line,
//! `dry-run: <rule>`, in `ipvsadm -S -n` syntax. It touches no kernel state.

use crate::ipvs::backend::{Backend, IpvsError};
use crate::ipvs::rule::{
    svc_flags, DestSpec, Info, KernelDest, KernelService, KernelTable, Op, ServiceKey, Stats,
    SyncDaemonSpec, Timeouts,
};
use crate::ipvsadm::rule::RuleText;

/// Schedulers a stock kernel ships (net/netfilter/ipvs/ip_vs_*.c); anything else is
/// answered ENOENT, as the kernel does when it cannot load the module.
const SCHEDULERS: [&str; 14] = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

#[derive(Clone, Debug)]
pub struct DryRun {
    table: KernelTable,
    timeouts: Timeouts,
    daemons: heapless::Vec<SyncDaemonSpec, 2>,
}

impl Default for DryRun {
    fn default() -> Self {
        DryRun::new()
    }
}

impl DryRun {
    pub fn new() -> DryRun {
        DryRun {
            table: KernelTable::default(),
            // The kernel's defaults (ip_vs_proto_tcp.c / ip_vs_proto_udp.c), as
            // `ipvsadm -L --timeout` prints them on a fresh boot.
            timeouts: Timeouts {
                tcp: 900,
                tcpfin: 120,
                udp: 300,
            },
            daemons: heapless::Vec::new(),
        }
    }

    /// The table as it stands.
    pub fn table(&self) -> &KernelTable {
        &self.table
    }

    fn find(&self, key: &ServiceKey) -> Option<usize> {
        self.table.services.iter().position(|s| s.spec.key == *key)
    }

    fn check_dest(d: &DestSpec) -> Result<(), i32> {
        // ip_vs_ctl.c: weight < 0 and l_threshold > u_threshold are ERANGE.
        if d.weight < 0 || d.l_threshold > d.u_threshold {
            return Err(libc::ERANGE);
        }
        Ok(())
    }

    /// Applies `op`, or the errno the kernel would answer. The errno (not an
    /// `IpvsError`) is what each refusal returns, for code size: one place builds the
    /// error (-1.6 KB on mipsel).
    fn apply_inner(&mut self, op: &Op) -> Result<(), i32> {
        match op {
            Op::AddService(s) => {
                if self.find(&s.key).is_some() {
                    return Err(libc::EEXIST);
                }
                if !SCHEDULERS.contains(&s.sched.as_str()) {
                    return Err(libc::ENOENT);
                }
                let mut spec = s.clone();
                spec.flags |= svc_flags::HASHED;
                self.table.services.push(KernelService {
                    spec,
                    stats: Stats::default(),
                    dests: Vec::new(),
                });
            }
            Op::EditService(s) => {
                let i = self.find(&s.key).ok_or(libc::ESRCH)?;
                if !SCHEDULERS.contains(&s.sched.as_str()) {
                    return Err(libc::ENOENT);
                }
                let mut spec = s.clone();
                spec.flags |= svc_flags::HASHED;
                self.table.services[i].spec = spec;
            }
            Op::DelService(k) => {
                let i = self.find(k).ok_or(libc::ESRCH)?;
                self.table.services.remove(i);
            }
            Op::AddDest(k, d) => {
                let i = self.find(k).ok_or(libc::ESRCH)?;
                Self::check_dest(d)?;
                let dests = &mut self.table.services[i].dests;
                if dests.iter().any(|x| x.spec.addr == d.addr) {
                    return Err(libc::EEXIST);
                }
                dests.push(KernelDest {
                    spec: *d,
                    active_conns: 0,
                    inact_conns: 0,
                    persist_conns: 0,
                    stats: Stats::default(),
                });
            }
            Op::EditDest(k, d) => {
                let i = self.find(k).ok_or(libc::ESRCH)?;
                Self::check_dest(d)?;
                let dests = &mut self.table.services[i].dests;
                let x = dests
                    .iter_mut()
                    .find(|x| x.spec.addr == d.addr)
                    .ok_or(libc::ENOENT)?;
                x.spec = *d;
            }
            Op::DelDest(k, a) => {
                let i = self.find(k).ok_or(libc::ESRCH)?;
                let dests = &mut self.table.services[i].dests;
                let j = dests
                    .iter()
                    .position(|x| x.spec.addr == *a)
                    .ok_or(libc::ENOENT)?;
                dests.remove(j);
            }
            Op::Flush => self.table.services.clear(),
            Op::Zero(None) => {
                for s in &mut self.table.services {
                    s.stats = Stats::default();
                    for d in &mut s.dests {
                        d.stats = Stats::default();
                    }
                }
            }
            Op::Zero(Some(k)) => {
                let i = self.find(k).ok_or(libc::ESRCH)?;
                let s = &mut self.table.services[i];
                s.stats = Stats::default();
                for d in &mut s.dests {
                    d.stats = Stats::default();
                }
            }
            Op::SetTimeouts(t) => {
                // 0 leaves a value unchanged (ipvsadm --set).
                if t.tcp != 0 {
                    self.timeouts.tcp = t.tcp;
                }
                if t.tcpfin != 0 {
                    self.timeouts.tcpfin = t.tcpfin;
                }
                if t.udp != 0 {
                    self.timeouts.udp = t.udp;
                }
            }
            Op::StartDaemon(d) => {
                if self.daemons.iter().any(|x| x.state == d.state) {
                    return Err(libc::EEXIST);
                }
                self.daemons.push(d.clone()).map_err(|_| libc::EEXIST)?;
            }
            Op::StopDaemon(state) => {
                let i = self
                    .daemons
                    .iter()
                    .position(|x| x.state == *state)
                    .ok_or(libc::ESRCH)?;
                self.daemons.remove(i);
            }
        }
        Ok(())
    }
}

fn err(op: &Op, errno: i32) -> IpvsError {
    IpvsError {
        op: Some(op.clone()),
        errno,
        context: "dry-run",
    }
}

impl Backend for DryRun {
    fn name(&self) -> &'static str {
        "dry-run"
    }

    fn apply(&mut self, op: &Op) -> Result<(), IpvsError> {
        self.apply_inner(op).map_err(|e| err(op, e))?;
        info!("dry-run: {}", RuleText(op));
        Ok(())
    }

    fn dump(&mut self, out: &mut KernelTable) -> Result<(), IpvsError> {
        // clone_from reuses the destination's allocations once they are big enough.
        out.services.truncate(self.table.services.len());
        for (i, s) in self.table.services.iter().enumerate() {
            match out.services.get_mut(i) {
                Some(o) => {
                    o.spec.clone_from(&s.spec);
                    o.stats = s.stats;
                    o.dests.clone_from(&s.dests);
                }
                None => out.services.push(s.clone()),
            }
        }
        Ok(())
    }

    fn info(&mut self) -> Result<Info, IpvsError> {
        // IP_VS_VERSION_CODE of current kernels (1.2.1) and the default table size.
        Ok(Info {
            version: 0x01_02_01,
            conn_tab_size: 4096,
        })
    }

    fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        Ok(self.timeouts)
    }

    fn daemons(&mut self) -> Result<heapless::Vec<SyncDaemonSpec, 2>, IpvsError> {
        Ok(self.daemons.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::rule::{Forward, Protocol, ServiceSpec, TunnelSpec};

    fn key() -> ServiceKey {
        ServiceKey::Inet {
            proto: Protocol::Tcp,
            addr: "192.0.2.10:80".parse().unwrap(),
        }
    }

    fn svc() -> ServiceSpec {
        ServiceSpec {
            key: key(),
            sched: "wrr".try_into().unwrap(),
            flags: 0,
            timeout: 0,
            netmask: 0xffff_ffff,
            pe_name: None,
        }
    }

    fn dest(weight: i32) -> DestSpec {
        DestSpec {
            addr: "198.51.100.2:80".parse().unwrap(),
            forward: Forward::Route,
            weight,
            u_threshold: 0,
            l_threshold: 0,
            tunnel: TunnelSpec::default(),
        }
    }

    fn errno(r: Result<(), IpvsError>) -> i32 {
        r.unwrap_err().errno
    }

    #[test]
    fn mimics_kernel_errors() {
        let mut b = DryRun::new();
        let k = key();
        assert_eq!(errno(b.apply(&Op::AddDest(k, dest(1)))), libc::ESRCH);
        assert_eq!(errno(b.apply(&Op::EditService(svc()))), libc::ESRCH);
        assert_eq!(errno(b.apply(&Op::DelService(k))), libc::ESRCH);
        b.apply(&Op::AddService(svc())).unwrap();
        assert_eq!(errno(b.apply(&Op::AddService(svc()))), libc::EEXIST);
        let mut bad = svc();
        bad.sched = "foo".try_into().unwrap();
        bad.key = ServiceKey::Fwmark {
            family: crate::ipvs::rule::Family::Inet,
            mark: 1,
        };
        assert_eq!(errno(b.apply(&Op::AddService(bad))), libc::ENOENT);
        assert_eq!(errno(b.apply(&Op::EditDest(k, dest(2)))), libc::ENOENT);
        assert_eq!(errno(b.apply(&Op::DelDest(k, dest(1).addr))), libc::ENOENT);
        b.apply(&Op::AddDest(k, dest(1))).unwrap();
        let e = b.apply(&Op::AddDest(k, dest(1))).unwrap_err();
        assert_eq!(e.errno, libc::EEXIST);
        assert_eq!(
            e.to_string(),
            "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1: Destination already exists"
        );
        assert_eq!(errno(b.apply(&Op::EditDest(k, dest(-1)))), libc::ERANGE);
        b.apply(&Op::EditDest(k, dest(3))).unwrap();
        let mut t = KernelTable::default();
        b.dump(&mut t).unwrap();
        assert_eq!(t.services.len(), 1);
        assert_eq!(t.services[0].spec.flags, svc_flags::HASHED);
        assert_eq!(t.services[0].dests[0].spec.weight, 3);
        b.apply(&Op::DelDest(k, dest(1).addr)).unwrap();
        b.apply(&Op::DelService(k)).unwrap();
        b.dump(&mut t).unwrap();
        assert!(t.services.is_empty());
    }

    #[test]
    fn dump_reuses_the_callers_allocation() {
        let mut b = DryRun::new();
        b.apply(&Op::AddService(svc())).unwrap();
        b.apply(&Op::AddDest(key(), dest(1))).unwrap();
        let mut t = KernelTable::default();
        b.dump(&mut t).unwrap();
        let ptr = t.services.as_ptr();
        let dptr = t.services[0].dests.as_ptr();
        b.apply(&Op::EditDest(key(), dest(4))).unwrap();
        b.dump(&mut t).unwrap();
        assert_eq!(t.services.as_ptr(), ptr);
        assert_eq!(t.services[0].dests.as_ptr(), dptr);
        assert_eq!(t.services[0].dests[0].spec.weight, 4);
    }

    #[test]
    fn timeouts_and_daemons() {
        let mut b = DryRun::new();
        b.apply(&Op::SetTimeouts(Timeouts {
            tcp: 0,
            tcpfin: 30,
            udp: 0,
        }))
        .unwrap();
        assert_eq!(
            b.timeouts().unwrap(),
            Timeouts {
                tcp: 900,
                tcpfin: 30,
                udp: 300
            }
        );
        let d = SyncDaemonSpec {
            state: crate::ipvs::rule::SyncState::Master,
            ifname: "eth0".try_into().unwrap(),
            syncid: 1,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
        };
        b.apply(&Op::StartDaemon(d.clone())).unwrap();
        assert_eq!(errno(b.apply(&Op::StartDaemon(d))), libc::EEXIST);
        assert_eq!(b.daemons().unwrap().len(), 1);
        b.apply(&Op::StopDaemon(crate::ipvs::rule::SyncState::Master))
            .unwrap();
        assert_eq!(
            errno(b.apply(&Op::StopDaemon(crate::ipvs::rule::SyncState::Master))),
            libc::ESRCH
        );
    }
}
