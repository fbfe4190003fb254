//! Carrying out `VipOp`s on the announce interface: `Kernel` over rtnetlink
//! (`sys::rtnetlink`), `DryRun` which only logs (`dry-run: announce 192.0.2.10/32 on
//! vip0`, as the IPVS dry run logs its operations) after reading, never changing, the
//! interface. Both refuse an interface that exists and is not a dummy: lvsmon adds and
//! removes addresses only on an interface that exists for that purpose.

use std::fmt;
use std::io;
use std::net::IpAddr;

use super::{IfName, VipOp, VipOpKind};
use crate::sys::rtnetlink::{Link, Rtnl};

/// Why the interface cannot be used.
#[derive(Debug)]
pub enum IfaceError {
    /// It exists and is not a dummy (its kind, if it has one).
    NotDummy(Option<String>),
    Io(&'static str, io::Error),
}

impl fmt::Display for IfaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IfaceError::NotDummy(Some(k)) => {
                write!(f, "exists and is not a dummy interface (it is a {} link)", k)
            }
            IfaceError::NotDummy(None) => f.write_str(
                "exists and is not a dummy interface (a physical or loopback link); lvsmon only puts addresses on a dummy interface it may create",
            ),
            IfaceError::Io(what, e) => write!(f, "cannot {}: {}", what, e),
        }
    }
}

/// The announce interface as the reactor uses it.
pub trait VipIface {
    /// Makes sure `name` exists as a dummy interface that is up (creating it if
    /// missing) and returns the addresses already on it (for `Announcer::adopt`).
    fn prepare(&mut self, name: &str) -> Result<Vec<IpAddr>, IfaceError>;
    /// Carries out one operation. An address already there (announce) or already gone,
    /// with its interface (withdraw), is success.
    fn apply(&mut self, op: &VipOp) -> Result<(), String>;
    /// The drift check: the addresses on `name` now, into `out` (cleared first; empty if
    /// the interface is gone). Ok(false): this layer cannot tell (the dry run changes
    /// nothing, so the interface never carries what it announced). Allocates nothing in
    /// steady state.
    fn observe(&mut self, name: &str, out: &mut Vec<IpAddr>) -> io::Result<bool>;
}

fn check_kind(link: &Link) -> Result<(), IfaceError> {
    if link.kind.as_deref() == Some("dummy") {
        Ok(())
    } else {
        Err(IfaceError::NotDummy(link.kind.clone()))
    }
}

/// Read-only: an error if `name` exists and is not a dummy (a reload checks the new
/// config with this before anything changes). A missing interface is fine (it will be
/// created); so is a host where the link cannot be read (the run itself will say).
pub fn check_interface(name: &str) -> Result<(), IfaceError> {
    let Ok(mut r) = Rtnl::open() else {
        return Ok(());
    };
    match r.link(name) {
        Ok(Some(link)) => check_kind(&link),
        _ => Ok(()),
    }
}

/// The real interface, over rtnetlink.
pub struct Kernel {
    rtnl: Rtnl,
    /// Interface names and their index, as prepared or looked up.
    index: Vec<(IfName, u32)>,
}

impl Kernel {
    pub fn open() -> io::Result<Kernel> {
        Ok(Kernel {
            rtnl: Rtnl::open()?,
            index: Vec::new(),
        })
    }

    fn index_of(&mut self, name: &str) -> io::Result<Option<u32>> {
        if let Some((_, i)) = self.index.iter().find(|(n, _)| n == name) {
            return Ok(Some(*i));
        }
        Ok(self.rtnl.link(name)?.map(|l| l.index))
    }

    fn remember(&mut self, name: &str, index: u32) {
        self.index.retain(|(n, _)| n != name);
        let mut n = IfName::new();
        let _ = n.push_str(name);
        self.index.push((n, index));
    }
}

impl VipIface for Kernel {
    fn prepare(&mut self, name: &str) -> Result<Vec<IpAddr>, IfaceError> {
        let link = match self
            .rtnl
            .link(name)
            .map_err(|e| IfaceError::Io("read the interface", e))?
        {
            Some(link) => {
                check_kind(&link)?;
                if !link.up {
                    self.rtnl
                        .set_up(link.index)
                        .map_err(|e| IfaceError::Io("set the interface up", e))?;
                    info!("vip_announce: set {} up", name);
                }
                link
            }
            None => {
                self.rtnl
                    .create_dummy(name)
                    .map_err(|e| IfaceError::Io("create the dummy interface", e))?;
                info!("vip_announce: created dummy interface {} (up)", name);
                self.rtnl
                    .link(name)
                    .map_err(|e| IfaceError::Io("read the interface", e))?
                    .ok_or(IfaceError::Io(
                        "find the interface just created",
                        io::Error::from_raw_os_error(libc::ENODEV),
                    ))?
            }
        };
        self.remember(name, link.index);
        self.rtnl
            .addrs(link.index)
            .map_err(|e| IfaceError::Io("read the interface's addresses", e))
    }

    fn apply(&mut self, op: &VipOp) -> Result<(), String> {
        let add = op.kind == VipOpKind::Announce;
        let index = match self.index_of(&op.iface) {
            Ok(Some(i)) => i,
            // Withdrawing from an interface that is gone: nothing left to remove.
            Ok(None) if !add => return Ok(()),
            // Deleted behind lvsmon's back: create it again.
            Ok(None) => {
                self.prepare(&op.iface).map_err(|e| e.to_string())?;
                self.index_of(&op.iface)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| "the interface is gone".to_string())?
            }
            Err(e) => return Err(e.to_string()),
        };
        match self.rtnl.change_addr(add, index, &op.addr) {
            Ok(()) => Ok(()),
            Err(e) => match (add, e.raw_os_error()) {
                (true, Some(libc::EEXIST)) => Ok(()),
                (false, Some(libc::EADDRNOTAVAIL | libc::ENOENT | libc::ENODEV)) => Ok(()),
                (true, Some(libc::ENODEV)) => {
                    // The cached index is stale (the interface was recreated).
                    self.index.retain(|(n, _)| n != &op.iface);
                    Err(format!("{} (interface {} changed)", e, op.iface))
                }
                _ => Err(e.to_string()),
            },
        }
    }

    fn observe(&mut self, name: &str, out: &mut Vec<IpAddr>) -> io::Result<bool> {
        out.clear();
        let cached = self.index.iter().find(|(n, _)| n == name).map(|(_, i)| *i);
        let index = match cached {
            Some(i) => i,
            None => match self.rtnl.link(name)? {
                Some(link) => {
                    self.remember(name, link.index);
                    link.index
                }
                // Gone: every announced VIP is missing (`apply` creates it again).
                None => return Ok(true),
            },
        };
        self.rtnl.addrs_into(index, out)?;
        Ok(true)
    }
}

/// `--dry-run`: reads the interface if it can (to refuse a non-dummy and to adopt what
/// is there), changes nothing, logs what it would do.
#[derive(Default)]
pub struct DryRun {
    rtnl: Option<Rtnl>,
}

impl DryRun {
    pub fn new() -> DryRun {
        DryRun {
            rtnl: Rtnl::open().ok(),
        }
    }

    /// A dry run that reads nothing (tests: the host's interfaces do not matter).
    pub fn blind() -> DryRun {
        DryRun { rtnl: None }
    }
}

impl VipIface for DryRun {
    fn prepare(&mut self, name: &str) -> Result<Vec<IpAddr>, IfaceError> {
        let found = match self.rtnl.as_mut() {
            Some(r) => r
                .link(name)
                .map_err(|e| IfaceError::Io("read the interface", e))?,
            None => None,
        };
        match found {
            Some(link) => {
                check_kind(&link)?;
                let r = self.rtnl.as_mut().expect("read above");
                r.addrs(link.index)
                    .map_err(|e| IfaceError::Io("read the interface's addresses", e))
            }
            None => {
                info!("dry-run: create dummy interface {} (up)", name);
                Ok(Vec::new())
            }
        }
    }

    fn apply(&mut self, op: &VipOp) -> Result<(), String> {
        info!("dry-run: {}", op);
        Ok(())
    }

    fn observe(&mut self, _name: &str, out: &mut Vec<IpAddr>) -> io::Result<bool> {
        out.clear();
        Ok(false)
    }
}
