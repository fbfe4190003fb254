//! Entry point: picks the personality (lvsmon, ipvsadm, genhash) from argv[0] or the
//! subcommand and maps errors to exit codes. No logic lives here.

use std::io::Write;
use std::process::ExitCode;

use lvsmon::cli::{self, Command, Parsed};
use lvsmon::daemon::{EXIT_CONFIG, EXIT_OK, EXIT_RUNTIME};

fn main() -> ExitCode {
    // Arguments that are not UTF-8 are taken lossily: they then fail validation with a
    // message instead of a panic.
    let mut argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let invoked_as = argv
        .first()
        .map_or("", |a| a.rsplit('/').next().unwrap_or(a));
    if invoked_as == "ipvsadm" {
        return ExitCode::from(lvsmon::commands::ipvsadm(&argv, cli::IpvsApi::Auto, None));
    }
    if invoked_as == "genhash" {
        return ExitCode::from(lvsmon::genhash::main(&argv, false));
    }
    let sub = argv.get(1).map_or("", String::as_str);
    if sub == "ipvsadm" {
        return ExitCode::from(lvsmon::commands::ipvsadm(
            &argv[1..],
            cli::IpvsApi::Auto,
            None,
        ));
    }
    if sub == "genhash" {
        // keepalived prints its argv[0] in the usage; here that is "lvsmon", followed
        // by " genhash" as keepalived's is by " --genhash".
        argv.remove(1);
        return ExitCode::from(lvsmon::genhash::main(&argv, true));
    }
    let code = match cli::parse(&argv) {
        Parsed::Exit { text, code } => {
            let _ = if code == 0 {
                std::io::stdout().write_all(text.as_bytes())
            } else {
                std::io::stderr().write_all(text.as_bytes())
            };
            code
        }
        Parsed::Command(cmd) => match cmd {
            Command::Version => {
                println!("lvsmon {}", env!("CARGO_PKG_VERSION"));
                EXIT_OK
            }
            Command::Run(opts) => lvsmon::daemon::run(*opts),
            Command::Check {
                config,
                load,
                strict,
            } => lvsmon::commands::check(&config, &load, strict),
            Command::Status {
                json,
                history,
                control,
            } => lvsmon::commands::status(json, history, &control),
            Command::Control { request, control } => lvsmon::commands::control(&request, &control),
            Command::Ipvsadm { argv, api, input } => {
                lvsmon::commands::ipvsadm(&argv, api, input.as_deref())
            }
            Command::Restore { input, api } => lvsmon::commands::restore(input.as_deref(), api),
        },
    };
    let _ = (EXIT_CONFIG, EXIT_RUNTIME);
    ExitCode::from(code)
}
