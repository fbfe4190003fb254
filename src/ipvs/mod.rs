//! The IPVS table: values (`rule`), the `Backend` trait, and the backends.

pub mod backend;
pub mod dryrun;
pub mod netlink;
pub mod reconcile;
pub mod rule;
pub mod sockopt;
pub mod wire;

use crate::ipvs::backend::{Backend, IpvsError};

/// Which kernel interface `open` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    Auto,
    Netlink,
    Sockopt,
}

/// Opens the kernel backend. The netlink and sockopt backends land from their branch;
/// until then every kernel command fails with "Protocol not available".
pub fn open(_api: Api) -> Result<Box<dyn Backend>, IpvsError> {
    Err(IpvsError {
        op: None,
        errno: libc::ENOPROTOOPT,
        context: "open IPVS",
    })
}
