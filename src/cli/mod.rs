//! The command line: clap's arguments, what each command does, the
//! interactive prompt, the report pages and the result writers. `main.rs`
//! parses [`Cli`] and calls [`run`].

pub mod args;
mod commands;
mod output;
mod repl;
mod report;
mod sql;

pub use args::Cli;
pub use commands::{run, runtime};
