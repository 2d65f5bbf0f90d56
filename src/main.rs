use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = convlake::cli::Cli::parse();
    let result = match convlake::commands::runtime() {
        Ok(runtime) => runtime.block_on(convlake::commands::run(cli)),
        Err(err) => {
            eprintln!("error: cannot start the Tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {:#}", anyhow::Error::from(err));
            ExitCode::FAILURE
        }
    }
}
