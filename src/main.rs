use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long, in milliseconds, mimalloc keeps a freed page before giving it
/// back to the OS. mimalloc 3 (the crate's default) waits 1,000 ms, so the
/// memory an operator frees still counts in the process's RSS while the
/// next one allocates: the hash aggregates of the contacts and of their
/// first openings run one after the other at the start of a whole-lake
/// `conversation_facts`. 10 ms is mimalloc 2's default. 10M facts, in
/// turns: 1,853-1,888 MiB peak RSS with 1,000 ms, 1,607 MiB with 10 ms
/// (README.md, "What each change bought").
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
