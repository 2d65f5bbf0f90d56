//! The lake: where it is, its tables' Parquet files, their checks against
//! SPEC.md §1, and their registration. Nothing here reads or writes what
//! `convlake materialize` keeps (`src/materialize/`); [`crate::register`]
//! composes the two.

pub mod as_of;
mod checks;
pub mod derived;
pub mod files;
mod open;
pub mod schema;
pub mod store;

pub use derived::Materialised;
pub use files::LakeFile;
pub use open::{EVENTS_SORT, Lake, TableInfo, open};
pub use store::lake_url;
