//! convlake's integration tests: one test binary, modules by subject.

mod bad_input;
mod cli;
mod common;
mod export;
mod export_jobs;
mod functions;
mod html;
mod lake;
mod materialize;
mod s3;
mod sample;
mod serve;
mod slt;
mod views;
