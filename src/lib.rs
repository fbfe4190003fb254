//! lvsmon: health-checks the real servers behind IPVS virtual services, keeps the kernel
//! table in step with what is healthy, and stands in for ipvsadm.
#![deny(unsafe_code)]
// IpvsError carries the failed Op by value so that an error never allocates.
#![allow(clippy::result_large_err)]

#[macro_use]
mod log_macros;

pub mod announce;
pub mod cli;
pub mod clients;
pub mod commands;
pub mod config;
pub mod control;
pub mod daemon;
pub mod director;
pub mod genhash;
pub mod globals;
pub mod health;
pub mod http;
pub mod ipvs;
pub mod ipvsadm;
pub mod logging;
pub mod model;
pub mod notify_fifo;
pub mod pidfile;
pub mod probe;
pub mod prom;
pub mod reactor;
pub mod read_whole;
pub mod reload;
pub mod sched;
pub mod scripts;
pub mod syncd;
#[allow(unsafe_code, clippy::macro_metavars_in_unsafe)]
pub mod sys;
pub mod textbuf;
#[cfg(feature = "tls")]
pub mod tls;
pub mod track_files;
