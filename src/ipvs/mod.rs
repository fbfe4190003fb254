//! The IPVS table: values (`rule`), the `Backend` trait, and the backends.

pub mod backend;
pub mod dryrun;
pub mod lazy;
pub mod netlink;
pub mod reconcile;
pub mod rule;
pub mod snapshot;
pub mod sockopt;
pub mod wire;

use backend::{Backend, IpvsError};

/// Which kernel interface to use (`--ipvs-api`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Api {
    /// Generic netlink, or setsockopt when the kernel has no IPVS netlink family.
    #[default]
    Auto,
    Netlink,
    Sockopt,
}

impl std::str::FromStr for Api {
    type Err = String;

    fn from_str(s: &str) -> Result<Api, String> {
        match s {
            "auto" => Ok(Api::Auto),
            "netlink" => Ok(Api::Netlink),
            "sockopt" => Ok(Api::Sockopt),
            _ => Err(format!(
                "unknown IPVS API '{s}' (expected auto, netlink or sockopt)"
            )),
        }
    }
}

/// Opens the kernel's IPVS table through `api`. With `Api::Auto`, a kernel without the
/// IPVS generic-netlink family (ENOENT from the controller) is used over setsockopt.
pub fn open(api: Api) -> Result<Box<dyn Backend>, IpvsError> {
    open_as(api, true)
}

/// `open`, saying so in the log when Auto falls back to setsockopt if `log_fallback`
/// (`lazy::kernel_opener`'s retries do not). One function for both, for code size.
pub(crate) fn open_as(api: Api, log_fallback: bool) -> Result<Box<dyn Backend>, IpvsError> {
    // One call of each backend's open and one Box for each, for code size.
    if api != Api::Sockopt {
        match netlink::NetlinkBackend::open() {
            Ok(b) => return Ok(Box::new(b)),
            Err(e) if api == Api::Auto && e.errno == libc::ENOENT => {
                if log_fallback {
                    info!("IPVS netlink family not found; using the setsockopt interface");
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Box::new(sockopt::SockoptBackend::open()?))
}

#[cfg(test)]
mod api_tests {
    use super::Api;

    #[test]
    fn api_names() {
        assert_eq!("auto".parse::<Api>(), Ok(Api::Auto));
        assert_eq!("netlink".parse::<Api>(), Ok(Api::Netlink));
        assert_eq!("sockopt".parse::<Api>(), Ok(Api::Sockopt));
        assert!("ioctl".parse::<Api>().is_err());
    }
}
