//! Where log lines go: stderr (the default, which procd hands to logd), a file, or
//! syslog's /dev/log. One line per event, with a UTC timestamp except on syslog, whose
//! daemon stamps lines itself.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};
use simplelog::{ConfigBuilder, WriteLogger};

pub enum Sink<'a> {
    Stderr,
    File(&'a Path),
    Syslog,
}

/// Installs the global logger. `verbose` adds debug lines (each probe result).
pub fn init(sink: Sink<'_>, verbose: bool) -> io::Result<()> {
    let level = if verbose {
        LevelFilter::Debug
    } else {
        LevelFilter::Info
    };
    let config = ConfigBuilder::new()
        .set_time_format_rfc3339()
        .set_target_level(LevelFilter::Off)
        .set_thread_level(LevelFilter::Off)
        .set_location_level(LevelFilter::Off)
        .build();
    let result = match sink {
        Sink::Stderr => WriteLogger::init(level, config, io::stderr()),
        Sink::File(path) => {
            let file = OpenOptions::new().create(true).append(true).open(path)?;
            WriteLogger::init(level, config, file)
        }
        Sink::Syslog => {
            let logger = SyslogLogger::connect(level)?;
            log::set_max_level(level);
            log::set_boxed_logger(Box::new(logger))
        }
    };
    // A logger already installed (tests that run several daemons in one process) is fine.
    let _ = result;
    Ok(())
}

/// RFC 3164 lines to /dev/log, facility daemon, tagged `lvsmon[pid]`.
struct SyslogLogger {
    socket: UnixDatagram,
    level: LevelFilter,
    pid: u32,
    line: Mutex<String>,
}

const FACILITY_DAEMON: u8 = 3;

/// Where syslog daemons (busybox syslogd, rsyslog, systemd-journald) listen.
pub const SYSLOG_SOCKET: &str = "/dev/log";

impl SyslogLogger {
    fn connect(level: LevelFilter) -> io::Result<SyslogLogger> {
        Self::connect_to(Path::new(SYSLOG_SOCKET), level)
    }

    fn connect_to(path: &Path, level: LevelFilter) -> io::Result<SyslogLogger> {
        let socket = UnixDatagram::unbound()?;
        socket.connect(path)?;
        Ok(SyslogLogger {
            socket,
            level,
            pid: crate::sys::process::getpid(),
            line: Mutex::new(String::with_capacity(512)),
        })
    }
}

fn severity(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

impl Log for SyslogLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let Ok(mut line) = self.line.lock() else {
            return;
        };
        line.clear();
        let pri = FACILITY_DAEMON * 8 + severity(record.level());
        let _ = write!(line, "<{}>lvsmon[{}]: {}", pri, self.pid, record.args());
        // A full or absent syslog daemon must not stop the checks: drop the line.
        let _ = self.socket.send(line.as_bytes());
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_lines_carry_facility_daemon_name_and_pid() {
        let dir = std::env::temp_dir().join(format!("lvsmon-syslog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        let _ = std::fs::remove_file(&path);
        let server = UnixDatagram::bind(&path).unwrap();
        let logger = SyslogLogger::connect_to(&path, LevelFilter::Info).unwrap();
        let pid = crate::sys::process::getpid();
        let cases = [
            (Level::Info, "real server up", 30),
            (Level::Warn, "drift", 28),
            (Level::Error, "cannot open", 27),
        ];
        for (level, text, pri) in cases {
            logger.log(
                &Record::builder()
                    .level(level)
                    .args(format_args!("{}", text))
                    .build(),
            );
            let mut buf = [0u8; 256];
            let n = server.recv(&mut buf).unwrap();
            assert_eq!(
                std::str::from_utf8(&buf[..n]).unwrap(),
                format!("<{}>lvsmon[{}]: {}", pri, pid, text)
            );
        }
        // Debug lines are filtered at Info.
        assert!(!logger.enabled(&Metadata::builder().level(Level::Debug).build()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
