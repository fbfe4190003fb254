//! Entry point: picks the personality from argv[0] or the subcommand and maps errors to
//! exit codes. No logic lives here.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
