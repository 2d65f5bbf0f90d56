use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long, in milliseconds, mimalloc keeps a freed page before giving it
/// back to the OS: mimalloc 2's 10 ms rather than mimalloc 3's 1,000, so
/// the memory one operator frees goes back before the next allocates
/// (docs/performance.md, "The allocator").
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// `mi_option_purge_delay` of mimalloc.h (the 16th option, in mimalloc 2
/// and 3 alike); libmimalloc-sys 0.1.49 names no constant for it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table;
    // it takes no pointer. It is not thread safe, so it runs here, before
    // the runtime starts any thread.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS)
    };
    let cli = convlake::cli::Cli::parse();
    let result = match convlake::cli::runtime() {
        Ok(runtime) => runtime.block_on(convlake::cli::run(cli)),
        Err(err) => {
            eprintln!("error: cannot start the Tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", err.chain());
            ExitCode::FAILURE
        }
    }
}
